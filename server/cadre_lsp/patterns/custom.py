"""Custom patterns declared in config: a named list of steps,
interpreted once for the editor, the CLI and the chat API.

    [patterns.review_and_fix]
    steps = [
      { kind = "generate", role = "reasoning", prompt = "plan" },      # a plan the later steps follow
      { kind = "generate", role = "coding" },                          # consecutive generates run in parallel
      { kind = "generate", role = "competitor", temperature = 0.7 },
      { kind = "judge", role = "judge" },
      { kind = "verify", until = "pass", max_rounds = 2 },             # run the code on its evidence
      { kind = "validate", role = "validator", until = "pass", max_rounds = 2 },
    ]

Step kinds: generate (a candidate; with `prompt = "plan"`, or for an edit a reply without code, a plan),
extract_tools (the tools model turns the plan or the previous answer into Edit calls or the client's
tool calls), verify (the candidate run on its evidence; with until="pass" it revises with the failures;
no model verdict), validate (checks, evidence, then the validator model; with until="pass" it revises
in a loop), revise (one revision with the last verdict's reasons), judge (evidence ranks the candidates
so far, the judge breaks ties).
"""

from __future__ import annotations

import asyncio

from ..config.schema import PatternStep, parse_role_spec
from ..models.base import ModelError
from .builtin import pick_best, validate_loop
from .job import Candidate, Outcome, PatternJob
from .prompts import TEMPLATES


async def run_custom(job: PatternJob, name: str) -> Outcome:
    """Interpret a custom pattern's steps in order."""
    job.check_steps(name)
    steps = job.config.patterns[name].steps
    job.total_steps = len(steps)
    if any(s.kind in ("verify", "validate", "judge") for s in steps):
        await job.prepare()
    candidates: list[Candidate] = []
    current: Candidate | None = None
    plan: str | None = None
    reasons = ""
    partial = False
    i = 0
    while i < len(steps):
        step = steps[i]
        label = step.name or step.kind
        if step.kind == "generate" and step.prompt == "plan":
            made_plan = await job.plan(parse_role_spec(step.role)[0], step=step.name or "plan")
            plan = made_plan.text
            job.notes.append(f"plan by {made_plan.model}")
        elif step.kind == "generate":
            group = [step]
            while step.prompt is None and i + 1 < len(steps) and steps[i + 1].kind == "generate" \
                    and steps[i + 1].prompt is None:
                i += 1
                group.append(steps[i])
            for cand in await asyncio.gather(*(_generate(job, s, plan) for s in group)):
                if job.is_plan(cand):
                    plan = cand.raw.strip()
                    job.notes.append(f"plan by {cand.model}")
                    continue
                candidates.append(cand)
                current = cand
        elif step.kind == "extract_tools":
            source = plan or (current.raw if current else None)
            current = await job.check(await job.extract(step.role, source, step=step.name or "extract_tools"))
            candidates.append(current)
        elif step.kind == "judge":
            usable = [c for c in candidates if c.usable]
            if not usable:
                raise ModelError("no usable candidate to judge: " + "; ".join(
                    c.error or "; ".join(c.checks) for c in candidates))
            current = (await pick_best(job, usable, [], role=step.role)).candidate
        elif current is None:
            raise ModelError(f"step {i + 1}: nothing to {step.kind}")
        elif step.kind == "revise":
            role, temp = parse_role_spec(step.role)
            current = await job.revise(current, role, reasons or "improve it", step=step.name or "revise",
                                       temperature=step.temperature if step.temperature is not None else temp)
            current = await job.check(current)
        else:  # validate, verify
            rounds = step.max_rounds if step.until == "pass" else 0
            out = await validate_loop(job, current, rounds, validator=parse_role_spec(step.role)[0], step=label,
                                      ask_model=step.kind == "validate")
            current, partial = out.candidate, out.partial
            reasons = "; ".join(out.verdict.reasons)[:300] if out.verdict else ""
        i += 1
    if current is None:
        raise ModelError(f"pattern {name!r} produced no answer" + (f" (plan: {plan[:80]!r})" if plan else ""))
    return Outcome(current, partial=partial)


async def _generate(job: PatternJob, step: PatternStep, plan: str | None) -> Candidate:
    role, temp = parse_role_spec(step.role)
    temperature = step.temperature if step.temperature is not None else temp
    template = TEMPLATES.get(step.prompt, step.prompt) if step.prompt else None
    cand = await job.produce(role, temperature=temperature, plan=plan, template=template,
                             step=step.name or f"generate ({role})")
    return await job.check(cand)
