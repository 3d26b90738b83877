"""Editor latency over JSON-RPC, measured from the client's side of the pipe against the real server.

One session: 20 slow fix jobs start (each timed from executeCommand to its first `$/progress`), and
while all 20 stream tokens, codeAction and cached hover are each asked many times. The scripted model
makes the jobs slow without using the CPU, so what is measured is the server's own responsiveness.
Beside each latency: the same requests with no job running, and the server's CPU per request, which
(unlike latency) other processes on a shared machine cannot inflate.

`run(real=True)` (--full: rows codeaction_real, hover_real, progress_real) gives the 20 jobs to the bundled
0.5B instead: llama.cpp computing on every core in the model host (models/hosted.py) while the editor
asks, which is what a user feels; the host's CPU share during the measurement is reported beside it.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.reliability import rawrpc

from .metrics import Metric, failed, median, ms, percentile, rounded
from .scripted import HOVER_WORDS, SOURCE, ScriptedWorkspace

JOBS = 20
SAMPLES = 200
"""Requests per round; p99 is taken per round and the median of the rounds reported."""
JOB_SECONDS = 60.0
"""Each job's simulated model call lasts about this long (the jobs are cancelled at shutdown)."""
HOVER_TEXT = "Adds up the prices (but subtracts them: a bug)."


def busy_module(n: int = JOBS) -> str:
    """The shop module plus n small buggy functions, one per job (distinct ranges: no job supersedes another)."""
    parts = [SOURCE]
    for i in range(n):
        parts.append(f'\n\ndef step_{i}(x):\n    """Return x plus {i}."""\n    return x - {i}\n')
    return "".join(parts)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n")


def _range(line: int, end_char: int = 0) -> dict[str, Any]:
    return {"start": {"line": line, "character": 0}, "end": {"line": line, "character": end_char}}


REAL_MODEL = "qwen2.5-coder-0.5b"
REAL_SLOTS = 2


def _config(ws: ScriptedWorkspace, real: bool = False) -> Path:
    slow_reply = "```python\n" + " ".join(f"w{i}" for i in range(int(JOB_SECONDS * 20))) + "\n```"
    slow: dict[str, Any] = {"exchanges": [{"reply": slow_reply}], "latency_s": 0.2, "tokens_per_s": 20.0,
                            "concurrency": JOBS, "timeout_s": 600.0}
    if real:  # the model named by path: the server runs with the bench's own (empty) cache dir
        from cadre_lsp.models.bundled import ensure_model

        slow = {"kind": "embedded", "model": str(ensure_model(REAL_MODEL)), "concurrency": REAL_SLOTS,
                "max_tokens": 2000, "temperature": 0.8, "timeout_s": 1800.0, "retries": 0, "keep_alive": "-1",
                "edit_format": "rewrite"}
    return ws.write_config(
        {"slow": slow,
         "fast": {"exchanges": [{"match": HOVER_WORDS, "reply": HOVER_TEXT}, {"reply": "ok"}]}},
        roles={r: "fast" for r in ("reasoning", "validator", "competitor", "judge", "tools", "summarizer")}
        | {"coding": "slow"},
        extra={"jobs_per_role": {"coding": JOBS}, "hover": {"role": "summarizer", "budget_ms": 3000},
               "action_patterns": {"fix": "primary"}})


def _host_pid(client: Any) -> int | None:
    st = client.call("workspace/executeCommand", {"command": "cadre.status", "arguments": []}) or {}
    return next((h.get("pid") for h in (st.get("hosts") or {}).values() if h.get("pid")), None)


