"""The built-in patterns over a conversation (the editor path's patterns/builtin.py, for chat).

primary: one answer from the routed role. tools: the tools role. hybrid: the reasoning role plans,
then the coding role (the tools role when the client offers tools) answers following the plan.
validated: draft -> validator verdict -> revise with its reasons, up to `[validated] rounds`.
compete: `[compete] competitors` answer concurrently, the judge picks (order shuffled).
Only primary, tools and hybrid know their last call is the answer, so only they stream it live.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from ..patterns.builtin import pick_best, race_competitors
from . import prompts
from .job import ChatJob, answer, validate_loop, with_last_user
from .tools import offered
from .types import ChatCandidate


async def primary(job: ChatJob) -> ChatCandidate:
    return await answer(job, job.route.role, job.chat.messages, final=True)


async def tools(job: ChatJob) -> ChatCandidate:
    return await answer(job, "tools", job.chat.messages, final=True)


async def hybrid(job: ChatJob) -> ChatCandidate:
    job.total_steps = 2
    msgs = job.chat.messages
    plan = await job.call("reasoning", [*msgs, {"role": "user", "content": prompts.PLAN}], step="plan",
                          what="planning", max_tokens=256)
    job.notes.append(f"plan by {plan.model}")
    follow = with_last_user(msgs, prompts.FOLLOW_PLAN.format(request=job.last_user, plan=plan.text.strip()))
    return await answer(job, "tools" if offered(job.chat) else "coding", follow, final=True)


async def validated(job: ChatJob) -> ChatCandidate:
    rounds = job.engine.config.validated.rounds
    job.total_steps = 2 + 2 * rounds
    cand = await answer(job, job.route.role, job.chat.messages, step="draft")
    return await validate_loop(job, cand, rounds)


async def compete(job: ChatJob) -> ChatCandidate:
    async def one(role: str, temperature: float | None, step: str) -> ChatCandidate:
        return await answer(job, role, job.chat.messages, temperature=temperature, step=step)

    cands, failures = await race_competitors(job, one)
    return await judged(job, cands, failures)


async def judged(job: ChatJob, cands: list[ChatCandidate], failures: list[str] | None = None) -> ChatCandidate:
    """The judge's pick; it reads each answer's text and tool calls."""
    shown = [replace(c, text=c.for_judging()) for c in cands]
    outcome = await pick_best(job, cands, failures or [], template=prompts.JUDGE, shown=shown)
    job.notes.append(outcome.note)
    assert isinstance(outcome.candidate, ChatCandidate)
    return outcome.candidate


CHAT_PATTERNS: dict[str, Callable[[ChatJob], Awaitable[ChatCandidate]]] = {
    "primary": primary,
    "tools": tools,
    "hybrid": hybrid,
    "validated": validated,
    "compete": compete,
}
