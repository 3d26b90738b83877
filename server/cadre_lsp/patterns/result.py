"""Run a routed code request through its pattern and shape the Result (see patterns/__init__.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..core import CadreError, ProgressCallback, Request, Result, Route
from ..models.base import ModelError
from .code import CodeJob
from .job import Outcome
from .registry import lookup
from .target import build_target

if TYPE_CHECKING:
    from ..config.schema import Config
    from ..models.pool import ModelPool


async def run_pattern(config: Config, pool: ModelPool, request: Request, route: Route,
                      progress: ProgressCallback) -> Result:
    fn = lookup(route.pattern, config)
    if fn is None:
        return Result(action=request.action, route=route, error=f"unknown pattern {route.pattern!r}")
    job = CodeJob(config=config, pool=pool, request=request, route=route, progress=progress,
                  target=build_target(request, config.generation.context_tokens))
    try:
        outcome = await fn(job)
    except (ModelError, CadreError) as exc:
        msg = f"{request.action} via {route.pattern} failed: {exc}"
        return Result(action=request.action, route=route, error=msg, summary=msg, steps=job.steps)
    return to_result(job, outcome)


def to_result(job: CodeJob, outcome: Outcome) -> Result:
    req, route = job.request, job.route
    cand = outcome.candidate
    elapsed = time.perf_counter() - job.started
    calls = len(job.steps)
    tail = f"{elapsed:.1f}s, {calls} model call{'s' if calls != 1 else ''}"
    res = Result(action=req.action, route=route, steps=job.steps, partial=outcome.partial)
    if cand is not None and cand.verification is not None:
        res.verification = cand.verification.as_dict()
    # The user should know an endpoint failed even when a fallback saved the job.
    fallbacks = "; ".join(dict.fromkeys(s.note for s in job.steps if s.note.startswith("fell back from")))
    if cand is None or cand.error or cand.checks:
        why = (cand.error or "; ".join(cand.checks)) if cand else "nothing produced"
        res.error = f"no usable {'edit' if req.action in ('fix', 'implement') else 'answer'}: {why}"
        by = f"{cand.model}, " if cand and cand.model else ""
        res.summary = f"{req.action} via {route.pattern}: {res.error} ({by}{fallbacks + ', ' if fallbacks else ''}{tail})"
        res.text = cand.raw if cand else ""
        return res
    note = "".join(f"; {n}" for n in job.notes if n)
    if fallbacks:
        note += f"; {fallbacks}"
    if cand.refused:
        note += "; refused " + "; ".join(cand.refused)
    unverified = job.unverified_why() if cand.verification is None else ""
    if unverified:
        note += f"; not verified by running it ({unverified})"
    if req.action in ("fix", "implement") and cand.edit is not None:
        res.edits = [cand.edit]
        changed = sum(1 for _ in cand.edit.changes)
        res.text = cand.raw
        res.summary = f"{req.action} via {route.pattern}: {changed} change{'s' if changed != 1 else ''} " \
                      f"by {cand.model}{note} ({tail})"
    elif req.action == "review":
        res.findings = cand.findings or []
        res.text = cand.text
        n = len(res.findings)
        res.summary = f"review via {route.pattern}: {n} finding{'s' if n != 1 else ''} by {cand.model}{note} ({tail})"
    else:
        res.text = cand.text
        res.summary = f"{req.action} via {route.pattern} by {cand.model}{note} ({tail})"
    return res
