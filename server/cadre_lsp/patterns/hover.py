"""Hover's answer: one or two sentences on the definition around the cursor, from the hover role at
temperature 0 (the LSP layer bounds the time and caches by content: lsp/hover.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import CadreError, Request, Route, no_progress
from . import prompts
from .code import CodeJob, explain
from .target import build_target

if TYPE_CHECKING:
    from ..config.schema import Config
    from ..models.pool import ModelPool


async def hover_text(config: Config, pool: ModelPool, request: Request) -> str:
    hover = config.hover
    route = Route(task_type="explanation", role=hover.role, pattern="primary", why="hover")
    job = CodeJob(config=config, pool=pool, request=request, route=route, progress=no_progress,
                  target=build_target(request, config.generation.context_tokens))
    cand = await explain(job, hover.role, template=prompts.HOVER, max_tokens=hover.max_tokens, step="hover",
                         temperature=0.0)
    if cand.error:
        raise CadreError(cand.error)
    return cand.text
