"""The one line table: where each line of a text starts and ends, by LSP's definition of a line break
("\\r\\n", "\\r" or "\\n"). Lines and columns in the pipeline (core.Span, findings, the CLI's
PATH:LINE) are counted by it, as the editor counts them; columns are code points (lsp/positions.py
converts them to the client's UTF-16 or UTF-8 units). Built once per text, then O(log n) per lookup.

Tree-sitter's points are another coordinate system (rows split at "\\n" only, byte columns):
context/positions.py keeps those beside this table.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineTable:
    """Line starts and ends (excluding the break) of one immutable text."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.ends: list[int] = []
        for m in LINE_BREAK.finditer(text):
            self.ends.append(m.start())
            self.starts.append(m.end())
        self.ends.append(len(text))

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_text(self, line: int) -> str:
        """The text of a line without its break ("" past the end)."""
        if not 0 <= line < len(self.starts):
            return ""
        return self.text[self.starts[line] : self.ends[line]]

    def line_of(self, offset: int) -> int:
        """The line holding `offset` (an offset inside a break belongs to the line it ends)."""
        offset = max(0, min(offset, len(self.text)))
        return bisect_right(self.starts, offset) - 1

    def offset(self, line: int, col: int) -> int:
        """Offset of (line, code-point column); past the end of a line clamps to its end, past the last
        line to the end of the text (as LSP says positions should)."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        return min(self.starts[line] + max(col, 0), self.ends[line])

    def position(self, offset: int) -> tuple[int, int]:
        """(line, code-point column) of an offset; inside a line break maps to that line's end."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        return line, min(offset, self.ends[line]) - self.starts[line]


@lru_cache(maxsize=8)
def line_table(text: str) -> LineTable:
    """The table of `text`, shared by every caller that asks about the same text (a document version
    is asked about many times in one job; str caches its hash, so a hit costs no rescan)."""
    return LineTable(text)
