"""Pattern lookup by name: built-ins first, then custom patterns from config."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..config.schema import Config
from .builtin import BUILTIN, Outcome
from .custom import run_custom
from .job import PatternJob
from .validation import validate_patterns

__all__ = ["lookup", "validate_patterns"]


def lookup(name: str, config: Config) -> Callable[[PatternJob], Awaitable[Outcome]] | None:
    if name in BUILTIN:
        return BUILTIN[name]
    if name in config.patterns:
        return lambda job: run_custom(job, name)
    return None
