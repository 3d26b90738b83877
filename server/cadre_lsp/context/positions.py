"""Conversions between character offsets, (line, col) positions and tree-sitter's UTF-8 bytes/points.

The pipeline speaks character offsets and (line, code-point column) positions by the one line table
(text.py: LSP's line breaks); tree-sitter speaks byte offsets and (row, byte column) points whose rows
split at "\n" only. `LineIndex` answers in both: `offset_to_position`, `position_to_offset`,
`line_of_offset`, `line_text` and `line_start` are the pipeline's lines, the point methods tree-sitter's
rows. Most source is ASCII with "\n" endings, where all of these coincide, so the common path is a
lookup in a table of line starts; only lines with other characters pay for an encode.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from ..text import LineTable, line_table


class LineIndex:
    """Line tables for one immutable text; built once per document version, then O(log n) per lookup."""

    __slots__ = ("_byte_starts", "ascii", "line_starts", "lines", "table", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.table: LineTable = line_table(text)
        self.ascii = text.isascii()
        self.lines = text.split("\n")
        self.line_starts: list[int] = list(accumulate((len(line) + 1 for line in self.lines), initial=0))
        self._byte_starts: list[int] | None = None

    @property
    def line_count(self) -> int:
        return len(self.lines)

    def _bytes_before_line(self, row: int) -> int:
        if self.ascii:
            return self.line_starts[row]
        if self._byte_starts is None:
            self._byte_starts = list(
                accumulate((len(line.encode("utf-8")) + 1 for line in self.lines), initial=0)
            )
        return self._byte_starts[row]

    def _char_col(self, row: int, byte_col: int) -> int:
        line = self.lines[row]
        if self.ascii or line.isascii():
            return min(byte_col, len(line))
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))

    def _byte_col(self, row: int, char_col: int) -> int:
        line = self.lines[row]
        if self.ascii or line.isascii():
            return char_col
        return len(line[:char_col].encode("utf-8"))

    def point_to_offset(self, row: int, byte_col: int) -> int:
        """Character offset of a tree-sitter point (row, byte column)."""
        if row >= len(self.lines):
            return len(self.text)
        return self.line_starts[row] + self._char_col(row, byte_col)

    def offset_to_point(self, offset: int) -> tuple[int, int]:
        """Tree-sitter point (row, byte column) of a character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        row = bisect_right(self.line_starts, offset) - 1
        row = min(row, len(self.lines) - 1)
        return row, self._byte_col(row, offset - self.line_starts[row])

    def offset_to_byte(self, offset: int) -> int:
        """UTF-8 byte offset of a character offset (clamped to the text)."""
        if self.ascii:
            return max(0, min(offset, len(self.text)))
        row, byte_col = self.offset_to_point(offset)
        return self._bytes_before_line(row) + byte_col

    def offset_to_position(self, offset: int) -> tuple[int, int]:
        """(line, code-point column) of a character offset, by the pipeline's lines."""
        return self.table.position(offset)

    def position_to_offset(self, line: int, col: int) -> int:
        """Character offset of (line, col), clamped exactly as `core.offset_of` clamps."""
        return self.table.offset(line, col)

    def line_of_offset(self, offset: int) -> int:
        return self.table.line_of(offset)

    def line_text(self, line: int) -> str:
        """A line of the pipeline's (without its break)."""
        return self.table.line_text(line)

    def line_start(self, line: int) -> int:
        return self.table.starts[line]

    @property
    def pipeline_line_count(self) -> int:
        return self.table.line_count


def edit_points(text: str, start: int, end: int, new_text: str) -> tuple[int, int, int, tuple, tuple, tuple]:
    """The arguments of `Tree.edit` for replacing text[start:end] by new_text (character offsets).

    Computed with C-speed string scans rather than a `LineIndex`, so that each keystroke costs a few
    scans of the buffer and no Python loop over its lines.
    """
    row = text.count("\n", 0, start)
    line_start = text.rfind("\n", 0, start) + 1
    ascii_text = text.isascii()

    def old_bytes(s: str) -> int:  # a slice of `text`: ASCII whenever the whole text is
        return len(s) if ascii_text or s.isascii() else len(s.encode("utf-8"))

    def new_bytes(s: str) -> int:
        return len(s) if s.isascii() else len(s.encode("utf-8"))

    start_byte = start if ascii_text else old_bytes(text[:start])
    start_col = old_bytes(text[line_start:start])
    old_rows = text.count("\n", start, end)
    if old_rows:
        old_col = old_bytes(text[text.rfind("\n", 0, end) + 1 : end])
    else:
        old_col = start_col + old_bytes(text[start:end])
    old_end_byte = start_byte + old_bytes(text[start:end])
    new_rows = new_text.count("\n")
    if new_rows:
        new_col = new_bytes(new_text[new_text.rfind("\n") + 1 :])
    else:
        new_col = start_col + new_bytes(new_text)
    new_end_byte = start_byte + new_bytes(new_text)
    return (
        start_byte,
        old_end_byte,
        new_end_byte,
        (row, start_col),
        (row + old_rows, old_col),
        (row + new_rows, new_col),
    )
