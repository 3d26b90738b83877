"""ChatJob: the pattern protocol (patterns/job.py) over a conversation, for the HTTP API. The patterns
themselves are the editor's (patterns/builtin.py, patterns/custom.py); what is chat's own is here:
the one `answer` primitive (the client's tools, temperature, max_tokens, a retry for rejected calls),
chat prompts, and streaming the final answer exactly once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..core import ProgressCallback, Route
from ..models.base import Completion, Message, ModelError, UnsupportedFeature, emit
from ..patterns.job import Candidate, PatternJob, Plan, Verdict
from . import chat_prompts as prompts
from .messages import last_user_text
from .tools import must_call, name_of, offered, read_calls, rejected_feedback, render, without_calls
from .types import ChatCandidate, ChatError, ChatRequest

if TYPE_CHECKING:
    from ..config.schema import Config
    from ..models.pool import ModelPool

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


@dataclass(kw_only=True)
class ChatJob(PatternJob):
    chat: ChatRequest
    last_user: str
    streamer: Streamer = field(default_factory=Streamer)

    judge_template: ClassVar[str] = prompts.JUDGE

    @classmethod
    def create(cls, config: Config, pool: ModelPool, chat: ChatRequest, route: Route, progress: ProgressCallback,
               on_text: TextCallback | None) -> ChatJob:
        return cls(config=config, pool=pool, route=route, progress=progress, chat=chat,
                   last_user=last_user_text(chat.messages), streamer=Streamer(on_text))

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

    # -- the protocol -----------------------------------------------------------------------------------

    async def produce(self, role: str, *, temperature: float | None = None, step: str = "draft",
                      plan: str | None = None, template: str | None = None, final: bool = False) -> Candidate:
        msgs = self.chat.messages
        if template is not None:
            msgs = with_last_user(msgs, self.fill(template, plan=plan or ""))
        elif plan:
            msgs = with_last_user(msgs, prompts.FOLLOW_PLAN.format(request=self.last_user, plan=plan))
        return await answer(self, role, msgs, temperature=temperature, final=final, step=step)

    async def revise(self, cand: Candidate, role: str, feedback: str, *, step: str,
                     temperature: float | None = None, ran: bool = False) -> Candidate:
        """The conversation continued with the rejected answer and the reasons."""
        msgs = [*cand.messages, {"role": "assistant", "content": cand.raw},
                {"role": "user", "content": prompts.REVISE.format(feedback=feedback)}]
        return await answer(self, role, msgs, temperature=temperature, step=step)

    async def extract(self, role: str, source: str | None, *, step: str, final: bool = False) -> Candidate:
        msgs = self.chat.messages
        if source:
            msgs = with_last_user(msgs, prompts.FOLLOW_PLAN.format(request=self.last_user, plan=source))
        return await answer(self, role, msgs, final=final, step=step)

    def editor_role(self) -> str:
        return "tools" if offered(self.chat) else "coding"

    async def verify(self, cand: Candidate, *, generate: bool = True) -> Verdict | None:
        """A Python answer run on the examples the request states (chat/evidence.py)."""
        from .evidence import verify_answer

        return await verify_answer(self, cand)

    def validation_prompt(self, cand: Candidate) -> str:
        return self.fill(prompts.VALIDATE, answer=_for_judging(cand))

    def judge_body(self, cand: Candidate) -> tuple[str, str]:
        return "markdown", _for_judging(cand)

    async def plan(self, role: str, *, step: str = "plan", template: str | None = None) -> Plan:
        msgs = [*self.chat.messages, {"role": "user", "content": template or prompts.PLAN}]
        c = await self.call(role, msgs, step=step, what="planning", max_tokens=256)
        return Plan(c.text.strip(), c.model)

    def check_steps(self, name: str) -> None:
        """Code-only templates need a document, extract_tools needs the client's tools: refused up front."""
        for i, step in enumerate(self.config.patterns[name].steps):
            if step.prompt is not None and step.prompt != "plan" and "{" not in step.prompt \
                    and " " not in step.prompt:
                raise ChatError(f"pattern {name!r} step {i + 1} ({step.kind}): prompt template {step.prompt!r} "
                                "works on code in a document, not on chat messages", "unsupported", param="model")
            if step.kind == "extract_tools" and not offered(self.chat):
                raise ChatError(f"pattern {name!r} step {i + 1} (extract_tools) needs `tools` in the request",
                                "unsupported", param="tools")


def _for_judging(cand: Candidate) -> str:
    return cand.for_judging() if isinstance(cand, ChatCandidate) else cand.text


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


def with_system(messages: list[Message], text: str) -> list[Message]:
    """`text` appended to the conversation's system prompt (or as one, first)."""
    if messages and messages[0]["role"] == "system":
        return [{**messages[0], "content": f"{messages[0]['content']}\n\n{text}".strip()}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


def with_last_user(messages: list[Message], content: str) -> list[Message]:
    """The conversation with its last user message replaced (e.g. by the request plus a plan)."""
    i = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [*messages[:i], {**messages[i], "content": content}, *messages[i + 1:]]
