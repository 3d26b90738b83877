"""The plain data of one chat request and its answer, and the error a client can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..core import CadreError, Route, StepRecord
from ..models.base import Message
from ..patterns.job import Candidate
from ..toolcalls import ToolCall

ErrorKind = Literal["bad_request", "not_found", "unsupported", "unavailable", "failed", "timeout"]


class ChatError(CadreError):
    """Why a chat request could not be answered; `kind` picks the HTTP status (400, 404, 503, ...)."""

    def __init__(self, message: str, kind: ErrorKind = "failed", *, param: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.param = param


@dataclass
class ChatRequest:
    """Messages (text content only) and the options a pattern honours."""

    messages: list[Message]
    pattern: str = "primary"
    temperature: float | None = None
    max_tokens: int | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    """OpenAI function specs: {"type": "function", "function": {"name", "description", "parameters"}}."""
    tool_choice: str | dict[str, Any] | None = None
    """"auto" (default with tools), "none", "required", or {"type": "function", "function": {"name": ...}}."""


@dataclass
class ChatCandidate(Candidate):
    """One model's answer to the conversation: text, and the client's tool calls it made."""

    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"

    def for_judging(self) -> str:
        """The answer as a judge or validator reads it: the text, then each call as JSON."""
        import json

        calls = [f"call {c.name}({json.dumps(c.arguments, ensure_ascii=False)})" for c in self.tool_calls]
        return "\n".join([self.text, *calls]).strip()


@dataclass
class ChatAnswer:
    """The final answer: `text` is exactly what was passed to `on_text`, in order."""

    text: str
    tool_calls: list[ToolCall]
    finish_reason: str
    model: str
    route: Route
    note: str = ""
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def prompt_tokens(self) -> int:
        return sum(s.prompt_tokens for s in self.steps)

    @property
    def completion_tokens(self) -> int:
        return sum(s.completion_tokens for s in self.steps)
