"""The pipeline every front end drives: route -> context -> pattern -> Result.

`Engine` holds the long-lived state (config, model pool, parsed documents, symbol index) so the CLI,
the language server, tests and benchmarks run exactly the same code. Plain data in, plain data out,
progress through an async callback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .config.schema import Config
from .core import CadreError, ProgressCallback, ProgressEvent, Request, Result, no_progress
from .models.roles import ModelPool
from .router import route


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

    async def run(self, request: Request, progress: ProgressCallback = no_progress) -> Result:
        """Run one request to completion (cancel the awaiting task to stop it and its model calls)."""
        from .patterns import run_pattern

        if not request.language:
            from .context import language_for

            request.language = language_for(request.path)
        try:
            r = route(request, self.config)
        except CadreError as exc:
            return Result(action=request.action, error=str(exc), summary=str(exc))
        await progress(ProgressEvent(f"{r.pattern}: {r.why}", step="route", role=r.role,
                                     model=self.pool.model_for(r.role)))
        return await run_pattern(self, request, r, progress)

    async def hover_text(self, request: Request) -> str:
        """A one- or two-sentence explanation of the definition enclosing the cursor (for hover)."""
        from .core import Route
        from .patterns import prompts
        from .patterns.job import PatternJob
        from .patterns.produce import build_target, explain

        if not request.language:
            from .context import language_for

            request.language = language_for(request.path)
        hover = self.config.hover
        r = Route(task_type="explanation", role=hover.role, pattern="primary", why="hover")
        job = PatternJob(engine=self, request=request, route=r, progress=no_progress,
                         target=build_target(self, request))
        cand = await explain(job, hover.role, template=prompts.HOVER, max_tokens=hover.max_tokens,
                             step="hover", temperature=0.0)
        if cand.error:
            raise CadreError(cand.error)
        return cand.text

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
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CadreError(f"{path}: cannot read ({exc.strerror})") from None
    n_lines = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
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
