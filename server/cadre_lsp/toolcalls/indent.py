"""Indentation arithmetic shared by the rewrite format and the whitespace-tolerant edit matcher.

Widths count a tab as `TAB_WIDTH` columns; this only matters when the model and the file disagree
(spaces for a tab-indented file), and the result is written in the file's own style.
"""

from __future__ import annotations

TAB_WIDTH = 4


def leading_ws(line: str) -> str:
    """The run of spaces and tabs that starts `line`."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_width(line: str) -> int:
    """Columns of leading whitespace of `line` (tabs count `TAB_WIDTH`)."""
    return len(leading_ws(line).expandtabs(TAB_WIDTH))


def uses_tabs(lines: list[str]) -> bool:
    """Whether the indented lines mostly start with a tab."""
    tabbed = sum(1 for ln in lines if ln.startswith("\t"))
    spaced = sum(1 for ln in lines if ln.startswith(" ") and ln.strip())
    return tabbed > spaced


def make_indent(width: int, tabs: bool) -> str:
    """Whitespace of `width` columns in the given style."""
    width = max(width, 0)
    if tabs:
        return "\t" * (width // TAB_WIDTH) + " " * (width % TAB_WIDTH)
    return " " * width


def shift(line: str, delta: int, tabs: bool) -> str:
    """`line` moved `delta` columns, its indentation rewritten in the file's style when it changes.

    Blank lines are left as they are; a line whose whitespace already fits is returned unchanged.
    """
    if not line.strip():
        return line
    ws = leading_ws(line)
    mismatched = ("\t" in ws) != tabs and (not tabs or len(ws.expandtabs(TAB_WIDTH)) >= TAB_WIDTH)
    if delta == 0 and not mismatched:
        return line
    return make_indent(indent_width(line) + delta, tabs) + line[len(ws) :]
