"""Pattern lookup by name: the built-ins (their names are one tuple in config/pattern_rules.py, which the
router, the config checks, the chat API's model list and the editor's code actions all read) first,
then custom patterns from config."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config.schema import Config
    from .job import Outcome, PatternJob

from ..config.pattern_rules import BUILTIN_PATTERNS


def lookup(name: str, config: Config) -> Callable[[PatternJob], Awaitable[Outcome]] | None:
    if name in BUILTIN_PATTERNS and name != "auto":
        from . import builtin

        fn: Callable[[PatternJob], Awaitable[Outcome]] = getattr(builtin, name)
        return fn
    if name in config.patterns:
        from .custom import run_custom

        return lambda job: run_custom(job, name)
    return None
