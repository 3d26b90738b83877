"""Real-model benches (--full): the bundled 0.5B on the embedded llama.cpp backend, on this machine's CPU.

The engine's `embedded` endpoints are served by the model host (a child process, models/hosted.py); the
yardstick ("bare") is llama.cpp loaded in this process with the same parameters and called directly.

- generation: `fix` through the whole engine (host, HTTP, openai client) vs the same messages sent straight
  to an in-process xllamacpp Server;
- host kill: the host SIGKILLed mid-stream: how soon the call says so, and how soon the next is answered;
- compete: two equal competitors on one model with 2 parallel slots vs the same pattern with 1 slot;
- KV reuse: what share of the validated pattern's 2nd prompt llama.cpp served from its cache.

llama.cpp keeps finished prompts in a RAM cache and restores them into any slot, so "the same messages"
means a warm prompt the second time. Judged comparisons are therefore made warm on both sides (decode
dominates, as the issue's ~0.89 compete limit assumes); cold figures use a per-run nonce in the user
instruction, which leaves only the system prompt and the first sentence shareable.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from cadre_lsp.core import Request, Span

from .metrics import Metric, failed, median, ms, rounded
from .recording import Call, recorded_engine
from .scripted import ALL_ROLES, ScriptedWorkspace

MODEL = "qwen2.5-coder-0.5b"
BUGS = Path(__file__).resolve().parent / "bugs"
MAX_TOKENS = 200
KV_BUG = "find_max.py"
"""The 0.5B drafts a changed, parseable function for this one, so the 2nd call is the validator's."""


def _endpoint(**kw: Any) -> dict[str, Any]:
    return {"kind": "embedded", "model": MODEL, "edit_format": "rewrite", "temperature": 0.0,
            "max_tokens": MAX_TOKENS, "timeout_s": 900.0, "retries": 0, **kw}


def bug_request(ws_root: Path, name: str, *, pattern: str, instruction: str = "") -> Request:
    """A fix request on the bug file's function, cursor on its `def` line (copied into the workspace)."""
    path = ws_root / name
    if not path.exists():
        shutil.copy(BUGS / name, path)
    text = path.read_text(encoding="utf-8")
    line = next(i for i, ln in enumerate(text.split("\n")) if ln.startswith("def "))
    return Request(action="fix", path=str(path), text=text, span=Span.lines(line, line), version=1,
                   language="python", pattern=pattern, instruction=instruction, workspace_root=str(ws_root))


def _llama_seconds(c: Call) -> float:
    """The time llama.cpp itself reports for a call (prompt evaluation + generation): the part of the wall
    clock that is the model's, whatever else the machine was doing at that moment."""
    if c.completion is None:
        return float("nan")
    u, t = c.completion.usage, c.completion.timings
    evaluated = max(0, u.prompt_tokens - u.cached_tokens)
    prompt_s = evaluated / t.prompt_tokens_per_s if t.prompt_tokens_per_s else 0.0
    return max(1e-9, prompt_s + (u.completion_tokens / t.tokens_per_s if t.tokens_per_s else 0.0))


def bare_server(n_parallel: int = 1) -> Any:
    """llama.cpp alone, in this process, sized as the host sizes it: the yardstick for the engine.

    Built from a thread that first lowers its own priority to the host's (Linux nice is per thread, and
    llama.cpp's threads inherit it), so both sides compete alike with whatever else the machine runs."""
    import threading

    import xllamacpp as xlc

    from cadre_lsp.models.bundled import ensure_model
    from cadre_lsp.models.embedded import _cpu_count, llama_params
    from cadre_lsp.models.hosted import HOST_NICE

    params = llama_params(ensure_model(MODEL), 4096, n_parallel, _cpu_count(), secrets.token_urlsafe(16))
    out: list[Any] = []

    def build() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HOST_NICE)
        except (OSError, AttributeError):
            pass
        out.append(xlc.Server(params))

    t = threading.Thread(target=build)
    t.start()
    t.join()
    return out[0]


def _tokens(c: Call) -> tuple[int, int, int]:
    u = c.completion.usage if c.completion else None
    return (u.prompt_tokens, u.cached_tokens, u.completion_tokens) if u else (0, 0, 0)


# -- 7: engine vs bare llama.cpp ----------------------------------------------------------------------