def _measure(root: Path, rounds: int, real: bool = False) -> list[Metric]:
    ws = ScriptedWorkspace(root / "project")
    text = busy_module()
    path = ws.root / "busy.py"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    config = _config(ws, real)
    home = root / "home"
    home.mkdir()
    lines = text.split("\n")
    hover_pos = {"line": _line_of(text, "total -= p"), "character": 10}
    with rawrpc.session(ws.root, home, config) as client:
        client.open(uri, text)

        def code_action(line: int) -> tuple[float, int]:
            params = {"textDocument": {"uri": uri}, "range": _range(line, len(lines[line])),
                      "context": {"diagnostics": []}}
            t0 = time.perf_counter()
            result = client.call("textDocument/codeAction", params)
            return time.perf_counter() - t0, len(result or [])

        def hover() -> tuple[float, str]:
            t0 = time.perf_counter()
            h = client.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": hover_pos})
            dt = time.perf_counter() - t0
            contents = (h or {}).get("contents")
            return dt, str(contents.get("value") if isinstance(contents, dict) else contents or "")

        # warm-up: the first code action, and the hover that fills the cache (answered by the fast endpoint)
        n_actions = code_action(0)[1]
        first_hover = hover()[1]
        if HOVER_TEXT not in first_hover:
            raise RuntimeError(f"hover did not answer from the model: {first_hover!r}")

        # the same requests with no job running; the server's CPU per request
        pid = client.pid
        c0 = cpu_seconds(pid)
        idle_ca = [ms(code_action(i % len(lines))[0]) for i in range(0, SAMPLES * 7, 7)]
        c1 = cpu_seconds(pid)
        idle_hv = [ms(hover()[0]) for _ in range(SAMPLES)]
        c2 = cpu_seconds(pid)
        cpu_ca, cpu_hv = ms(c1 - c0) / SAMPLES, ms(c2 - c1) / SAMPLES

        # start the jobs, each timed from executeCommand to its first $/progress
        first_progress: list[float] = []
        seen: set[str] = set()
        for i in range(JOBS):
            line = _line_of(text, f"    return x - {i}\n")
            args = {"uri": uri, "range": _range(line, 4), "version": 1}
            t0 = time.perf_counter()
            reply = client.call("workspace/executeCommand", {"command": "cadre.fix", "arguments": [args]})
            if not (isinstance(reply, dict) and reply.get("jobId")):
                raise RuntimeError(f"cadre.fix returned {reply!r}")
            at, token = client.wait_progress_begin(t0, seen, 10)
            seen.add(token)
            first_progress.append(at - t0)
        host = None
        if real:  # wait for the host to load and compute (the first calls are in its slots)
            deadline = time.monotonic() + 300
            while host is None and time.monotonic() < deadline:
                time.sleep(0.5)
                host = _host_pid(client)
            if host is None:
                raise RuntimeError("the model host did not start")
            time.sleep(3.0)
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        h0 = cpu_seconds(host) if host else 0.0
        time.sleep(1.0)  # every job is now streaming tokens
        background = 100 * (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)
        t_measure, h_measure = time.perf_counter(), cpu_seconds(host) if host else 0.0
        ends_before = sum(1 for _, tok, kind in client.progress if kind == "end" and tok in seen)
        notes_before = len(client.progress)

        action_s: list[list[float]] = []
        hover_s: list[list[float]] = []
        counts, answers = [], set()
        for r in range(rounds):
            block = []
            for k in range(SAMPLES):
                dt, n = code_action((7 * (k + r * SAMPLES)) % len(lines))
                block.append(dt)
                counts.append(n)
            action_s.append(block)
            block = []
            for _ in range(SAMPLES):
                dt, answer = hover()
                block.append(dt)
                answers.add(answer)
            hover_s.append(block)
        ends_after = sum(1 for _, tok, kind in client.progress if kind == "end" and tok in seen)
        load = {"jobs_running": JOBS - ends_after, "jobs_finished_early": ends_before,
                "server_cpu_pct_jobs_alone": round(background, 1),
                "progress_notifications_during": len(client.progress) - notes_before}
        if host:
            load["model_host_cpu_pct_during"] = round(
                100 * (cpu_seconds(host) - h_measure) / (time.perf_counter() - t_measure), 1)
            load["model_host_cpu_pct_jobs_alone"] = round(100 * (h_measure - h0) / (t_measure - t0), 1)
    if real and load["jobs_running"] < REAL_SLOTS:
        raise RuntimeError(f"only {load['jobs_running']} real jobs still ran at the end of the measurement")
    if ends_after and not real:
        raise RuntimeError(f"{ends_after} of {JOBS} jobs ended before the measurement finished")
    if min(counts) == 0 or n_actions == 0:
        raise RuntimeError("the server returned no code actions")
    if answers != {first_hover}:
        raise RuntimeError(f"cached hover changed its answer: {sorted(answers)[:3]}")
    fp = [ms(x) for x in first_progress]
    sfx, what = ("_real", f"{JOBS} real embedded jobs ({REAL_MODEL}, {REAL_SLOTS} computing)") if real \
        else ("", f"{JOBS} jobs")
    return [_latency("codeaction" + sfx, f"textDocument/codeAction p99 while {what} run", action_s, idle_ca,
                     cpu_ca, actions_listed=n_actions, **load),
            _latency("hover" + sfx, f"cached hover p99 while {what} run", hover_s, idle_hv, cpu_hv),
            Metric("progress" + sfx, f"executeCommand -> first $/progress (median of {JOBS} job starts)", median(fp),
                   "ms",
                   20.0, "<=", detail={"p90": round(percentile(fp, 90), 3), "max": round(max(fp), 3),
                                       "samples_ms": rounded(fp, 2)})]


def _latency(id: str, name: str, rounds_s: list[list[float]], idle_ms: list[float], cpu_ms: float,
             **extra: Any) -> Metric:
    """p99 per round of requests (ms), median over the rounds, with the idle p99 and CPU beside it."""
    rounds = [[ms(x) for x in block] for block in rounds_s]
    flat = [x for block in rounds for x in block]
    p99s = [percentile(block, 99) for block in rounds]
    return Metric(id, name, median(p99s), "ms", 5.0, "<=", detail={
        "p99_per_round": rounded(p99s, 3), "p50": round(median(flat), 3), "p90": round(percentile(flat, 90), 3),
        "max": round(max(flat), 3), "idle_p99": round(percentile(idle_ms, 99), 3),
        "server_cpu_ms_per_request": round(cpu_ms, 3), "samples": len(flat), **extra})


def run(rounds: int = 3, real: bool = False) -> list[Metric]:
    sfx = "_real" if real else ""
    with tempfile.TemporaryDirectory(prefix="cadre-bench-lsp-") as tmp:
        try:
            return _measure(Path(tmp), rounds, real)
        except Exception as exc:  # the server would not start or misbehaved: every metric fails, with why
            why = f"{type(exc).__name__}: {exc}"
            return [failed("codeaction" + sfx, f"textDocument/codeAction p99 while {JOBS} jobs run", "ms", why,
                           target=5.0, op="<="),
                    failed("hover" + sfx, "cached hover p99", "ms", why, target=5.0, op="<="),
                    failed("progress" + sfx, "executeCommand -> first $/progress", "ms", why, target=20.0,
                           op="<=")]
