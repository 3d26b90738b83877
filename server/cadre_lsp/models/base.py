"""The one async interface every model backend implements, and the errors they raise.

Backends translate their client library's answers into `Completion` and their failures into
`ModelError` subclasses; `transient` tells the role layer whether a retry can help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = dict[str, Any]
"""OpenAI-style chat message: {"role": "system"|"user"|"assistant"|"tool", "content": str, ...}."""

TokenCallback = Callable[[str], Awaitable[None] | None]
"""Called with each streamed text fragment; may be sync or async."""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Prompt tokens served from the backend's KV/prefix cache, where it reports them."""


@dataclass
class Timings:
    total_s: float = 0.0
    first_token_s: float | None = None
    prompt_tokens_per_s: float | None = None
    tokens_per_s: float | None = None
    draft_tokens: int | None = None
    """Speculative decoding (llama.cpp): tokens drafted, and how many of them the model accepted."""
    draft_accepted: int | None = None


@dataclass
class Completion:
    """A finished chat answer. `tool_calls` holds native calls as {"name", "arguments"} dicts."""

    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    timings: Timings = field(default_factory=Timings)
    model: str = ""
    endpoint: str = ""
    finish_reason: str | None = None
    fell_back_from: list[str] = field(default_factory=list)
    """Endpoints that failed before this one answered (role-level fallback)."""


@dataclass
class Health:
    """What `doctor` and `cadre.status` report for one endpoint."""

    endpoint: str
    ok: bool
    reachable: bool
    model_present: bool
    detail: str = ""
    hint: str = ""
    probe_s: float | None = None
    tokens_per_s: float | None = None


class ModelError(Exception):
    """A backend failed. `transient` errors (timeouts, 5xx, dropped streams) may be retried."""

    transient: bool = False

    def __init__(self, message: str, *, endpoint: str = "", transient: bool | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        if transient is not None:
            self.transient = transient


class BackendUnavailable(ModelError):
    """Could not reach the backend (connection refused, DNS, server down)."""

    transient = True


class ModelNotFound(ModelError):
    """The backend is up but does not have the model (or the model file is missing)."""


class ModelTimeout(ModelError):
    """The request took longer than the endpoint's timeout."""

    transient = True


class BadResponse(ModelError):
    """The backend answered with something unusable (HTTP 500, a stream that died, malformed data)."""

    transient = True


class UnsupportedFeature(ModelError):
    """The backend cannot do what was asked (e.g. a JSON schema on a backend without constrained output)."""


@runtime_checkable
class ChatBackend(Protocol):
    """A model endpoint. Cancelling the awaiting task must stop the request (close the stream)."""

    name: str
    model: str

    async def chat(
        self,
        messages: list[Message],
        *,
        tools: list[dict[str, Any]] | None = None,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
        stop: list[str] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        """Run one chat completion. `schema` asks for JSON constrained to that JSON schema;
        `tools` are OpenAI-style function specs."""
        ...

    async def health(self, probe: bool = False) -> Health:
        """Reachability and model presence; with probe=True, also a one-token generation timing."""
        ...

    async def aclose(self) -> None:
        """Release connections / unload."""
        ...


async def emit(cb: TokenCallback | None, fragment: str) -> None:
    """Call a token callback that may be sync or async."""
    if cb is None or not fragment:
        return
    r = cb(fragment)
    if r is not None:
        await r
