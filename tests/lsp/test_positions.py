"""Offsets <-> LSP positions in each position encoding (never indexing a str with Position.character)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from cadre_lsp.lsp.positions import LineTable

TEXT = 'x = "👋 héllo"\r\nsecond\rthird\nlast'


@pytest.mark.parametrize(("encoding", "quote_col"), [("utf-16", 13), ("utf-8", 16), ("utf-32", 12)])
def test_columns_count_client_units(encoding, quote_col):
    table = LineTable(TEXT)
    closing = TEXT.index('"', 5)
    assert table.position(closing, encoding) == types.Position(line=0, character=quote_col)
    assert table.offset(0, quote_col, encoding) == closing


def test_lsp_line_breaks_are_crlf_cr_and_lf():
    table = LineTable(TEXT)
    assert table.line_count == 4
    assert [table.line_text(i) for i in range(4)] == ['x = "👋 héllo"', "second", "third", "last"]
    assert table.offset(2, 0) == TEXT.index("third")
    # An offset between \r and \n is still on line 0, at its end.
    assert table.position(TEXT.index("\n")) == table.position(TEXT.index("\r"))


def test_past_line_end_clamps_and_past_text_end_is_end():
    table = LineTable("ab\ncd")
    assert table.offset(0, 99) == 2
    assert table.offset(9, 0) == 5
    assert table.position(99) == types.Position(line=1, character=2)


def test_reversed_range_is_ordered():
    table = LineTable("abc\ndef")
    rng = types.Range(start=types.Position(line=1, character=1), end=types.Position(line=0, character=1))
    assert table.range_offsets(rng) == (1, 5)


def test_position_inside_surrogate_pair_does_not_split_the_character():
    table = LineTable("👋x")
    assert table.offset(0, 1, "utf-16") in (0, 1)  # never a half character
    assert table.offset(0, 2, "utf-16") == 1


@given(st.text(alphabet=st.sampled_from(list("ab é👋\n\r\t")), max_size=40), st.data())
def test_round_trip_every_offset(text, data):
    table = LineTable(text)
    offset = data.draw(st.integers(0, len(text)))
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return  # inside a CRLF: not a position LSP can name
    for encoding in ("utf-8", "utf-16", "utf-32"):
        pos = table.position(offset, encoding)
        assert table.offset(pos.line, pos.character, encoding) == offset
