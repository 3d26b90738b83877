"""Server start-up: spawn -> initialize answered, against a bare `import pygls.lsp.server, lsprotocol.types`
timed in the same run (interleaved), and the idle server's resident memory with no model loaded.

Raw JSON-RPC over the pipes (no client library in the timed path): what an editor waits for.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from .jsonrpc import frame, initialize_params, read_message, server_command, server_env
from .lsp_bench import cpu_seconds
from .metrics import Metric, failed, median, rounded

BARE = "import pygls.lsp.server, lsprotocol.types"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def spawn_initialize(root: Path, home: Path, *, idle_s: float = 1.0) -> tuple[float, float, int]:
    """Seconds from spawn to the initialize response, the server's CPU seconds by then, and VmRSS (kB)
    once initialized and idle."""
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*server_command(), stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL, env=server_env(home),
                                                cwd=str(root))
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                "params": initialize_params(root)}))
        await proc.stdin.drain()
        while True:
            msg = await asyncio.wait_for(read_message(proc.stdout), 60)
            if msg.get("id") == 1:
                break
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(proc.pid)
        if "result" not in msg:
            raise RuntimeError(f"initialize failed: {msg.get('error')}")
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        await proc.stdin.drain()
        reader = asyncio.create_task(_discard(proc.stdout))
        await asyncio.sleep(idle_s)
        rss = rss_kb(proc.pid)
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None}))
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
        await proc.stdin.drain()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        finally:
            reader.cancel()
        return elapsed, cpu, rss
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


async def bare_import(home: Path) -> tuple[float, float]:
    """Seconds from spawn until `python -c BARE` has imported (it says so on stdout, before its teardown,
    just as the server is timed to its answer, not to its exit), and its CPU seconds by then."""
    t0 = time.perf_counter()
    code = f"{BARE}; import os; t = os.times(); print(t.user + t.system, flush=True)"
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=server_env(home),
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    await proc.wait()
    if proc.returncode != 0 or not line.strip():
        raise RuntimeError(f"`python -c '{BARE}'` failed")
    return elapsed, float(line.decode())


async def _measure(root: Path, repeats: int) -> list[Metric]:
    home = root / "home"
    home.mkdir()
    (root / "project").mkdir()
    await bare_import(home)  # warm the OS file cache for both
    await spawn_initialize(root / "project", home, idle_s=0.1)
    bare, server, rss, bare_cpu, server_cpu = [], [], [], [], []
    for i in range(repeats):
        for which in (("bare", "server") if i % 2 == 0 else ("server", "bare")):
            if which == "bare":
                seconds, cpu = await bare_import(home)
                bare.append(seconds)
                bare_cpu.append(cpu)
            else:
                seconds, cpu, kb = await spawn_initialize(root / "project", home)
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
            return asyncio.run(_measure(Path(tmp), repeats))
        except Exception as exc:  # the server would not start: both metrics fail, with why
            why = f"{type(exc).__name__}: {exc}"
            return [failed("startup", "spawn -> initialize answered / bare pygls import", "x", why, target=1.2, op="<="),
                    failed("rss", "idle server RSS after initialize", "MB", why, target=60.0, op="<=")]
