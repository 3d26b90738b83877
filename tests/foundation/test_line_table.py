"""The one line table (text.py): LSP's line breaks everywhere the pipeline counts lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cadre_lsp.core import offset_of, position_of
from cadre_lsp.lsp.positions import LineTable as ClientLines
from cadre_lsp.pipeline import read_request
from cadre_lsp.text import LineTable

TEXT = "a\r\nbb\rccc\n\nd"


def test_every_break_is_a_line_break() -> None:
    t = LineTable(TEXT)
    assert [t.line_text(i) for i in range(t.line_count)] == ["a", "bb", "ccc", "", "d"]
    assert position_of(TEXT, TEXT.index("ccc")) == (2, 0)
    assert offset_of(TEXT, 2, 99) == TEXT.index("ccc") + 3  # clamps to the line's end, before "\n"
    assert position_of(TEXT, 2) == (0, 1)  # inside "\r\n": the end of line 0


@given(st.text(alphabet="ab\r\n\u00e9\U0001f600", max_size=40), st.integers(0, 45))
def test_pipeline_and_client_lines_agree(text: str, offset: int) -> None:
    offset = min(offset, len(text))
    line, col = position_of(text, offset)
    client = ClientLines(text).position(offset, "utf-32")
    assert (line, col) == (client.line, client.character)
    assert offset_of(text, line, col) == min(offset, LineTable(text).ends[line])


def test_cli_lines_count_a_lone_carriage_return(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "mac.py"
    f.write_bytes(b"def f():\r    return 1\r\rdef g():\r    return 2\r")
    req = read_request("fix", f"{f}:4")
    assert req.span.start_line == 3 and req.text[offset_of(req.text, 3, 0):].startswith("def g")
