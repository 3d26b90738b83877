"""Rebasing an edit onto text the user changed meanwhile, and refusing when its region changed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadre_lsp.core import FileEdit, TextChange
from cadre_lsp.edits import EditConflict, apply_edit_calls, rebase
from cadre_lsp.toolcalls import ToolCall

BASE = "".join(f"line {i}: value = {i * 7}\n" for i in range(20))


def edit_on(text: str, old: str, new: str) -> FileEdit:
    return apply_edit_calls(text, "f.py", [ToolCall("Edit", {"path": "f.py", "old_string": old,
                                                             "new_string": new})], None, version=1)


def test_unchanged_text_keeps_the_edit() -> None:
    fe = edit_on(BASE, "value = 35", "value = 36")
    moved = rebase(fe, BASE, version=2)
    assert moved.changes == fe.changes and moved.version == 2


def test_edit_moves_when_user_typed_above() -> None:
    fe = edit_on(BASE, "line 10: value = 70", "line 10: value = 71")
    current = BASE.replace("line 2: value = 14\n", "line 2: value = 14\n# a comment the user added\n")
    moved = rebase(fe, current, version=3)
    assert moved.base_text == current and moved.version == 3
    assert moved.apply() == current.replace("value = 70", "value = 71")


def test_typing_on_the_line_above_does_not_block() -> None:
    fe = edit_on(BASE, "line 10: value = 70", "line 10: value = 71")
    current = BASE.replace("line 9: value = 63", "line 9: value = 63  # checked")
    assert rebase(fe, current).apply() == current.replace("value = 70", "value = 71")


def test_edit_below_a_deletion_moves() -> None:
    fe = edit_on(BASE, "line 15: value = 105", "line 15: value = 0")
    current = BASE.replace("line 3: value = 21\nline 4: value = 28\n", "")
    assert rebase(fe, current).apply() == current.replace("value = 105", "value = 0")


def test_conflict_when_region_changed() -> None:
    fe = edit_on(BASE, "line 10: value = 70", "line 10: value = 71")
    with pytest.raises(EditConflict, match="line 11"):
        rebase(fe, BASE.replace("line 10: value = 70", "line 10: value = 700"))


def test_conflict_on_adjacent_insertion() -> None:
    fe = edit_on(BASE, "value = 70", "value = 71")
    (ch,) = fe.changes
    current = BASE[: ch.end] + "9" + BASE[ch.end :]  # typed right against the edited text
    with pytest.raises(EditConflict):
        rebase(fe, current)
    insert = FileEdit("f.py", BASE, [TextChange(50, 50, "X")])
    with pytest.raises(EditConflict):
        rebase(insert, BASE[:50] + "typed" + BASE[50:])


def test_created_file_conflicts_if_it_appeared() -> None:
    fe = FileEdit("new.py", "", [TextChange(0, 0, "x")], create=True)
    with pytest.raises(EditConflict):
        rebase(fe, "someone wrote this")


def test_large_file_rebase() -> None:
    big = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(1700))  # 5100 lines
    fe = edit_on(big, "def f1500(x):\n    return x + 1500\n", "def f1500(x):\n    return x - 1500\n")
    current = big.replace("def f3(x):\n", "def f3(x):\n    x = abs(x)\n").replace("return x + 1699", "return 0")
    assert rebase(fe, current).apply() == current.replace("return x + 1500", "return x - 1500")


def _lines(n: int) -> list[str]:
    return [f"row {i} {'x' * (i % 5)}\n" for i in range(n)]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_rebase_equals_applying_both(data: st.DataObject) -> None:
    lines = _lines(data.draw(st.integers(6, 40), label="n"))
    text = "".join(lines)
    a = data.draw(st.integers(0, len(lines) - 1), label="ours")
    b = data.draw(st.integers(0, len(lines) - 1).filter(lambda k: abs(k - a) >= 2), label="theirs")
    ours = data.draw(st.text(alphabet="abc \n", max_size=15), label="our text")
    theirs = data.draw(st.sampled_from(["", "inserted line\n", "changed\n", "two\nlines\n"]), label="their text")
    insert_before = data.draw(st.booleans(), label="insert instead of replace")
    if lines[a] == ours:
        return
    fe = edit_on(text, lines[a], ours)
    other = list(lines)
    other[b] = theirs + lines[b] if insert_before else theirs
    current = "".join(other)
    expected_lines = list(other)
    expected_lines[a] = ours
    expected = "".join(expected_lines)
    assert rebase(fe, current).apply() == expected
