"""Custom patterns from config (patterns/custom.py's step kinds) run over a conversation.

generate: an answer from the step's role (consecutive generates without a prompt run in parallel);
with `prompt = "plan"` a plan that later steps follow; with an inline template, that text (its
{code}/{instruction}/{request} are the user's last message) replaces the last user message.
extract_tools: the step's role turns the current answer into calls to the client's tools.
validate / revise / judge: as in the built-in validated and compete patterns.
The code-only templates (explain, fix, implement, follow_plan, review) need a document; a step that
names one is refused with that reason rather than run on a guess.
"""

from __future__ import annotations

import asyncio

from ..config.schema import PatternStep
from ..models.base import ModelError
from . import prompts
from .job import ChatJob, answer, revise, validate_loop, with_last_user
from .patterns import judged
from .tools import offered
from .types import ChatCandidate, ChatError


def check_steps(job: ChatJob, name: str) -> list[PatternStep]:
    steps = job.engine.config.patterns[name].steps
    for i, step in enumerate(steps):
        if step.prompt is not None and step.prompt != "plan" and "{" not in step.prompt and " " not in step.prompt:
            raise ChatError(f"pattern {name!r} step {i + 1} ({step.kind}): prompt template {step.prompt!r} works "
                            "on code in a document, not on chat messages", "unsupported", param="model")
        if step.kind == "extract_tools" and not offered(job.chat):
            raise ChatError(f"pattern {name!r} step {i + 1} (extract_tools) needs `tools` in the request",
                            "unsupported", param="tools")
    return steps


async def run_custom(job: ChatJob, name: str) -> ChatCandidate:
    steps = check_steps(job, name)
    job.total_steps = len(steps)
    candidates: list[ChatCandidate] = []
    current: ChatCandidate | None = None
    plan: str | None = None
    reasons = ""
    i = 0
    while i < len(steps):
        step = steps[i]
        if step.kind == "generate" and step.prompt == "plan":
            msgs = [*job.chat.messages, {"role": "user", "content": prompts.PLAN}]
            c = await job.call(step.role.partition("@")[0], msgs, step=step.name or "plan", what="planning",
                               max_tokens=256)
            plan = c.text.strip()
            job.notes.append(f"plan by {c.model}")
        elif step.kind == "generate":
            group = [step]
            while step.prompt is None and i + 1 < len(steps) and steps[i + 1].kind == "generate" \
                    and steps[i + 1].prompt is None:
                i += 1
                group.append(steps[i])
            made = await asyncio.gather(*(_generate(job, s, plan) for s in group))
            candidates += made
            current = made[-1]
        elif step.kind == "extract_tools":
            assert current is not None  # config validation: an earlier generate exists
            msgs = with_last_user(job.chat.messages, prompts.FOLLOW_PLAN.format(request=job.last_user,
                                                                                plan=current.text))
            current = await answer(job, step.role, msgs, step=step.name or "extract_tools")
            candidates.append(current)
        elif step.kind == "judge":
            current = await judged(job, candidates)
        elif current is None:
            raise ModelError(f"step {i + 1}: nothing to {step.kind}")
        elif step.kind == "revise":
            current = await revise(job, current, step.role, reasons or "improve it", step.name or "revise")
        else:
            rounds = step.max_rounds if step.until == "pass" else 0
            current = await validate_loop(job, current, rounds, validator=step.role, step=step.name or "validate")
            reasons = job.notes[-1]
        i += 1
    if current is None:
        raise ModelError(f"pattern {name!r} produced no answer" + (f" (plan: {plan[:80]!r})" if plan else ""))
    return current


async def _generate(job: ChatJob, step: PatternStep, plan: str | None) -> ChatCandidate:
    role, _, temp = step.role.partition("@")
    temperature = step.temperature if step.temperature is not None else (float(temp) if temp else None)
    msgs = job.chat.messages
    if step.prompt is not None:
        msgs = with_last_user(msgs, job.fill(step.prompt, plan=plan or ""))
    elif plan:
        msgs = with_last_user(msgs, prompts.FOLLOW_PLAN.format(request=job.last_user, plan=plan))
    return await answer(job, role, msgs, temperature=temperature, step=step.name or f"generate ({role})")

