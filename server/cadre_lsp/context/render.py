"""Lays out a `CodeContext` as prompt text: markdown sections, most relevant first, within a budget.

Order: the target (cut around the span if it alone is too big), the definitions around it (one
signature line each), the imports it uses, then referenced definitions, each whole when small and as
signature plus docstring summary otherwise. What no longer fits is left out. No line-number gutters:
a model must be able to quote the code exactly.
"""

from __future__ import annotations

import os
import textwrap
from typing import TYPE_CHECKING

from .budget import chars_for, trim_lines_around
from .languages import spec_for
from .outline import Definition

if TYPE_CHECKING:
    from .extract import CodeContext


def render_context(ctx: CodeContext, budget_tokens: int, *, include_target: bool = True) -> str:
    return _Renderer(ctx, budget_tokens, include_target).render()


class _Renderer:
    """Lays out a `CodeContext` as markdown sections, most relevant first, within a character budget."""

    def __init__(self, ctx: CodeContext, budget_tokens: int, include_target: bool = True) -> None:
        self.ctx = ctx
        self.include_target = include_target
        self.max_chars = chars_for(max(0, budget_tokens))
        spec = spec_for(ctx.language)
        self.fence = spec.fence if spec is not None else (ctx.language or "")
        self.comment = spec.line_comment if spec is not None else "#"
        self.parts: list[str] = []
        self.used = 0

    def remaining(self) -> int:
        return self.max_chars - self.used - (1 if self.parts else 0)

    def add(self, block: str) -> bool:
        if not block or len(block) > self.remaining():
            return False
        self.used += len(block) + (1 if self.parts else 0)
        self.parts.append(block)
        return True

    def code_block(self, header: str, code: str) -> str:
        return f"{header}\n```{self.fence}\n{code}\n```"

    def trimmed_block(self, header: str, code: str, focus: tuple[int, int]) -> str | None:
        """`code` under `header`, cut around the focus lines to the space left; None if nothing fits."""
        block = self.code_block(header, code)
        if len(block) <= self.remaining():
            return block
        room = self.remaining() - len(self.code_block(header, ""))
        if room < 20:
            return None
        kept = trim_lines_around(code.split("\n"), focus[0], focus[1], room, f"{self.comment} ...")
        return self.code_block(header, "\n".join(kept))

    def render(self) -> str:
        ctx = self.ctx
        if self.max_chars <= 0:
            return ""
        if ctx.target is not None:
            if self.include_target:
                self.render_target(ctx.target)
        elif ctx.window:
            first = ctx.window_start_line
            header = f"Code around lines {ctx.focus_start_line + 1}-{ctx.focus_end_line + 1}:"
            block = self.trimmed_block(
                header, ctx.window, (ctx.focus_start_line - first, ctx.focus_end_line - first)
            )
            if block:
                self.add(block)
        for outer in ctx.enclosing:
            self.add(f"It is inside {outer.kind} `{outer.name}`: {outer.signature.splitlines()[0]}")
        if ctx.imports:
            self.render_imports(ctx.imports)
        for ref in ctx.references:
            self.render_reference(ref)
        return "\n".join(self.parts)[: self.max_chars]

    def render_target(self, target: Definition) -> None:
        where = f"lines {target.start_line + 1}-{target.end_line + 1}"
        if target.kind == "region":
            header = f"Code to work on ({where}):"
        else:
            header = f"Code to work on: {target.kind} `{target.qualified_name}` ({where}):"
        code = target.indent + target.text
        doc_lines = 0
        if target.docstring and self.comment != "#" and target.docstring not in target.text:
            comment = "\n".join(
                f"{target.indent}{self.comment} {line}".rstrip() for line in target.docstring.split("\n")
            )
            code = comment + "\n" + code
            doc_lines = comment.count("\n") + 1
        focus = (
            self.ctx.focus_start_line - target.start_line + doc_lines,
            self.ctx.focus_end_line - target.start_line + doc_lines,
        )
        block = self.trimmed_block(header, code, focus)
        if block:
            self.add(block)

    def render_imports(self, imports: list[str]) -> None:
        header = "Imports it uses:" if self.ctx.target is not None else "Imports:"
        kept: list[str] = []
        for line in imports:
            candidate = self.code_block(header, "\n".join([*kept, line]))
            if len(candidate) > self.remaining():
                break
            kept.append(line)
        if kept:
            self.add(self.code_block(header, "\n".join(kept)))

    def render_reference(self, ref: Definition) -> None:
        where = self._where(ref)
        header = f"{ref.kind} `{ref.qualified_name}` ({where}):"
        full = self.code_block(header, _dedent(ref.indent + ref.text))
        if len(full) <= max(self.max_chars // 3, 400) and self.add(full):
            return
        summary = ref.signature
        if ref.docstring:
            first_paragraph = ref.docstring.split("\n\n", 1)[0]
            summary += "\n" + "\n".join(
                f"    {self.comment} {line}".rstrip() for line in first_paragraph.split("\n")
            )
        summary += f"\n    {self.comment} ... ({ref.end_line - ref.start_line + 1} lines)"
        self.add(self.code_block(header, _dedent(summary)))

    def _where(self, ref: Definition) -> str:
        lines = f"lines {ref.start_line + 1}-{ref.end_line + 1}"
        if ref.path is None:
            return f"this file, {lines}"
        shown = ref.path
        root = self.ctx.workspace_root
        if root:
            try:
                shown = os.path.relpath(ref.path, root)
            except ValueError:
                shown = ref.path
        return f"{shown}, {lines}"


def _dedent(code: str) -> str:
    return textwrap.dedent(code)