async def bench_generation(root: Path, repeats: int) -> Metric:
    ws = ScriptedWorkspace(root / "generation")
    cfg = ws.write_config({"m": _endpoint()}, {r: "m" for r in ALL_ROLES},
                          extra={"action_patterns": {"fix": "primary"}})
    engine, log = recorded_engine(cfg, ws.root)
    try:
        first = await engine.run(bug_request(ws.root, "sum_prices.py", pattern="primary"))
        if not log.calls:
            raise RuntimeError(f"the engine made no model call: {first.error or first.summary}")
        call = log.calls[-1]
        server = bare_server()
        bare_req = {"messages": call.messages, "max_tokens": call.options.get("max_tokens"), "temperature": 0.0}
        engine_s, bare_s, tokens = [], [], []
        own: dict[str, list[float]] = {"engine": [], "bare": []}
        for i in range(repeats):
            for which in (("engine", "bare") if i % 2 == 0 else ("bare", "engine")):
                t0 = time.perf_counter()
                if which == "engine":
                    n = len(log.calls)
                    await engine.run(bug_request(ws.root, "sum_prices.py", pattern="primary"))
                    engine_s.append(time.perf_counter() - t0)
                    tokens.append(("engine", *_tokens(log.calls[n])))
                    own["engine"].append(engine_s[-1] / _llama_seconds(log.calls[n]))
                else:
                    out = server.handle_chat_completions(dict(bare_req))
                    bare_s.append(time.perf_counter() - t0)
                    u = out.get("usage", {}) if isinstance(out, dict) else {}
                    cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
                    tokens.append(("bare", u.get("prompt_tokens", 0), cached, u.get("completion_tokens", 0)))
                    t = out.get("timings", {}) if isinstance(out, dict) else {}
                    own["bare"].append(bare_s[-1] / max(1e-9, (t.get("prompt_ms", 0) + t.get("predicted_ms", 0)) / 1000))
    finally:
        await engine.aclose()
    ratios = [e / b for e, b in zip(engine_s, bare_s)]
    generated = {t[3] for t in tokens}
    detail = {"ratios": rounded(ratios), "engine_s": rounded(engine_s), "bare_s": rounded(bare_s),
              "wall_over_llama_reported_time": {k: round(median(v), 4) for k, v in own.items()},
              "calls (who, prompt, cached, generated)": tokens, "model": MODEL,
              "same_tokens": len(generated) == 1, "first_run_s": round(call.seconds, 2)}
    m = Metric("model_overhead", "real model: `fix` through the engine and its model host / bare in-process "
               "xllamacpp, same messages (warm)",
               median(ratios), "x", 1.10, "<=", detail=detail)
    if len(generated) != 1:
        m.error = f"engine and bare generated different token counts: {sorted(generated)}"
    return m


# -- 8: compete with 2 slots vs 1 ----------------------------------------------------------------------

def _phase(calls: list[Call], endpoint: str) -> float:
    cs = [c for c in calls if c.endpoint == endpoint]
    return max(c.finished for c in cs) - min(c.started for c in cs)


async def bench_compete(root: Path, repeats: int) -> list[Metric]:
    ws = ScriptedWorkspace(root / "compete")
    extra = {"compete": {"competitors": ["coding", "competitor"], "judge_role": "judge"},
             "action_patterns": {"fix": "primary"}}
    # Endpoints of one model share one llama.cpp Server sized by the largest `concurrency`: 2 slots.
    eps = {"duo": _endpoint(concurrency=2), "solo": _endpoint(concurrency=1), "judge": _endpoint()}
    roles = {r: "judge" for r in ALL_ROLES}
    par_cfg = ws.write_config(eps, roles | {"coding": "duo", "competitor": "duo"}, name="parallel.toml", extra=extra)
    seq_cfg = ws.write_config(eps, roles | {"coding": "solo", "competitor": "solo"}, name="sequential.toml",
                              extra=extra)
    engines = {"parallel": recorded_engine(par_cfg, ws.root), "sequential": recorded_engine(seq_cfg, ws.root)}
    for engine, _ in engines.values():  # every endpoint registers its slot needs before the model loads
        for name in eps:
            engine.pool.backend(name)
    ep = {"parallel": "duo", "sequential": "solo"}
    walls: dict[str, list[float]] = {"parallel": [], "sequential": []}
    phases: dict[str, list[float]] = {"parallel": [], "sequential": []}
    cold: dict[str, list[float]] = {"parallel": [], "sequential": []}
    gen: list[Any] = []

    async def once(mode: str, instruction: str = "") -> tuple[float, float]:
        engine, log = engines[mode]
        n = len(log.calls)
        t0 = time.perf_counter()
        r = await engine.run(bug_request(ws.root, "find_max.py", pattern="compete", instruction=instruction))
        wall = time.perf_counter() - t0
        calls = log.since(n)
        if r.error and not any(c.endpoint == ep[mode] for c in calls):
            raise RuntimeError(f"compete ({mode}) failed: {r.error}")
        gen.append((mode, [_tokens(c) for c in calls if c.endpoint == ep[mode]], r.summary[:200]))
        return wall, _phase(calls, ep[mode])

    try:
        await once("parallel")  # load, and warm the prompts (llama.cpp's prompt cache keeps them)
        await once("sequential")
        for i in range(repeats):
            for mode in (("parallel", "sequential") if i % 2 == 0 else ("sequential", "parallel")):
                wall, phase = await once(mode)
                walls[mode].append(wall)
                phases[mode].append(phase)
        for i, mode in enumerate(("parallel", "sequential")):  # cold: a fresh nonce per run
            cold[mode].append((await once(mode, instruction=f"(run {time.time_ns() % 10**8:08d}-{i})"))[1])
        log = engines["parallel"][1]
        competitor = next(c for c in reversed(log.calls) if c.endpoint == "duo")
        bare = bare_batching(bare_server(2), competitor, max(2, repeats - 2))
    finally:
        for engine, _ in engines.values():
            await engine.aclose()
    phase_ratios = [p / s for p, s in zip(phases["parallel"], phases["sequential"])]
    wall_ratios = [p / s for p, s in zip(walls["parallel"], walls["sequential"])]
    return [
        Metric("model_compete", "real model, 2 equal competitors on 2 slots of one 2-core CPU: competitor "
               "phase / the same with 1 slot (warm prompts)", median(phase_ratios), "x", 0.92, "<=", detail={
                   "ratios": rounded(phase_ratios), "parallel_phase_s": rounded(phases["parallel"]),
                   "sequential_phase_s": rounded(phases["sequential"]),
                   "whole_pattern_ratios": rounded(wall_ratios), "parallel_wall_s": rounded(walls["parallel"]),
                   "sequential_wall_s": rounded(walls["sequential"]),
                   "bare_xllamacpp_2_concurrent_over_2_in_turn": bare,
                   "runs (mode, competitor calls (prompt, cached, generated), summary)": gen, "model": MODEL}),
        Metric("model_compete_cold", "real model, same with cold prompts (prefill of both competitors)",
               cold["parallel"][0] / cold["sequential"][0], "x", detail={
                   "parallel_phase_s": rounded(cold["parallel"]), "sequential_phase_s": rounded(cold["sequential"])}),
    ]


