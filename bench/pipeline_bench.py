"""Pipeline benches on the scripted backend: orchestration overhead and parallel compete.

Model time is simulated (asyncio sleeps), so whatever the wall clock shows beyond it is our own code:
routing, context extraction, prompt building, edit synthesis, tree-sitter checks, progress, the pool.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from .metrics import Metric, median, rounded
from .scripted import (
    ScriptedWorkspace,
    coder_script,
    competitor_script,
    engine_for,
    judge_script,
    validator_script,
)

CALL_LATENCY_S = 0.2
"""Fixed simulated latency of every call in the overhead bench (replies then arrive at once)."""
TTFT_S = 0.2
TOKENS_PER_S = 50.0
"""The compete bench's simulated model: time to first token, then this many reply fragments a second
(a competitor rewrites the function, ~28 fragments; the judge answers a short JSON, ~6)."""


async def _collect(_event: Any) -> None:
    """Progress sink with the cost of a real one (the server formats and forwards each event)."""
    _ = _event.message.upper()


def _counts(engine: Any, names: list[str]) -> dict[str, int]:
    return {n: len(engine.pool.backend(n).requests) for n in names}


def _records_since(engine: Any, before: dict[str, int]) -> list[dict[str, Any]]:
    """Requests each scripted backend received since `before` (from `_counts`)."""
    return [r for n, k in before.items() for r in engine.pool.backend(n).requests[k:]]


def _model_seconds(records: list[dict[str, Any]]) -> float:
    return sum(r["finished"] - r["started"] for r in records if r["finished"] is not None)


async def bench_overhead(root: Path, repeats: int = 7) -> Metric:
    """Validated pattern, 4 calls (draft, FAIL, revise, PASS) at a fixed latency: wall / sum of calls."""
    ws = ScriptedWorkspace(root / "overhead")
    cfg = ws.write_config(
        {"coder": {"exchanges": coder_script(), "latency_s": CALL_LATENCY_S},
         "checker": {"exchanges": validator_script(), "latency_s": CALL_LATENCY_S}},
        roles={"validator": "checker"}, extra={"validated": {"rounds": 2}})
    engine = engine_for(cfg, ws)
    names = ["coder", "checker"]
    try:
        warm = await engine.run(ws.request(pattern="validated"), _collect)  # parsers, imports, first prompts
        if warm.error:
            raise RuntimeError(f"validated run failed: {warm.error}")
        ratios, walls, models, calls = [], [], [], []
        for _ in range(repeats):
            before = _counts(engine, names)
            t0 = time.perf_counter()
            result = await engine.run(ws.request(pattern="validated"), _collect)
            wall = time.perf_counter() - t0
            records = _records_since(engine, before)
            if result.error or not result.edits:
                raise RuntimeError(f"validated run failed: {result.error or 'no edit'}")
            model = _model_seconds(records)
            ratios.append(wall / model)
            walls.append(wall)
            models.append(model)
            calls.append(len(records))
    finally:
        await engine.aclose()
    overhead_ms = [1000 * (w - m) for w, m in zip(walls, models)]
    return Metric("overhead", "orchestration overhead: validated wall / sum of its 4 model calls", median(ratios),
                  "x", 1.02, "<=", detail={
                      "ratios": rounded(ratios), "walls_s": rounded(walls), "model_s": rounded(models),
                      "overhead_ms_median": round(median(overhead_ms), 2), "calls": calls,
                      "call_latency_s": CALL_LATENCY_S, "steps": [s.name for s in result.steps]})


def _compete_config(ws: ScriptedWorkspace, *, parallel: bool) -> Path:
    model = {"latency_s": TTFT_S, "tokens_per_s": TOKENS_PER_S}
    judge = {"exchanges": judge_script(), **model}
    extra = {"compete": {"competitors": ["coding", "competitor"], "judge_role": "judge"}}
    if parallel:  # two competitors, each on its own endpoint
        eps = {"a": {"exchanges": competitor_script(), **model}, "b": {"exchanges": competitor_script(), **model},
               "j": judge}
        return ws.write_config(eps, {"coding": "a", "competitor": "b", "judge": "j"}, name="parallel.toml",
                               extra=extra)
    # the same competitors on one single-slot endpoint: they run one after another, as MageAgent does
    eps = {"solo": {"exchanges": competitor_script(), "concurrency": 1, **model}, "j": judge}
    return ws.write_config(eps, {"coding": "solo", "competitor": "solo", "judge": "j"}, name="sequential.toml",
                           extra=extra)


def _phase(records: list[dict[str, Any]]) -> float:
    """First competitor start to last competitor finish."""
    return max(r["finished"] for r in records) - min(r["started"] for r in records)


async def bench_compete(root: Path, repeats: int = 5) -> tuple[Metric, Metric]:
    """Compete with 2 equal competitors + judge: parallel wall / sequential wall, runs interleaved."""
    ws = ScriptedWorkspace(root / "compete")
    engines = {True: engine_for(_compete_config(ws, parallel=True), ws),
               False: engine_for(_compete_config(ws, parallel=False), ws)}
    competitors = {True: ["a", "b"], False: ["solo"]}
    walls: dict[bool, list[float]] = {True: [], False: []}
    phases: dict[bool, list[float]] = {True: [], False: []}
    try:
        for par in (True, False):  # warm-up
            r = await engines[par].run(ws.request(pattern="compete"), _collect)
            if r.error:
                raise RuntimeError(f"compete run failed: {r.error}")
        for i in range(repeats):
            for par in ((True, False) if i % 2 == 0 else (False, True)):
                eng = engines[par]
                before = _counts(eng, competitors[par])
                t0 = time.perf_counter()
                r = await eng.run(ws.request(pattern="compete"), _collect)
                walls[par].append(time.perf_counter() - t0)
                phases[par].append(_phase(_records_since(eng, before)))
                if r.error or not any(s.name == "judge" for s in r.steps):
                    raise RuntimeError(f"compete run did not reach the judge: {r.error or r.summary}")
    finally:
        for eng in engines.values():
            await eng.aclose()
    ratios = [p / s for p, s in zip(walls[True], walls[False])]
    phase_ratios = [p / s for p, s in zip(phases[True], phases[False])]
    detail = {"ratios": rounded(ratios), "parallel_s": rounded(walls[True]), "sequential_s": rounded(walls[False]),
              "ttft_s": TTFT_S, "tokens_per_s": TOKENS_PER_S}
    whole = Metric("compete", "compete, 2 equal competitors + judge: wall / sequential wall (scripted)",
                   median(ratios), "x", 0.60, "<=", detail=detail)
    phase = Metric("compete_phase", "compete, competitor phase only: parallel / sequential (scripted)",
                   median(phase_ratios), "x", detail={"ratios": rounded(phase_ratios),
                                                      "parallel_s": rounded(phases[True]),
                                                      "sequential_s": rounded(phases[False])})
    return whole, phase


def run(repeats: int = 7) -> list[Metric]:
    """Both pipeline benches (quick mode)."""
    with tempfile.TemporaryDirectory(prefix="cadre-bench-") as tmp:
        return asyncio.run(_run(Path(tmp), repeats))


async def _run(root: Path, repeats: int) -> list[Metric]:
    return [await bench_overhead(root, repeats), *await bench_compete(root, max(3, repeats - 2))]
