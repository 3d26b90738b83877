"""The built-in patterns (seed 004, done better): primary, tools, hybrid, validated, compete.

Each is an async function over a PatternJob returning an Outcome; `auto` is resolved by the router.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..models.base import ModelError
from . import prompts
from .checks import run_checks
from .job import Candidate, PatternJob
from .produce import draft_edit, edit_format, explain, produce, tool_edit
from .verdicts import judge, validate


@dataclass
class Outcome:
    candidate: Candidate | None
    note: str = ""
    partial: bool = False


def is_edit(job: PatternJob) -> bool:
    return job.request.action in ("implement", "fix")


async def primary(job: PatternJob) -> Outcome:
    """One call to the routed role."""
    job.total_steps = 1
    cand = await produce(job, job.route.role)
    return Outcome(await run_checks(job, cand))


async def tools(job: PatternJob) -> Outcome:
    """The tools role decides what to change as Edit calls; the server turns them into edits."""
    job.total_steps = 1
    if is_edit(job):
        cand = await tool_edit(job, "tools")
    else:
        cand = await produce(job, "tools")
    return Outcome(await run_checks(job, cand))


async def hybrid(job: PatternJob) -> Outcome:
    """Architect/editor: the reasoning model plans, the tools/coding model makes the exact edit."""
    if not is_edit(job):
        job.total_steps = 1
        return Outcome(await run_checks(job, await produce(job, "reasoning")))
    job.total_steps = 2
    plan = await explain(job, "reasoning", template=prompts.PLAN, step="plan", max_tokens=256)
    if plan.error:
        raise ModelError(f"architect: {plan.error}")
    editor = "tools" if edit_format(job, "tools") == "tool_calls" else job.route.role
    if editor == "tools":
        cand = await tool_edit(job, "tools", plan=plan.text, step="edit")
    else:
        cand = await draft_edit(job, editor, plan=plan.text, step="edit")
    out = Outcome(await run_checks(job, cand), note=f"plan by {plan.model}")
    return out


async def validated(job: PatternJob) -> Outcome:
    """Generate, then verdict (deterministic checks + validator model), revising up to N rounds."""
    rounds = job.engine.config.validated.rounds
    role = job.route.role
    job.total_steps = 2 + 2 * rounds
    cand = await produce(job, role)
    verdict = None
    for rnd in range(rounds + 1):
        verdict = await validate(job, cand)
        if verdict.passed:
            note = "PASS" + (f" after {rnd} revision{'s' if rnd != 1 else ''}" if rnd else "")
            return Outcome(cand, note=f"validator {note}")
        reasons = "; ".join(verdict.reasons)[:300]
        if rnd == rounds:
            break
        job.total_steps = max(job.total_steps, job.done_steps + 2)
        await job.say(f"validator: FAIL — revising {rnd + 1}/{rounds}: {reasons}", step="revise", role=role)
        cand = await produce(job, role, prior=cand, feedback=reasons, step=f"revise {rnd + 1}")
    assert verdict is not None
    reasons = "; ".join(verdict.reasons)[:300]
    if cand.usable and verdict.source != "checks":
        return Outcome(cand, note=f"validator still FAIL after {rounds} revisions: {reasons}", partial=True)
    cand.error = cand.error or f"rejected after {rounds} revisions: {reasons}"
    return Outcome(cand, note=cand.error)


def parse_competitor(spec: str) -> tuple[str, float | None]:
    role, _, temp = spec.partition("@")
    return role, float(temp) if temp else None


async def race_competitors(job: PatternJob, one: Callable[[str, float | None, str], Awaitable[Any]],
                           ) -> tuple[list[Any], list[str]]:
    """Run the configured competitors concurrently, `one(role, temperature, step)` each; returns the usable
    candidates and "spec: why" for the rest (shared by the editor and chat compete patterns)."""
    specs = job.engine.config.compete.competitors
    job.total_steps = len(specs) + 1
    await job.say(f"{len(specs)} competitors running in parallel", step="compete")
    runs = (one(*parse_competitor(spec), f"competitor {chr(65 + i)}") for i, spec in enumerate(specs))
    results = await asyncio.gather(*runs, return_exceptions=True)
    return sort_competitors(specs, results)


async def compete(job: PatternJob) -> Outcome:
    """K competitors run concurrently; broken candidates are disqualified; a judge picks the best."""

    async def one(role: str, temperature: float | None, step: str) -> Candidate:
        return await run_checks(job, await produce(job, role, temperature=temperature, step=step))

    cands, failures = await race_competitors(job, one)
    return await pick_best(job, cands, failures)


async def pick_best(job: PatternJob, cands: list[Any], failures: list[str], *, template: str = prompts.JUDGE,
                    shown: list[Any] | None = None) -> Outcome:
    """The judge's pick among usable candidates; `shown` is what the judge reads for each, if not them."""
    dq = f"; disqualified {len(failures)}" if failures else ""
    if len(cands) == 1:
        return Outcome(cands[0], note=f"one usable candidate{dq}")
    idx, reason = await judge(job, shown or cands, job.engine.config.compete.judge_role, template=template)
    return Outcome(cands[idx], note=f"judge picked {cands[idx].model} of {len(cands)}{dq}: {reason}"[:300])


def sort_competitors(specs: list[str], results: list[Any]) -> tuple[list[Any], list[str]]:
    """(usable candidates, "spec: why" for the rest) from gather(..., return_exceptions=True);
    cancellation is re-raised, and none usable is a ModelError naming every failure."""
    cands: list[Any] = []
    failures: list[str] = []
    for spec, r in zip(specs, results):
        if isinstance(r, asyncio.CancelledError):
            raise r
        if isinstance(r, BaseException):
            if not isinstance(r, Exception):
                raise r
            failures.append(f"{spec}: {r}")
        elif not r.usable:
            failures.append(f"{spec}: {r.error or '; '.join(r.checks)}")
        else:
            cands.append(r)
    if not cands:
        raise ModelError("no usable candidate: " + "; ".join(failures))
    return cands, failures


BUILTIN = {
    "primary": primary,
    "tools": tools,
    "hybrid": hybrid,
    "validated": validated,
    "compete": compete,
}
