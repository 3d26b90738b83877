"""Pattern names and lookup: the built-ins (one tuple, which the router, the config checks, the chat
API's model list and the editor's code actions all read) first, then custom patterns from config.
Light on purpose: the configuration loader imports it to check pattern names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config.schema import Config
    from .job import Outcome, PatternJob

BUILTIN_PATTERNS = ("primary", "tools", "hybrid", "validated", "compete", "auto")
"""Every built-in name; `auto` is resolved by the router, the rest are functions in builtin.py."""


def lookup(name: str, config: Config) -> Callable[[PatternJob], Awaitable[Outcome]] | None:
    if name in BUILTIN_PATTERNS and name != "auto":
        from . import builtin

        fn: Callable[[PatternJob], Awaitable[Outcome]] = getattr(builtin, name)
        return fn
    if name in config.patterns:
        from .custom import run_custom

        return lambda job: run_custom(job, name)
    return None
