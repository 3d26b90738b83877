"""The built-in patterns: primary, tools, hybrid, validated, compete.

Each is an async function over a PatternJob (job.py), written once for the editor, the CLI and the
chat API: what a step produces and how it is checked is the job's business (CodeJob, ChatJob).
`auto` is resolved by the router.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..config.schema import parse_role_spec
from ..models.base import ModelError
from .job import Candidate, Outcome, PatternJob, Verdict, rounds_note, say_revising
from .verdicts import judge, validate


async def primary(job: PatternJob) -> Outcome:
    """One call to the routed role; a fix is then run on what its docstring states (no model call), so
    the user hears whether the examples pass, and a failing one is delivered as partial."""
    job.total_steps = 1
    cand = await job.check(await job.produce(job.route.role, final=True))
    if not (cand.usable and job.makes_edits and job.config.verify.primary):
        return Outcome(cand)
    verdict = await job.verify(cand, generate=False)
    if verdict is None:
        return Outcome(cand)
    reasons = "; ".join(verdict.reasons)[:300]
    job.notes.append(f"evidence {'PASS' if verdict.passed else 'FAIL'} ({reasons})")
    return Outcome(cand, partial=not verdict.passed, verdict=verdict)


async def tools(job: PatternJob) -> Outcome:
    """The tools role decides what to change as Edit calls (or the client's tool calls)."""
    job.total_steps = 1
    return Outcome(await job.check(await job.extract("tools", None, step="extract_tools", final=True)))


async def hybrid(job: PatternJob) -> Outcome:
    """Architect/editor: the reasoning model plans, the tools/coding model makes the exact change."""
    if not job.plans():
        job.total_steps = 1
        return Outcome(await job.check(await job.produce("reasoning", final=True)))
    job.total_steps = 2
    plan = await job.plan("reasoning")
    job.notes.append(f"plan by {plan.model}")
    cand = await job.produce(job.editor_role(), plan=plan.text, step="edit", final=True)
    return Outcome(await job.check(cand))


async def validated(job: PatternJob) -> Outcome:
    """Draft, then verdict (deterministic checks, then the evidence run, then - only without evidence -
    the validator model), revising with the concrete reasons up to N rounds."""
    rounds = job.config.validated.rounds
    job.total_steps = 2 + 2 * rounds
    await job.prepare()
    cand = await job.produce(job.route.role)
    return await validate_loop(job, cand, rounds)


async def validate_loop(job: PatternJob, cand: Candidate, rounds: int, *, validator: str = "validator",
                        reviser: str | None = None, step: str = "validate", ask_model: bool = True) -> Outcome:
    """Verdict, then revise with its reasons, up to `rounds` times. When the evidence still fails, extra
    samples are drawn (a 1.5B handed a failure often returns the same code) and the best by evidence is
    kept. A candidate the validator model never passed is delivered as partial, with a note; one the
    deterministic checks reject never is."""
    reviser = reviser or cand.role
    verdict: Verdict | None = None
    tried = [cand]
    for rnd in range(rounds + 1):
        verdict = await validate(job, cand, validator, step=step, ask_model=ask_model)
        if verdict.passed:
            detail = f" ({verdict.reasons[0]})" if verdict.source == "evidence" and verdict.reasons else ""
            job.notes.append(f"{_who(verdict)} PASS{rounds_note(rnd)}{detail}")
            return Outcome(cand, verdict=verdict)
        reasons = "; ".join(verdict.reasons)[:300]
        if rnd == rounds:
            break
        job.total_steps = max(job.total_steps, job.done_steps + 2)
        await say_revising(job, _who(verdict), rnd, rounds, reasons, reviser)
        ran = verdict.source == "evidence"
        feedback = "\n".join(f"- {r}" for r in verdict.reasons) if ran else reasons
        cand = await job.revise(cand, reviser, feedback, step=f"revise {rnd + 1}", ran=ran)
        tried.append(cand)
    assert verdict is not None
    if verdict.source == "evidence":
        best = await _resample(job, tried, reviser)
        if best is not None:
            best.verdict = verdict
            return best
    reasons = "; ".join(verdict.reasons)[:300]
    if cand.usable and verdict.source != "checks":
        job.notes.append(f"{_who(verdict)} still FAIL after {rounds} revisions: {reasons}")
        return Outcome(cand, partial=True, verdict=verdict)
    cand.error = cand.error or f"rejected after {rounds} revisions: {reasons}"
    return Outcome(cand, verdict=verdict)


async def _resample(job: PatternJob, tried: list[Candidate], role: str) -> Outcome | None:
    """Fresh drafts at a higher temperature, all run on the evidence; the best one tried is kept."""
    from .evidence import best_by_evidence

    n = job.config.verify.samples
    temp = job.config.verify.sample_temperature
    if n:
        await job.say(f"evidence: still failing; sampling {n} more candidates at temperature {temp:g}",
                      step="sample", role=role)
        job.total_steps = max(job.total_steps, job.done_steps + n)
        for i in range(n):
            cand = await job.check(await job.produce(role, temperature=temp, step=f"sample {i + 1}"))
            if not cand.usable:
                continue
            verdict = await job.verify(cand)
            tried.append(cand)
            if verdict is not None and verdict.passed:
                job.notes.append(f"evidence PASS on sample {i + 1} of {n} ({verdict.reasons[0]})")
                return Outcome(cand)
    best = best_by_evidence(tried)
    if best is None:
        return None
    cand, summary = best
    job.notes.append(f"no candidate passes all evidence; kept the best ({summary})")
    return Outcome(cand, partial=True)


def _who(verdict: Verdict) -> str:
    return {"evidence": "evidence", "checks": "checks", "none": "verify"}.get(verdict.source, "validator")


async def race_competitors(job: PatternJob, one: Callable[[str, float | None, str], Awaitable[Any]],
                           ) -> tuple[list[Any], list[str]]:
    """Run the configured competitors concurrently, `one(role, temperature, step)` each; returns the usable
    candidates and "spec: why" for the rest."""
    specs = job.config.compete.competitors
    job.total_steps = len(specs) + 1
    await job.say(f"{len(specs)} competitors running in parallel", step="compete")
    runs = (one(*parse_role_spec(spec), f"competitor {chr(65 + i)}") for i, spec in enumerate(specs))
    results = await asyncio.gather(*runs, return_exceptions=True)
    return sort_competitors(specs, results)


async def compete(job: PatternJob) -> Outcome:
    """K competitors run concurrently; broken candidates are disqualified; the evidence ranks the rest
    and the judge only breaks ties among the best."""

    async def one(role: str, temperature: float | None, step: str) -> Candidate:
        return await job.check(await job.produce(role, temperature=temperature, step=step))

    await job.prepare()
    cands, failures = await race_competitors(job, one)
    return await pick_best(job, cands, failures)


async def pick_best(job: PatternJob, cands: list[Candidate], failures: list[str], *,
                    role: str | None = None) -> Outcome:
    """The best usable candidate: by evidence where there is any, then the judge's pick among the tied."""
    from .evidence import rank_by_evidence

    dq = f"; disqualified {len(failures)}" if failures else ""
    ranked = ""
    if len(cands) > 1:
        cands, ranked = await rank_by_evidence(job, cands)
    if len(cands) == 1:
        job.notes.append(f"{ranked or 'one usable candidate'}{dq}")
        return Outcome(cands[0])
    if ranked:
        job.notes.append(ranked)
    idx, reason = await judge(job, cands, role or job.config.compete.judge_role)
    job.notes.append(f"judge picked {cands[idx].model} of {len(cands)}{dq}: {reason}"[:300])
    return Outcome(cands[idx])


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

