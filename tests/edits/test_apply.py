"""Applying Edit calls: exact and tolerant matching, ambiguity, line endings, all-or-nothing."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cadre_lsp.core import FileEdit, Span, TextChange
from cadre_lsp.edits import EditError, apply_edit_calls, unified_diff
from cadre_lsp.toolcalls import ToolCall

DOC = """import os


def add(a, b):
    return a - b


def sub(a, b):
    return a - b


class Box:
    def area(self):
        width = self.w
        return width * self.h
"""


def edit(old: str, new: str, path: str = "app.py") -> ToolCall:
    return ToolCall("Edit", {"path": path, "old_string": old, "new_string": new})


def test_exact_unique_edit_gives_minimal_change() -> None:
    fe = apply_edit_calls(DOC, "app.py", [edit("width * self.h", "width * self.height")], None, version=7)
    assert isinstance(fe, FileEdit) and fe.version == 7 and fe.base_text == DOC and not fe.create
    assert fe.apply() == DOC.replace("width * self.h", "width * self.height")
    (ch,) = fe.changes
    assert (DOC[ch.start : ch.end], ch.new_text) == ("", "eight")


def test_ambiguous_in_document_is_an_error_naming_the_lines() -> None:
    with pytest.raises(EditError) as err:
        apply_edit_calls(DOC, "app.py", [edit("    return a - b\n", "    return a + b\n")], None, version=None)
    assert str(err.value) == ("old_string matches 2 places in app.py (lines 5, 9); include more surrounding lines "
                              "so it matches exactly once")


def test_span_first_disambiguates() -> None:
    # Lines 8-9 (0-based 7-8) are `def sub` and its body.
    fe = apply_edit_calls(DOC, "app.py", [edit("    return a - b\n", "    return a + b\n")], Span.lines(7, 8),
                          version=None)
    after = fe.apply()
    assert after.count("return a + b") == 1
    assert after.index("return a + b") > after.index("def sub")


def test_span_falls_back_to_the_document() -> None:
    fe = apply_edit_calls(DOC, "app.py", [edit("import os\n", "import os\nimport sys\n")], Span.lines(12, 14),
                          version=None)
    assert fe.apply().startswith("import os\nimport sys\n")


def test_not_found_names_file_and_closest_line() -> None:
    with pytest.raises(EditError) as err:
        apply_edit_calls(DOC, "src/app.py", [edit("    return width * self.hh\n", "x")], None, version=None)
    msg = str(err.value)
    assert msg.startswith("old_string not found in app.py")
    assert "closest line 15" in msg


def test_no_op_and_non_edit_calls_are_rejected() -> None:
    with pytest.raises(EditError, match="changes nothing"):
        apply_edit_calls(DOC, "app.py", [edit("import os", "import os")], None, version=None)
    with pytest.raises(EditError, match="not an Edit call"):
        apply_edit_calls(DOC, "app.py", [ToolCall("Write", {"path": "a", "content": "b"})], None, version=None)
    with pytest.raises(EditError, match="no edits"):
        apply_edit_calls(DOC, "app.py", [], None, version=None)


def test_reindented_no_op_is_rejected() -> None:
    # Found at another indentation, but after re-indentation new_string equals the text found.
    with pytest.raises(EditError, match="changes nothing"):
        apply_edit_calls(DOC, "app.py", [edit("width = self.w\nreturn width * self.h\n",
                                              "width = self.w\nreturn width * self.h")], None, version=None)


def test_overlapping_edits_fail_all_or_nothing() -> None:
    calls = [edit("def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b"),
             edit("    return a - b\n\n\ndef sub", "    return 0\n\n\ndef sub")]
    with pytest.raises(EditError, match="Edits 1 and 2 overlap at line 5"):
        apply_edit_calls(DOC, "app.py", calls, None, version=None)


def test_one_bad_call_fails_the_whole_set() -> None:
    calls = [edit("import os", "import sys"), edit("not in the file", "x")]
    with pytest.raises(EditError, match=r"^Edit 2 of 2: old_string not found in app.py"):
        apply_edit_calls(DOC, "app.py", calls, None, version=None)


def test_several_edits_apply_together() -> None:
    calls = [edit("import os", "import sys"), edit("width = self.w", "width = self.width")]
    fe = apply_edit_calls(DOC, "app.py", calls, None, version=None)
    assert fe.apply() == DOC.replace("import os", "import sys").replace("width = self.w", "width = self.width")
    assert len(fe.changes) == 2


def test_crlf_file_stays_crlf() -> None:
    doc = DOC.replace("\n", "\r\n")
    fe = apply_edit_calls(doc, "app.py", [edit("def sub(a, b):\n    return a - b\n",
                                               "def sub(a, b):\n    # minus\n    return a - b\n")],
                          None, version=None)
    after = fe.apply()
    assert "def sub(a, b):\r\n    # minus\r\n    return a - b\r\n" in after
    assert after.count("\n") == after.count("\r\n")


def test_trailing_whitespace_is_tolerated() -> None:
    doc = "def f():\n    x = 1   \n    return x\n"
    fe = apply_edit_calls(doc, "f.py", [edit("    x = 1\n    return x\n", "    x = 2\n    return x\n")], None,
                          version=None)
    assert fe.apply() == "def f():\n    x = 2\n    return x\n"


def test_indentation_tolerant_match_reindents_new_string() -> None:
    old = "width = self.w\nreturn width * self.h\n"
    new = "width = self.w\nif width < 0:\n    raise ValueError(width)\nreturn width * self.h\n"
    fe = apply_edit_calls(DOC, "app.py", [edit(old, new)], None, version=None)
    assert fe.apply().endswith(
        "        width = self.w\n        if width < 0:\n            raise ValueError(width)\n"
        "        return width * self.h\n")


def test_indentation_tolerant_match_requires_same_relative_indentation() -> None:
    old = "def area(self):\nwidth = self.w\n"  # body not indented relative to def: a different shape
    with pytest.raises(EditError, match="not found"):
        apply_edit_calls(DOC, "app.py", [edit(old, "def area(self):\nwidth = 1\n")], None, version=None)


def test_tab_file_gets_tabs() -> None:
    doc = "func f() {\n\tif x {\n\t\treturn 1\n\t}\n}\n"
    fe = apply_edit_calls(doc, "f.go", [edit("if x {\n    return 1\n}", "if x {\n    return 2\n}")], None,
                          version=None)
    assert fe.apply() == "func f() {\n\tif x {\n\t\treturn 2\n\t}\n}\n"


def test_copied_line_number_gutter_is_removed() -> None:
    old = "14|         width = self.w\n15|         return width * self.h\n"
    new = "14|         width = self.w\n15|         return width * self.h * 1\n"
    fe = apply_edit_calls(DOC, "app.py", [edit(old, new)], None, version=None)
    assert fe.apply().endswith("        return width * self.h * 1\n")


def test_dict_of_ints_is_not_mistaken_for_a_gutter() -> None:
    doc = "NAMES = {\n    1: 'one',\n    2: 'two',\n}\n"
    fe = apply_edit_calls(doc, "n.py", [edit("    1: 'one',\n    2: 'two',\n", "    1: 'uno',\n    2: 'two',\n")],
                          None, version=None)
    assert fe.apply() == "NAMES = {\n    1: 'uno',\n    2: 'two',\n}\n"


def test_unified_diff_for_cli() -> None:
    fe = apply_edit_calls(DOC, "app.py", [edit("import os", "import sys")], None, version=None)
    diff = unified_diff(fe, "app.py")
    assert diff.startswith("--- a/app.py\n+++ b/app.py\n@@ -1,4 +1,4 @@\n-import os\n+import sys\n")
    created = FileEdit("new.py", "", [TextChange(0, 0, "x = 1")], create=True)
    assert unified_diff(created, "new.py") == ("--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
                                                "\\ No newline at end of file\n")


_WORDS = st.text(alphabet="ab \n\tx(){}=", min_size=0, max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_exact_edit_equals_str_replace(data: st.DataObject) -> None:
    text = data.draw(_WORDS, label="text")
    assume(text)
    i = data.draw(st.integers(0, len(text) - 1), label="i")
    j = data.draw(st.integers(i + 1, len(text)), label="j")
    old = text[i:j]
    assume(text.count(old) == 1 and text.find(old, text.find(old) + 1) < 0)
    new = data.draw(_WORDS, label="new")
    assume(new != old)
    fe = apply_edit_calls(text, "t.txt", [edit(old, new)], None, version=None)
    assert fe.apply() == text.replace(old, new)
    for ch in fe.changes:
        assert 0 <= ch.start <= ch.end <= len(text)
