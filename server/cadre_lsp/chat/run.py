"""Run one chat request: route the last user message, run the pattern, hand back the answer.

Model trouble becomes a ChatError whose kind says what the client should hear (503 when the backend
is down, 504 past the request timeout); cancelling the awaiting task cancels every model call.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..config.schema import Config
from ..core import CadreError, ProgressCallback, ProgressEvent, no_progress
from ..models.base import BackendUnavailable, ModelError, ModelNotFound, ModelTimeout
from ..models.pool import RoleFailed
from ..patterns.registry import lookup
from ..router import pattern_names, route_text
from .answer import ChatJob, TextCallback
from .messages import last_user_text
from .types import ChatAnswer, ChatCandidate, ChatError, ChatRequest

if TYPE_CHECKING:
    from ..pipeline import Engine

PREFIX = "cadre:"


def model_names(config: Config) -> list[str]:
    """The patterns as model ids: cadre:primary ... cadre:auto, then the custom ones."""
    return [PREFIX + p for p in pattern_names(config)]


def pattern_of(model: str, config: Config) -> str:
    """`cadre:validated` -> `validated`; an unknown model is a not_found ChatError listing the known ones."""
    if model.startswith(PREFIX) and model[len(PREFIX):] in pattern_names(config):
        return model[len(PREFIX):]
    raise ChatError(f"unknown model {model!r} (known: {', '.join(model_names(config))})", "not_found",
                    param="model")


async def run_chat(engine: Engine, request: ChatRequest, *, on_text: TextCallback | None = None,
                   progress: ProgressCallback = no_progress, timeout_s: float | None = None) -> ChatAnswer:
    """The answer to `request`; `on_text` gets exactly its text, in order (see job.Streamer)."""
    try:
        route = route_text(last_user_text(request.messages), request.pattern, engine.config)
    except CadreError as exc:
        raise ChatError(str(exc), "not_found", param="model") from None
    job = ChatJob.create(engine.config, engine.pool, request, route, progress, on_text)
    await progress(ProgressEvent(f"{route.pattern}: {route.why}", step="route", role=route.role,
                                 model=engine.pool.model_for(route.role)))
    run = lookup(route.pattern, engine.config)
    if run is None:
        raise ChatError(f"unknown pattern {route.pattern!r}", "not_found", param="model")
    try:
        outcome = await asyncio.wait_for(run(job), timeout_s)
    except asyncio.TimeoutError:
        raise ChatError(f"{route.pattern} timed out after {timeout_s:g}s (api.request_timeout_s)",
                        "timeout") from None
    except ModelError as exc:
        down = isinstance(exc, (BackendUnavailable, ModelNotFound, ModelTimeout, RoleFailed))
        raise ChatError(f"{route.pattern} failed: {exc}", "unavailable" if down else "failed") from None
    cand = outcome.candidate
    if not isinstance(cand, ChatCandidate):
        raise ChatError(f"{route.pattern} produced no answer", "failed")
    if cand.error:
        raise ChatError(f"{route.pattern} failed: {cand.error}", "failed")
    await job.streamer.finish(cand.text)
    return ChatAnswer(text=cand.text, tool_calls=cand.tool_calls, finish_reason=cand.finish_reason,
                      model=cand.model, route=route, note="; ".join(n for n in job.notes if n), steps=job.steps)
