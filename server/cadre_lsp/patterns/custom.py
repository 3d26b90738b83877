"""Custom patterns declared in config: a named list of steps (seed 004 "custom patterns", seed 001 chains).

    [patterns.review_and_fix]
    steps = [
      { kind = "generate", role = "reasoning", prompt = "plan" },      # text without code = a plan
      { kind = "generate", role = "coding" },                          # consecutive generates run in parallel
      { kind = "generate", role = "competitor", temperature = 0.7 },
      { kind = "judge", role = "judge" },
      { kind = "validate", role = "validator", until = "pass", max_rounds = 2 },
    ]

Step kinds: generate (a candidate, or a plan when the reply has no code), extract_tools (the tools model
turns the previous text into Edit calls), validate (verdict; with until="pass" it revises in a loop),
revise (one revision with the last verdict's reasons), judge (pick among the candidates so far).
"""

from __future__ import annotations

import asyncio

from ..config.schema import PatternStep
from ..models.base import ModelError
from .builtin import Outcome, is_edit
from .checks import run_checks
from .job import Candidate, PatternJob
from .produce import produce, tool_edit
from .validation import TEMPLATES
from .verdicts import judge, validate


async def run_custom(job: PatternJob, name: str) -> Outcome:
    """Interpret a custom pattern's steps in order."""
    steps = job.engine.config.patterns[name].steps
    job.total_steps = len(steps)
    candidates: list[Candidate] = []
    current: Candidate | None = None
    plan: str | None = None
    last_reasons = ""
    notes: list[str] = []
    i = 0
    while i < len(steps):
        step = steps[i]
        if step.kind == "generate":
            group = [step]
            while i + 1 < len(steps) and steps[i + 1].kind == "generate" and steps[i + 1].prompt is None \
                    and step.prompt is None:
                i += 1
                group.append(steps[i])
            made = await asyncio.gather(*(_generate(job, s, plan) for s in group))
            for cand in made:
                if is_edit(job) and "```" not in cand.raw and (cand.error or cand.checks):
                    plan = cand.raw.strip()  # prose without code: a plan for the next step
                    notes.append(f"plan by {cand.model}")
                    continue
                candidates.append(cand)
                current = cand
        elif step.kind == "extract_tools":
            source = plan or (current.raw if current else "")
            current = await run_checks(job, await tool_edit(job, step.role, source_text=source,
                                                           step=step.name or "extract_tools"))
            candidates.append(current)
        elif step.kind == "judge":
            usable = [c for c in candidates if c.usable]
            if not usable:
                raise ModelError("no usable candidate to judge: " + "; ".join(
                    c.error or "; ".join(c.checks) for c in candidates))
            idx, reason = await judge(job, usable, step.role)
            current = usable[idx]
            notes.append(f"judge: {reason}"[:160])
        elif step.kind in ("validate", "revise"):
            if current is None:
                raise ModelError(f"step {i + 1}: nothing to {step.kind}")
            rounds = step.max_rounds if step.until == "pass" else 0
            if step.kind == "revise":
                current = await produce(job, step.role, prior=current, feedback=last_reasons or "improve it",
                                        temperature=step.temperature, step=step.name or "revise")
                current = await run_checks(job, current)
            else:
                for rnd in range(rounds + 1):
                    verdict = await validate(job, current, step.role, step=step.name or "validate")
                    last_reasons = "; ".join(verdict.reasons)[:300]
                    if verdict.passed or rnd == rounds:
                        notes.append(f"validator {'PASS' if verdict.passed else 'FAIL: ' + last_reasons}")
                        break
                    await job.say(f"validator: FAIL — revising {rnd + 1}/{rounds}: {last_reasons}",
                                  step="revise")
                    current = await produce(job, current.role, prior=current, feedback=last_reasons,
                                            step=f"revise {rnd + 1}")
        i += 1
    if current is None:
        raise ModelError(f"pattern {name!r} produced nothing" + (f" (plan: {plan[:80]!r})" if plan else ""))
    return Outcome(current, note="; ".join(notes))


async def _generate(job: PatternJob, step: PatternStep, plan: str | None) -> Candidate:
    role, _, temp = step.role.partition("@")
    temperature = step.temperature if step.temperature is not None else (float(temp) if temp else None)
    template = TEMPLATES.get(step.prompt, step.prompt) if step.prompt else None
    cand = await produce(job, role, temperature=temperature, plan=plan, template=template,
                         step=step.name or f"generate ({role})")
    return await run_checks(job, cand)
