"""Character offsets <-> LSP positions, in the position encoding the client negotiated.

The pipeline speaks Python character offsets; LSP speaks (line, character) where lines end at "\\n",
"\\r\\n" or "\\r" and `character` counts UTF-16 code units (VS Code, Neovim 0.7), UTF-8 bytes (Helix,
Neovim 0.11) or code points (Emacs). Every conversion crosses here, through pygls' unit counters, so no
handler ever indexes a str with `Position.character`.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from ..text import line_table


@lru_cache(maxsize=8)
def codec_for(encoding: str | None) -> PositionCodec:
    """pygls' codec for an encoding name ("utf-16" when the client named none)."""
    return PositionCodec(encoding or types.PositionEncodingKind.Utf16)


class LineTable:
    """The text's line table (text.py, shared with the pipeline) with positions in client units."""

    __slots__ = ("ends", "lines", "starts", "text")

    def __init__(self, text: str) -> None:
        self.lines = line_table(text)
        self.text, self.starts, self.ends = text, self.lines.starts, self.lines.ends

    @property
    def line_count(self) -> int:
        return self.lines.line_count

    def line_text(self, line: int) -> str:
        """The text of a line without its terminator ("" past the end)."""
        return self.lines.line_text(line)

    def offset(self, line: int, character: int, encoding: str | None = None) -> int:
        """Offset of an LSP position; past the end of a line clamps to the line end (LSP says so)."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self.ends[line]
        if character <= 0:
            return start
        segment = self.text[start:end]
        if segment.isascii():
            return start + min(character, len(segment))
        impl = codec_for(encoding).impl
        units = 0
        for i, ch in enumerate(segment):
            if units >= character:
                return start + i
            units += impl.code_units_for_char(ch)
        return end

    def position(self, offset: int, encoding: str | None = None) -> types.Position:
        """LSP position of an offset; an offset inside a line break maps to that line's end."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        segment = self.text[start : min(offset, self.ends[line])]
        if segment.isascii():
            return types.Position(line=line, character=len(segment))
        return types.Position(line=line, character=codec_for(encoding).client_num_units(segment))

    def range_offsets(self, rng: types.Range, encoding: str | None = None) -> tuple[int, int]:
        """(start, end) offsets of an LSP range, ordered even if the client sent them reversed."""
        a = self.offset(rng.start.line, rng.start.character, encoding)
        b = self.offset(rng.end.line, rng.end.character, encoding)
        return (a, b) if a <= b else (b, a)

    def range(self, start: int, end: int, encoding: str | None = None) -> types.Range:
        return types.Range(start=self.position(start, encoding), end=self.position(end, encoding))