def bare_batching(server: Any, call: Call, repeats: int) -> dict[str, Any]:
    """llama.cpp alone: one competitor's request twice at once (2 slots) vs twice in turn, warm prompts.
    This is the most batching can give on this CPU, with none of our code involved."""
    import threading

    req = {"messages": call.messages, "max_tokens": call.options.get("max_tokens"), "temperature": 0.0}

    def one() -> None:
        server.handle_chat_completions(dict(req))

    ratios = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        one()
        one()
        in_turn = time.perf_counter() - t0
        threads = [threading.Thread(target=one) for _ in range(2)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ratios.append((time.perf_counter() - t0) / in_turn)
    return {"median": round(median(ratios), 4), "ratios": rounded(ratios)}


# -- host kill ------------------------------------------------------------------------------------------

async def bench_host_kill(repeats: int) -> list[Metric]:
    """SIGKILL the model host while a call streams: kill -> that call's HostDied, and kill -> the next call
    answered by a new host (the model load included)."""
    from cadre_lsp.config.schema import EndpointConfig
    from cadre_lsp.models.hosted import HostDied, HostedBackend

    b = HostedBackend("kill", EndpointConfig(kind="embedded", model=MODEL, keep_alive="-1"))
    count = [{"role": "user", "content": "Count from 1 to 100, separated by commas."}]
    notice, restart, load = [], [], []
    try:
        await b.load()
        for _ in range(repeats):
            got: list[str] = []
            task = asyncio.create_task(b.chat(count, max_tokens=300, temperature=0.0, on_token=got.append))
            while len(got) < 3 and not task.done():
                await asyncio.sleep(0.005)
            t_kill = time.perf_counter()
            os.kill(b.host.pid or 0, signal.SIGKILL)
            err = (await asyncio.gather(task, return_exceptions=True))[0]
            notice.append(time.perf_counter() - t_kill)
            if not isinstance(err, HostDied):
                raise RuntimeError(f"the killed call ended with {err!r}, not HostDied")
            await b.chat([{"role": "user", "content": "Say ok."}], max_tokens=4, temperature=0.0)
            restart.append(time.perf_counter() - t_kill)
            load.append(b.host.load_s or 0.0)
        st = b.host.state()
    finally:
        await b.aclose()
    return [Metric("host_kill_notice", "model host SIGKILLed mid-stream: kill -> the call's clear error (median)",
                   ms(median(notice)), "ms", detail={"samples_ms": [round(ms(x), 1) for x in notice],
                                                     "crashes_seen": st["crashes"], "model": MODEL}),
            Metric("host_restart", "model host SIGKILLed: kill -> next call answered by a new host (median, "
                   "model load included)", median(restart), "s", detail={
                       "samples_s": rounded(restart), "model_load_s": rounded(load), "starts": st["starts"]})]


# -- 9: KV cache reuse in validated ----------------------------------------------------------------------

def _continues(later: Call, earlier: Call) -> bool:
    """Whether `later` is the next turn of `earlier`'s conversation: its messages, then its answer."""
    n = len(earlier.messages)
    return (earlier.completion is not None and later.messages[:n] == earlier.messages and len(later.messages) > n
            and later.messages[n].get("role") == "assistant"
            and later.messages[n].get("content") == earlier.completion.text)


def _first_difference(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """Where two message lists stop sharing a prefix: message index, role, and the texts from there."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            xa, ya = str(x.get("content", "")), str(y.get("content", ""))
            k = next((j for j, (p, q) in enumerate(zip(xa, ya)) if p != q), min(len(xa), len(ya)))
            return {"message": i, "role": f"{x.get('role')} / {y.get('role')}", "shared_chars": k,
                    "first_call_continues": xa[k:k + 90], "second_call_continues": ya[k:k + 90]}
    return {"message": min(len(a), len(b)), "note": "one conversation is a prefix of the other"}


async def bench_kv(root: Path) -> Metric:
    """validated on one model (every role on the 0.5B), evidence off so the validator model is asked:
    every step after the draft (validator, revise) continues the draft's conversation, so its prompt
    should be served from llama.cpp's KV cache. The figure is over all those steps together."""
    ws = ScriptedWorkspace(root / "kv")
    cfg = ws.write_config({"m": _endpoint()}, {r: "m" for r in ALL_ROLES},
                          extra={"validated": {"rounds": 1}, "verify": {"enabled": False}})
    engine, log = recorded_engine(cfg, ws.root)
    try:
        nonce = f"(run {time.time_ns() % 10**8:08d})"  # nothing of this request is in llama.cpp's cache yet
        r = await engine.run(bug_request(ws.root, KV_BUG, pattern="validated", instruction=nonce))
    finally:
        await engine.aclose()
    calls = log.calls
    name = "validated on the real model: prompt tokens served from the KV cache, steps after the draft"
    if len(calls) < 2:
        return failed("kv", name, "%", f"validated made {len(calls)} call(s): {r.error or r.summary}",
                      target=90.0, op=">=")
    model_steps = [s for s in r.steps if s.role != "sandbox"]
    rows = [{"step": s.name, "role": s.role, "prompt": s.prompt_tokens, "cached": s.cached_tokens,
             "reused_pct": round(100.0 * s.cached_tokens / max(1, s.prompt_tokens), 1),
             "generated": s.completion_tokens} for s in model_steps]
    # What a cache could serve at best: an earlier call's prompt and answer where this call continues that
    # conversation (the rest is the step's new question); 0 where it starts a new one.
    model_calls = [c for c in calls if c.completion is not None][:len(model_steps)]
    for i, (row, call) in enumerate(zip(rows, model_calls)):
        if i == 0:
            continue
        repeated = max((_tokens(e)[0] + _tokens(e)[2] for e in model_calls[:i] if _continues(call, e)), default=0)
        row["continues_earlier"] = repeated > 0
        row["new_tokens"] = max(0, row["prompt"] - repeated)
        row["reused_of_repeated_pct"] = round(100.0 * row["cached"] / repeated, 1) if repeated else None
    after = model_steps[1:]
    prompt, cached = sum(s.prompt_tokens for s in after), sum(s.cached_tokens for s in after)
    return Metric("kv", f"{name} ({', '.join(s.name for s in after)})", 100.0 * cached / max(1, prompt), "%", 90.0,
                  ">=", detail={"steps": rows, "second_vs_first": _first_difference(calls[0].messages,
                                                                                   calls[1].messages),
                                "model": MODEL})


# -- entry -----------------------------------------------------------------------------------------------

async def _run(root: Path, repeats: int) -> list[Metric]:
    out: list[Metric] = []
    for name, coro_fn in (("model_overhead", lambda: bench_generation(root, max(9, repeats))),
                          ("model_compete", lambda: bench_compete(root, max(3, repeats - 2))),
                          ("kv", lambda: bench_kv(root)),
                          ("host_kill", lambda: bench_host_kill(max(3, repeats - 4)))):
        try:
            got = await coro_fn()
        except Exception as exc:  # a model that will not load fails its metrics, with the reason
            got = failed(name, name, "", f"{type(exc).__name__}: {exc}")
        out.extend(got if isinstance(got, list) else [got])
    return out


def run(repeats: int = 7) -> list[Metric]:
    with tempfile.TemporaryDirectory(prefix="cadre-bench-model-") as tmp:
        return asyncio.run(_run(Path(tmp), repeats))
