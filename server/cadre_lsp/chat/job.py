"""A pattern run over a conversation: the editor path's PatternJob (progress, step records, one
`call` helper) with chat prompts, plus the one answer primitive every chat pattern builds on."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core import ProgressCallback, Request, Route, Span
from ..models.base import Completion, Message, ModelError, UnsupportedFeature, emit
from ..patterns.job import PatternJob, Target
from . import prompts
from .messages import last_user_text
from .tools import must_call, name_of, offered, read_calls, rejected_feedback, render, without_calls
from .types import ChatCandidate, ChatRequest

if TYPE_CHECKING:
    from ..pipeline import Engine

log = logging.getLogger(__name__)

TextCallback = Callable[[str], Awaitable[None] | None]


@dataclass
class Streamer:
    """Hands the final answer to the client exactly once: live from the final model call where the
    pattern knows that call is final, else all at once when the pattern has decided."""

    on_text: TextCallback | None = None
    sent: str = ""

    async def live(self, fragment: str) -> None:
        self.sent += fragment
        await emit(self.on_text, fragment)

    async def finish(self, text: str) -> None:
        if text.startswith(self.sent):
            await self.live(text[len(self.sent):])
            return
        # The stream broke mid-answer and the retry (models/replay.py) said something else. What was sent
        # cannot be taken back, so say so and send the whole final answer rather than lose it.
        log.warning("streamed %d characters that are not a prefix of the final answer", len(self.sent))
        await self.live(f"\n\n[cadre: the model's stream broke and the retry answered differently; "
                        f"the complete answer follows]\n\n{text}")


@dataclass
class ChatJob(PatternJob):
    chat: ChatRequest = field(default_factory=lambda: ChatRequest([]))
    streamer: Streamer = field(default_factory=Streamer)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, engine: Engine, chat: ChatRequest, route: Route, progress: ProgressCallback,
               on_text: TextCallback | None) -> ChatJob:
        last = last_user_text(chat.messages)
        request = Request(action="explain", path="chat", text=last, span=Span(0, 0, 0, 0), pattern=route.pattern)
        target = Target(start=0, end=len(last), text=last, kind="request", name="", context="")
        return cls(engine=engine, request=request, route=route, progress=progress, target=target, chat=chat,
                   streamer=Streamer(on_text))

    @property
    def last_user(self) -> str:
        return self.target.text

    def fill(self, template: str, **extra: Any) -> str:
        """Chat prompts, and custom patterns' inline templates: code/original/instruction are the request."""
        last = self.last_user
        fields: dict[str, Any] = {"language": "", "fence": "", "kind": "request", "name": "", "code": last,
                                  "original": last, "numbered": last, "context": "", "path": "",
                                  "task": "answer the request", "instruction": last, "request": last, "plan": ""}
        fields.update(extra)
        return template.format(**fields)

    def base_messages(self) -> list[Message]:
        return [{"role": "system", "content": prompts.SYSTEM}]


async def answer(job: ChatJob, role: str, messages: list[Message], *, temperature: float | None = None,
                 final: bool = False, step: str = "answer") -> ChatCandidate:
    """One answer to the conversation from `role`, honouring the client's tools, temperature and
    max_tokens. `final`: this call's text is the answer, so it streams live (unless tools are
    offered: calls must not leak into the text). Rejected or missing required calls get one retry."""
    tools = offered(job.chat)
    if temperature is None:
        temperature = job.chat.temperature
    c, messages = await _call(job, role, messages, tools, temperature=temperature,
                              stream=final and not tools, step=step)
    cand = ChatCandidate(role=role, model=c.model, raw=c.text, text=c.text, messages=messages,
                         finish_reason=c.finish_reason or "stop")
    if not tools:
        return cand
    calls, rejected = read_calls(c.text, c.tool_calls, tools)
    names = ", ".join(name_of(t) for t in tools)
    if not calls and (rejected or must_call(job.chat)):
        feedback = rejected_feedback(rejected) if rejected else prompts.TOOL_REQUIRED.format(names=names)
        retry = [*messages, {"role": "assistant", "content": c.text}, {"role": "user", "content": feedback}]
        c, _ = await _call(job, role, retry, tools, temperature=temperature, stream=False, step=f"{step} retry")
        calls, rejected = read_calls(c.text, c.tool_calls, tools)
        cand.raw, cand.text, cand.model = c.text, c.text, c.model
    if not calls and must_call(job.chat):
        why = "; ".join(rejected) or "it answered in text"
        raise ModelError(f"{role} ({c.model}) made no valid call to {names}: {why}")
    if calls:
        cand.text, cand.tool_calls, cand.finish_reason = without_calls(c.text), calls, "tool_calls"
    return cand


async def _call(job: ChatJob, role: str, messages: list[Message], tools: list[dict[str, Any]], *,
                temperature: float | None, stream: bool, step: str) -> tuple[Completion, list[Message]]:
    """Tools go natively where the backend takes them, else written into the system prompt."""
    on_token = job.streamer.live if stream else None
    kw: dict[str, Any] = {"step": step, "what": step, "temperature": temperature,
                          "max_tokens": job.chat.max_tokens, "on_token": on_token}
    try:
        return await job.call(role, messages, tools=tools or None, **kw), messages
    except UnsupportedFeature:
        if not tools:
            raise
    messages = with_system(messages, render(tools))
    return await job.call(role, messages, **kw), messages


async def revise(job: ChatJob, cand: ChatCandidate, role: str, reasons: str, step: str) -> ChatCandidate:
    """The conversation continued with the rejected answer and the validator's reasons."""
    msgs = [*cand.messages, {"role": "assistant", "content": cand.raw},
            {"role": "user", "content": prompts.REVISE.format(feedback=reasons)}]
    return await answer(job, role, msgs, step=step)


async def validate_loop(job: ChatJob, cand: ChatCandidate, rounds: int, *, validator: str = "validator",
                        reviser: str | None = None, step: str = "validate") -> ChatCandidate:
    """Validator verdict, then revise with its reasons, up to `rounds` times; the last answer is kept
    (with a note) when the validator never passes it, since a chat answer has no safer fallback."""
    from ..patterns.verdicts import ask_validator

    reviser = reviser or cand.role
    for rnd in range(rounds + 1):
        verdict = await ask_validator(job, job.fill(prompts.VALIDATE, answer=cand.for_judging()), validator,
                                      step=step)
        reasons = "; ".join(verdict.reasons)[:300]
        if verdict.passed:
            job.notes.append("validator PASS" + (f" after {rnd} revision{'s' if rnd != 1 else ''}" if rnd else ""))
            return cand
        if rnd == rounds:
            job.notes.append(f"validator still FAIL after {rounds} revisions: {reasons}")
            return cand
        await job.say(f"validator: FAIL — revising {rnd + 1}/{rounds}: {reasons}", step="revise", role=reviser)
        cand = await revise(job, cand, reviser, reasons, f"revise {rnd + 1}")
    return cand


def with_system(messages: list[Message], text: str) -> list[Message]:
    """`text` appended to the conversation's system prompt (or as one, first)."""
    if messages and messages[0]["role"] == "system":
        return [{**messages[0], "content": f"{messages[0]['content']}\n\n{text}".strip()}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


def with_last_user(messages: list[Message], content: str) -> list[Message]:
    """The conversation with its last user message replaced (e.g. by the request plus a plan)."""
    i = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [*messages[:i], {**messages[i], "content": content}, *messages[i + 1:]]
