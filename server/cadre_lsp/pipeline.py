"""The pipeline every front end drives: route -> context -> pattern -> Result.

`Engine` holds the long-lived state (config, model pool, parsed documents, symbol index) so the CLI,
the language server, tests and benchmarks run exactly the same code. Plain data in, plain data out,
progress through an async callback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from .config.schema import Config
from .core import CadreError, ProgressCallback, ProgressEvent, Request, Result, Route, no_progress
from .models.pool import ModelPool
from .router import route

if TYPE_CHECKING:
    from .patterns.target import Target


class Engine:
    """Config + models + code context for one workspace."""

    def __init__(self, config: Config, *, workspace_root: str | None = None, pool: ModelPool | None = None) -> None:
        self.config = config
        self.workspace_root = workspace_root
        self.pool = pool or ModelPool(config)
        self._documents = None
        self._retiring: set[asyncio.Task[None]] = set()

    @property
    def documents(self):  # type: ignore[no-untyped-def]
        """Parsed documents (tree-sitter), created on first use so start-up stays light."""
        if self._documents is None:
            from .context import DocumentStore

            self._documents = DocumentStore()
        return self._documents

    async def reconfigure(self, config: Config) -> None:
        """Swap in a new configuration. Unchanged endpoints keep their loaded models; calls already
        running on the old pool finish there, and it is closed once they have."""
        old = self.pool
        self.config = config
        self.pool = ModelPool(config)
        self.pool.adopt(old)
        if old.active:
            task = asyncio.get_running_loop().create_task(old.retire())
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        else:
            await old.aclose()

    def route(self, request: Request) -> Route:
        """Where `request` goes (role, pattern, why); CadreError for an unknown pattern or task type."""
        self._fill_language(request)
        return route(request, self.config)

    def target(self, request: Request) -> Target:
        """The block a job on `request` works on (the enclosing definition, else the selected lines)."""
        from .patterns.target import build_target

        self._fill_language(request)
        return build_target(request, self.config.generation.context_tokens)

    async def run(self, request: Request, progress: ProgressCallback = no_progress, *,
                  routed: Route | None = None) -> Result:
        """Run one request to completion (cancel the awaiting task to stop it and its model calls).
        `routed`: the route the caller already asked `route()` for (the server does, for its per-role limits)."""
        from .patterns import run_pattern

        try:
            r = routed or self.route(request)
        except CadreError as exc:
            return Result(action=request.action, error=str(exc), summary=str(exc))
        self._fill_language(request)
        await progress(ProgressEvent(f"{r.pattern}: {r.why}", step="route", role=r.role,
                                     model=self.pool.model_for(r.role)))
        return await run_pattern(self.config, self.pool, request, r, progress)

    async def hover_text(self, request: Request) -> str:
        """A one- or two-sentence explanation of the definition enclosing the cursor (for hover)."""
        from .patterns.hover import hover_text

        self._fill_language(request)
        return await hover_text(self.config, self.pool, request)

    @staticmethod
    def _fill_language(request: Request) -> None:
        if not request.language:
            from .context import language_for

            request.language = language_for(request.path)

    async def aclose(self) -> None:
        for task in list(self._retiring):
            task.cancel()
        await self.pool.aclose()


def read_request(action: str, target: str, *, pattern: str | None = None, instruction: str = "",
                 workspace_root: str | None = None) -> Request:
    """Build a Request from a CLI target `PATH[:LINE[-LINE]]` (1-based lines, like compilers print)."""
    from .core import Span

    path, span_text = target, ""
    if ":" in target and not Path(target).exists():
        path, span_text = target.rsplit(":", 1)
    p = Path(path)
    from .edits.source import read_source  # bytes in, no newline translation; one-line errors

    text = read_source(p).text
    from .text import line_table

    table = line_table(text)  # lines as the editor counts them: "\r\n", "\r" or "\n"
    n_lines = max(1, table.line_count - (1 if text.endswith(("\n", "\r")) else 0))
    if span_text:
        try:
            a, _, b = span_text.partition("-")
            start, end = int(a), int(b or a)
        except ValueError:
            raise CadreError(f"{target}: expected PATH[:LINE[-LINE]] with 1-based line numbers") from None
        if not (1 <= start <= end <= n_lines):
            raise CadreError(f"{target}: lines must be within 1-{n_lines}")
        span = Span.lines(start - 1, end - 1)
    else:
        span = Span.lines(0, n_lines - 1)
    if action not in ("explain", "implement", "fix", "review"):
        raise CadreError(f"unknown action {action!r} (expected explain, implement, fix or review)")
    return Request(action=action, path=str(p.resolve()), text=text, span=span, pattern=pattern,  # type: ignore[arg-type]
                   instruction=instruction,
                   workspace_root=workspace_root or str(p.resolve().parent))
