"""Helpers shared by the context tests: spans by the text they point at."""

from __future__ import annotations

from typing import Any

from cadre_lsp.context import CodeContext, extract_context
from cadre_lsp.core import Span, position_of


def span_at(text: str, needle: str, occurrence: int = 0) -> Span:
    """An empty span (a cursor) at the start of the `occurrence`-th `needle` in `text`."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    line, col = position_of(text, offset)
    return Span(line, col, line, col)


def context_at(text: str, language: str | None, needle: str, **kwargs: Any) -> CodeContext:
    """The context for a cursor at `needle`."""
    return extract_context(text, language, span_at(text, needle), **kwargs)


def ref_names(ctx: CodeContext) -> list[str]:
    return [r.qualified_name for r in ctx.references]
