"""The block a code job works on: the enclosing definition of the request's span (tree-sitter), else
the selected whole lines. Built once per job; the pipeline and the LSP layer ask for it here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import Request, Span, position_of


@dataclass
class Target:
    """The block the model sees and, for edits, rewrites: the enclosing definition or the selected lines."""

    start: int
    end: int
    text: str
    kind: str
    name: str
    context: str
    """Rendered prompt context (imports, referenced definitions), without the target itself."""

    def span(self, text: str) -> Span:
        (l0, c0), (l1, c1) = position_of(text, self.start), position_of(text, self.end)
        return Span(l0, c0, l1, c1)

    def lines(self, text: str) -> tuple[int, int]:
        """0-based first and last line of the block in `text`."""
        return text.count("\n", 0, self.start), text.count("\n", 0, max(self.start, self.end - 1))


def build_target(request: Request, context_tokens: int) -> Target:
    """The enclosing definition of the span (tree-sitter), else the selected whole lines."""
    from ..context import extract_context

    text = request.text
    try:
        ctx = extract_context(text, request.language, request.span, budget_tokens=context_tokens,
                              workspace_root=request.workspace_root)
    except Exception:  # no grammar, a parser problem: the selected lines still make a target
        ctx = None
    d = getattr(ctx, "target", None) if ctx else None
    s0, s1 = request.span.to_offsets(text)
    if d is not None and d.start_offset <= s0 and s1 <= max(d.end_offset + 1, s0):
        start = text.rfind("\n", 0, d.start_offset) + 1
        end = _line_end(text, d.end_offset)
        kind = "code" if d.kind in ("region", None, "") else d.kind
        name = d.name or ""
    else:
        start = text.rfind("\n", 0, s0) + 1
        end = _line_end(text, max(s0, s1 - 1) if s1 > s0 else s0)
        kind, name = "code", ""
    return Target(start=start, end=end, text=text[start:end], kind=kind, name=name, context=_render_context(ctx))


def _line_end(text: str, offset: int) -> int:
    nl = text.find("\n", offset)
    return len(text) if nl < 0 else nl + 1


def _render_context(ctx: Any) -> str:
    if ctx is None:
        return ""
    try:
        return ctx.render(include_target=False)
    except TypeError:
        return ""
