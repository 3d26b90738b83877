"""Server start-up: spawn -> initialize answered, against a bare `import pygls.lsp.server, lsprotocol.types`
timed in the same run (interleaved), and the idle server's resident memory with no model loaded.

Raw JSON-RPC over the pipes (no client library in the timed path): what an editor waits for.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.reliability.rawrpc import RawServer, initialize_params, server_command, server_env

from .lsp_bench import cpu_seconds
from .metrics import Metric, failed, median, rounded

BARE = "import pygls.lsp.server, lsprotocol.types"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def spawn_initialize(root: Path, home: Path, *, idle_s: float = 1.0) -> tuple[float, float, int]:
    """Seconds from spawn to the initialize response, the server's CPU seconds by then, and VmRSS (kB)
    once initialized and idle."""
    t0 = time.perf_counter()
    server = RawServer(root, home)
    try:
        reply = server.request("initialize", initialize_params(root, "cadre-bench"), timeout=60)
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(server.pid)
        if reply.error is not None:
            raise RuntimeError(f"initialize failed: {reply.error}")
        server.notify("initialized", {})
        time.sleep(idle_s)
        return elapsed, cpu, rss_kb(server.pid)
    finally:
        server.stop()


def bare_import(home: Path) -> tuple[float, float]:
    """Seconds from spawn until `python -c BARE` has imported (it says so on stdout, before its teardown,
    just as the server is timed to its answer, not to its exit), and its CPU seconds by then."""
    t0 = time.perf_counter()
    code = f"{BARE}; import os; t = os.times(); print(t.user + t.system, flush=True)"
    proc = subprocess.Popen([sys.executable, "-c", code], env=server_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.stdout.close()
    proc.wait()
    if proc.returncode != 0 or not line.strip():
        raise RuntimeError(f"`python -c '{BARE}'` failed")
    return elapsed, float(line.decode())


def _measure(root: Path, repeats: int) -> list[Metric]:
    home = root / "home"
    home.mkdir()
    (root / "project").mkdir()
    bare_import(home)  # warm the OS file cache for both
    spawn_initialize(root / "project", home, idle_s=0.1)
    bare, server, rss, bare_cpu, server_cpu = [], [], [], [], []
    for i in range(repeats):
        for which in (("bare", "server") if i % 2 == 0 else ("server", "bare")):
            if which == "bare":
                seconds, cpu = bare_import(home)
                bare.append(seconds)
                bare_cpu.append(cpu)
            else:
                seconds, cpu, kb = spawn_initialize(root / "project", home)
                server.append(seconds)
                server_cpu.append(cpu)
                rss.append(kb / 1024)
    ratios = [s / b for s, b in zip(server, bare)]
    cpu_ratios = [s / b for s, b in zip(server_cpu, bare_cpu) if b > 0]
    return [
        Metric("startup", "spawn -> initialize answered / bare `import pygls.lsp.server, lsprotocol.types`",
               median(ratios), "x", 1.2, "<=", detail={
                   "ratios": rounded(ratios), "server_s": rounded(server), "bare_s": rounded(bare),
                   "cpu_ratio_median": round(median(cpu_ratios), 4) if cpu_ratios else None,
                   "server_cpu_s": rounded(server_cpu), "bare_cpu_s": rounded(bare_cpu),
                   "command": " ".join(server_command()[1:])}),
        Metric("rss", "idle server RSS after initialize, no model loaded", median(rss), "MB", 60.0, "<=",
               detail={"samples_mb": rounded(rss, 1)}),
    ]


def run(repeats: int = 7) -> list[Metric]:
    with tempfile.TemporaryDirectory(prefix="cadre-bench-start-") as tmp:
        try:
            return _measure(Path(tmp), repeats)
        except Exception as exc:  # the server would not start: both metrics fail, with why
            why = f"{type(exc).__name__}: {exc}"
            return [failed("startup", "spawn -> initialize answered / bare pygls import", "x", why, target=1.2, op="<="),
                    failed("rss", "idle server RSS after initialize", "MB", why, target=60.0, op="<=")]
