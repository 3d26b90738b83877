"""ReviewTracker: only definitions changed since the last review are reported."""

from __future__ import annotations

from ctx_snippets import GO, PYTHON

from cadre_lsp.context import ReviewTracker

URI = "file:///w/m.py"


def names(defs) -> list[str]:
    return [d.qualified_name for d in defs]


def test_everything_is_new_before_the_first_review() -> None:
    tracker = ReviewTracker()
    assert names(tracker.changed_definitions(URI, PYTHON, "python")) == [
        "LIMIT",
        "helper",
        "Outer",
        "Outer.Inner",
        "Inner.deep",
        "Outer.decorated",
        "Outer.calls_sibling",
        "fetch",
        "uses_alias",
    ]


def test_nothing_changed_after_marking_reviewed() -> None:
    tracker = ReviewTracker()
    tracker.mark_reviewed(URI, tracker.changed_definitions(URI, PYTHON, "python"))
    assert tracker.changed_definitions(URI, PYTHON, "python") == []


def test_editing_a_method_reports_the_method_not_its_class() -> None:
    tracker = ReviewTracker()
    tracker.mark_all_reviewed(URI, PYTHON, "python")
    edited = PYTHON.replace("return os.path.join(a)", "return os.path.join(a, 'x')")
    assert names(tracker.changed_definitions(URI, edited, "python")) == ["Outer.decorated"]


def test_editing_a_class_own_line_reports_the_class_only() -> None:
    tracker = ReviewTracker()
    tracker.mark_all_reviewed(URI, PYTHON, "python")
    edited = PYTHON.replace('"""The outer class."""', '"""The outer class, revised."""')
    assert names(tracker.changed_definitions(URI, edited, "python")) == ["Outer"]


def test_new_definitions_are_reported_and_moves_are_not() -> None:
    tracker = ReviewTracker()
    tracker.mark_all_reviewed(URI, PYTHON, "python")
    fetch = "async def fetch(url):\n    await go(url)\n"
    moved = PYTHON.replace(fetch, "") + "\n\n" + fetch + "\n\ndef brand_new():\n    return 0\n"
    assert names(tracker.changed_definitions(URI, moved, "python")) == ["brand_new"]


def test_only_what_was_marked_counts_as_reviewed() -> None:
    tracker = ReviewTracker()
    changed = tracker.changed_definitions(URI, PYTHON, "python")
    tracker.mark_reviewed(URI, [d for d in changed if d.name in ("helper", "fetch")])
    remaining = names(tracker.changed_definitions(URI, PYTHON, "python"))
    assert "helper" not in remaining and "fetch" not in remaining
    assert "uses_alias" in remaining


def test_documents_are_tracked_separately_and_can_be_forgotten() -> None:
    tracker = ReviewTracker()
    tracker.mark_all_reviewed(URI, PYTHON, "python")
    assert names(tracker.changed_definitions("file:///w/shapes.go", GO, "go")) == [
        "Circle",
        "Circle.Area",
        "Describe",
        "Upper",
    ]
    tracker.forget(URI)
    assert len(tracker.changed_definitions(URI, PYTHON, "python")) == 9


def test_unknown_language_is_one_file_level_definition() -> None:
    tracker = ReviewTracker()
    first = tracker.changed_definitions("file:///w/notes.txt", "hello\n", None)
    assert [(d.kind, d.name) for d in first] == [("file", "<file>")]
    tracker.mark_reviewed("file:///w/notes.txt", first)
    assert tracker.changed_definitions("file:///w/notes.txt", "hello\n", None) == []
    assert len(tracker.changed_definitions("file:///w/notes.txt", "hello there\n", None)) == 1
