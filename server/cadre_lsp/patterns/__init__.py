"""Multi-model patterns: each turns a routed Request into a Result through one or more model calls.

`run_pattern` is what the pipeline calls; it never raises for model trouble: a failed run comes back as
a Result with `error` set (and no edit), a run that could not finish cleanly as `partial`. Imports are
lazy so that loading the configuration (which validates custom patterns) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config.schema import Config
    from ..core import ProgressCallback, Request, Result, Route
    from ..models.pool import ModelPool

__all__ = ["run_pattern"]


async def run_pattern(config: Config, pool: ModelPool, request: Request, route: Route,
                      progress: ProgressCallback) -> Result:
    from .result import run_pattern as run

    return await run(config, pool, request, route, progress)
