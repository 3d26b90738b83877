"""Reading and writing the user's file: bytes kept, encodings kept, stale or racing writes refused."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadre_lsp.core import FileEdit, TextChange
from cadre_lsp.edits import apply_edit_calls
from cadre_lsp.edits.match import detect_eol
from cadre_lsp.edits.source import SourceError, apply_file_edit, decode_source, read_source, write_source
from cadre_lsp.toolcalls import ToolCall


def test_crlf_bom_tabs_and_no_final_newline_survive_a_one_line_edit(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbfdef f():\r\n\tx = 1  \r\n\treturn x"
    path = tmp_path / "w.py"
    path.write_bytes(raw)
    src = read_source(path)
    assert src.text == "def f():\r\n\tx = 1  \r\n\treturn x" and src.bom and src.encoding == "utf-8"
    at = src.text.index("1")
    apply_file_edit(FileEdit(str(path), src.text, [TextChange(at, at + 1, "2")]), src)
    assert path.read_bytes() == raw.replace(b"x = 1", b"x = 2")


def test_latin1_with_coding_cookie_is_read_and_written_in_latin1(tmp_path: Path) -> None:
    raw = "# -*- coding: latin-1 -*-\nname = 'café'\n".encode("latin-1")
    path = tmp_path / "l1.py"
    path.write_bytes(raw)
    src = read_source(path)
    assert src.encoding == "iso8859-1" and "café" in src.text
    at = src.text.index("café")
    apply_file_edit(FileEdit(str(path), src.text, [TextChange(at, at + 4, "crème")]), src)
    assert path.read_bytes() == raw.replace("café".encode("latin-1"), "crème".encode("latin-1"))


def test_a_character_the_encoding_cannot_store_is_refused_and_nothing_written(tmp_path: Path) -> None:
    raw = "# coding: cp1252\ns = '€'\n".encode("cp1252")
    path = tmp_path / "w.py"
    path.write_bytes(raw)
    src = read_source(path)
    with pytest.raises(SourceError, match="cp1252 cannot store"):
        apply_file_edit(FileEdit(str(path), src.text, [TextChange(0, 0, "# 👋\n")]), src)
    assert path.read_bytes() == raw


@pytest.mark.parametrize(("data", "needle"), [
    (b"x = '\xe9'\n", "not UTF-8 text (byte 0xe9 at line 1 cannot be decoded)"),
    (b"\x7fELF\x02\x01\x00\x00\xff", "binary file"),
    (b"# coding: klingon\nx = '\xe9'\n", "unknown encoding 'klingon'"),
    (b"# coding: utf-8\nx = '\xe9'\n", "declares utf-8 but is not valid utf-8"),
    (b"\xef\xbb\xbfx = '\xe9'\n", "utf-8 byte order mark but is not valid"),
])
def test_undecodable_files_are_one_line_errors(data: bytes, needle: str) -> None:
    with pytest.raises(SourceError) as err:
        decode_source(data, "bin.py")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_utf16_with_bom_round_trips() -> None:
    text, encoding, bom = decode_source("\ufeffx = 'é'\r\n".encode("utf-16-le"))
    assert (text, encoding, bom) == ("x = 'é'\r\n", "utf-16-le", b"\xff\xfe")


def test_directories_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory"):
        read_source(tmp_path)
    with pytest.raises(SourceError, match="cannot read"):
        read_source(tmp_path / "nope.py")


def test_a_file_saved_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    src = read_source(path)
    path.write_bytes(b"x = 1\n# saved by the editor\n")
    with pytest.raises(SourceError, match="changed on disk since it was read"):
        write_source(src, "x = 2\n")
    assert path.read_bytes() == b"x = 1\n# saved by the editor\n"


def test_the_mode_is_kept_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_bytes(b"echo hi\n")
    os.chmod(path, 0o751)
    write_source(read_source(path), "echo bye\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.sh"]


def test_a_symlinked_file_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_bytes(b"x = 1\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_source(read_source(link), "x = 2\n")
    assert link.is_symlink() and real.read_bytes() == b"x = 2\n"


def _racer(path: str, text: str, start: multiprocessing.synchronize.Event, out: multiprocessing.Queue) -> None:
    src = read_source(path)
    out.put(("read", text))
    start.wait()
    try:
        write_source(src, text)
        out.put(("won", text))
    except SourceError as exc:
        out.put(("refused", str(exc)))


def test_two_writers_of_the_same_read_one_wins_the_other_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "race.py"
    for round_ in range(5):
        path.write_bytes(b"x = 0\n")
        ctx = multiprocessing.get_context("fork")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(str(path), f"x = {n}\n", start, out)) for n in (1, 2)]
        for p in procs:
            p.start()
        assert [out.get(timeout=20)[0] for _ in procs] == ["read", "read"]  # both hold the same bytes
        start.set()
        results = sorted(out.get(timeout=20) for _ in procs)
        for p in procs:
            p.join(10)
        (refused, why), (won, text) = results
        assert (refused, won) == ("refused", "won"), (round_, results)
        assert "changed on disk" in why
        assert path.read_text() == text


# -- the property: the file after an edit is the file before with exactly the edited range replaced --

_CHARS = st.sampled_from(list("ab x=(\t") + ["é", "\U0001f44b", "\u00a0", "\f", "\u2028", "  "])
_BREAK = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def files(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bool]:
    """Numbered lines (unique contents) with random breaks, tabs, non-BMP text; maybe no final break."""
    n = draw(st.integers(2, 12))
    lines = []
    for i in range(n):
        indent = draw(st.sampled_from(["", "\t", "    ", "\t  "]))
        body = draw(st.lists(_CHARS, max_size=8).map("".join))
        trailing = draw(st.sampled_from(["", " ", "\t "]))
        lines.append((f"{indent}v{i} = {body}{trailing}", draw(_BREAK)))
    if draw(st.booleans()):
        lines[-1] = (lines[-1][0], "")
    return lines, draw(st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), st.data())
def test_cli_apply_changes_nothing_outside_the_edit(tmp_path_factory: pytest.TempPathFactory,
                                                     generated: tuple[list[tuple[str, str]], bool],
                                                     data: st.DataObject) -> None:
    lines, bom = generated
    text = "".join(c + e for c, e in lines)
    raw = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    path = tmp_path_factory.mktemp("p") / "f.py"
    path.write_bytes(raw)
    k = data.draw(st.integers(0, len(lines) - 2), label="line")
    new_line = data.draw(st.sampled_from(["w = 1", "\tw = '\U0001f600'", "w\t= é "]), label="new")
    inserted = data.draw(st.sampled_from([None, "z = 2", "\tz = 'ü'"]), label="inserted")
    # What a model sends: the lines with "\n" (it never sees the file's breaks), one changed, one added.
    old_string = lines[k][0] + "\n" + lines[k + 1][0]
    new_string = new_line + "\n" + (inserted + "\n" if inserted else "") + lines[k + 1][0]
    src = read_source(path)
    assert src.text == text
    edit = apply_edit_calls(src.text, str(path), [ToolCall("Edit", {"path": str(path), "old_string": old_string,
                                                                     "new_string": new_string})])
    apply_file_edit(edit, src)
    start = sum(len(c) + len(e) for c, e in lines[:k])
    end = start + len(lines[k][0])
    added = new_line + (detect_eol(text) + inserted if inserted else "")
    expected = text[:start] + added + text[end:]
    assert path.read_bytes() == raw[: len(raw) - len(text.encode())] + expected.encode("utf-8")
