"""Syntax checks of whole texts and of candidate edits (only errors the edit introduced)."""

from __future__ import annotations

import pytest
from ctx_snippets import GO, PYTHON, RUST, C

from cadre_lsp.context import SyntaxIssue, can_check, check_edit, syntax_errors
from cadre_lsp.core import TextChange


def replace_once(text: str, old: str, new: str) -> TextChange:
    start = text.index(old)
    return TextChange(start, start + len(old), new)


@pytest.mark.parametrize(("text", "language"), [(PYTHON, "python"), (GO, "go"), (RUST, "rust"), (C, "c")])
def test_clean_sources_have_no_errors(text: str, language: str) -> None:
    assert syntax_errors(text, language) == []


def test_error_node_reported_with_position() -> None:
    text = "def ok():\n    return 1\n\nx = )\n"
    assert syntax_errors(text, "python") == [SyntaxIssue(3, 0, "syntax error near `x = )`", 3, 5)]


def test_unclosed_parameter_list_is_reported_on_its_line() -> None:
    issues = syntax_errors("def ok():\n    return 1\n\ndef broken(:\n    return 2\n", "python")
    assert [(i.line, i.message) for i in issues] == [(3, "missing `)`")]


def test_missing_node_reported() -> None:
    issues = syntax_errors("int main(void) {\n    return 0\n}\n", "c")
    assert any(i.message == "missing `;`" and i.line == 1 for i in issues)


def test_columns_count_code_points() -> None:
    text = 'x = "ééé"; y = (\n'
    issues = syntax_errors(text, "python")
    assert issues
    assert all(isinstance(i, SyntaxIssue) for i in issues)
    assert max(i.col for i in issues) <= len(text.split("\n")[0])


def test_unknown_language_is_never_rejected() -> None:
    assert not can_check("klingon")
    assert syntax_errors("}{ whatever (", "klingon") == []
    assert check_edit("a", [TextChange(0, 1, "}{")], "klingon") == []


def test_check_edit_rejects_a_broken_candidate() -> None:
    change = replace_once(PYTHON, "return x + 1", "return (x + 1")
    issues = check_edit(PYTHON, [change], "python")
    assert issues


def test_check_edit_accepts_a_good_candidate() -> None:
    change = replace_once(PYTHON, "return x + 1", "return x + 2  # fixed")
    assert check_edit(PYTHON, [change], "python") == []


def test_pre_existing_errors_elsewhere_are_not_blamed_on_the_candidate() -> None:
    broken = PYTHON.replace("async def fetch(url):", "async def fetch(url:")
    assert syntax_errors(broken, "python")
    good = replace_once(broken, "return x + 1", "return x + 2")
    assert check_edit(broken, [good], "python") == []
    bad = replace_once(broken, "return x + 1", "return x +")
    new = check_edit(broken, [bad], "python")
    assert new and all(issue.line < 15 for issue in new)


def test_error_just_after_the_change_is_blamed() -> None:
    text = "fn a() -> i32 {\n    1\n}\n\nfn b() -> i32 {\n    2\n}\n"
    start = text.index("fn b")
    issues = check_edit(text, [TextChange(start, start, "fn c( {\n")], "rust")
    assert issues


def test_multiple_changes_are_applied_to_a_copy() -> None:
    text = "def f():\n    return 1\n\ndef g():\n    return 2\n"
    changes = [replace_once(text, "return 2", "return 3"), replace_once(text, "return 1", "return 0")]
    assert check_edit(text, changes, "python") == []
    assert "return 2" in text  # the caller's text is untouched


def test_overlapping_changes_are_refused() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        check_edit("abcdef", [TextChange(0, 3, "x"), TextChange(2, 4, "y")], "python")
