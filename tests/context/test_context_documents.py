"""DocumentStore: snapshots, incremental reparsing, and its agreement with parsing from scratch."""

from __future__ import annotations

import pytest
from ctx_snippets import JAVASCRIPT, PYTHON, RUST
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadre_lsp.context import DocumentStore, outline_of, parse_document, parse_text


def full_sexp(text: str, language: str) -> str:
    doc = parse_document(text, language)
    assert doc.tree is not None
    return str(doc.tree.root_node)


def test_open_detects_language_from_uri_and_parses() -> None:
    store = DocumentStore()
    doc = store.open("file:///w/m.py", "def f():\n    return 1\n")
    assert doc.language == "python"
    assert doc.tree is not None and not doc.tree.root_node.has_error
    assert store.get("file:///w/m.py") is doc
    assert "file:///w/m.py" in store and len(store) == 1


def test_explicit_language_id_wins_over_extension() -> None:
    doc = DocumentStore().open("file:///w/component", "const A = () => <b/>;\n", language="typescriptreact")
    assert doc.language == "tsx"
    assert not doc.tree.root_node.has_error


def test_change_edits_text_and_tree() -> None:
    store = DocumentStore()
    store.open("u.py", "def old():\n    return 1\n")
    doc = store.change("u.py", 4, 7, "renamed")
    assert doc.text == "def renamed():\n    return 1\n"
    assert [d.name for d in outline_of(doc).definitions()] == ["renamed"]
    assert str(doc.tree.root_node) == full_sexp(doc.text, "python")
    assert doc.revision == 1


def test_change_keeps_older_snapshots_intact() -> None:
    store = DocumentStore()
    first = store.open("u.py", "def a():\n    pass\n")
    second = store.change("u.py", 0, 0, "import os\n")
    assert first.text == "def a():\n    pass\n"
    assert str(first.tree.root_node) == full_sexp(first.text, "python")
    assert second.text.startswith("import os\n")
    assert store.get("u.py") is second


def test_offsets_are_characters_not_bytes() -> None:
    store = DocumentStore()
    text = 's = "héllo wörld 🎉"\ndef f():\n    return s\n'
    store.open("u.py", text)
    start = text.index("f()")
    doc = store.change("u.py", start, start + 1, "größe")
    assert doc.text == text.replace("f()", "größe()")
    assert str(doc.tree.root_node) == full_sexp(doc.text, "python")
    assert [d.name for d in outline_of(doc).definitions() if d.kind == "function"] == ["größe"]


def test_apply_changes_applies_in_order_with_one_reparse() -> None:
    store = DocumentStore()
    store.open("u.js", "function a() {}\n")
    doc = store.apply_changes("u.js", [(9, 10, "bb"), (0, 0, "// c\n")], version=7)
    assert doc.text == "// c\nfunction bb() {}\n"
    assert doc.version == 7 and doc.revision == 1
    assert str(doc.tree.root_node) == full_sexp(doc.text, "javascript")


def test_replace_is_full_sync_and_matches_a_fresh_parse() -> None:
    store = DocumentStore()
    store.open("u.rs", RUST)
    new_text = RUST.replace("pub fn get", "pub fn fetch").replace(
        "usize {\n    c.get", "usize {\n    c.fetch"
    )
    doc = store.replace("u.rs", new_text)
    assert doc.text == new_text
    assert str(doc.tree.root_node) == full_sexp(new_text, "rust")


def test_unknown_language_keeps_text_without_a_tree() -> None:
    store = DocumentStore()
    store.open("notes.txt", "hello\nworld\n")
    doc = store.change("notes.txt", 6, 11, "there")
    assert doc.text == "hello\nthere\n"
    assert doc.tree is None and doc.language is None


def test_out_of_range_change_is_clamped() -> None:
    store = DocumentStore()
    store.open("u.py", "x = 1\n")
    doc = store.change("u.py", 100, 200, "y = 2\n")
    assert doc.text == "x = 1\ny = 2\n"


def test_close_forgets_and_change_on_unknown_uri_raises() -> None:
    store = DocumentStore()
    store.open("u.py", "x = 1\n")
    store.close("u.py")
    assert store.get("u.py") is None
    with pytest.raises(KeyError):
        store.change("u.py", 0, 0, "y")


FRAGMENTS = [
    "def g(a, b):\n    return a\n",
    "(",
    ")",
    ":",
    "\n",
    "    ",
    "é",
    "🎉",
    "{",
    "}",
    "'",
    '"""',
    "x = [1, 2]\n",
    "class K:\n    pass\n",
    "function h() { return 1; }\n",
    "=> ",
    "fn z() {}\n",
    "#",
    "// c\n",
    "",
]

edit_strategy = st.tuples(
    st.floats(min_value=0, max_value=1),
    st.integers(min_value=0, max_value=12),
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)),
)


@pytest.mark.parametrize(
    ("language", "base"), [("python", PYTHON), ("javascript", JAVASCRIPT), ("rust", RUST)]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(edit_strategy, min_size=1, max_size=12))
def test_incremental_parse_equals_full_parse(language: str, base: str, edits: list) -> None:
    store = DocumentStore()
    store.open(f"u.{language}", base, language=language)
    text = base
    for position, length, new_text in edits:
        start = int(position * len(text))
        end = min(len(text), start + length)
        doc = store.change(f"u.{language}", start, end, new_text)
        text = text[:start] + new_text + text[end:]
        assert doc.text == text
    final = store.get(f"u.{language}")
    full = full_sexp(text, language)
    if "ERROR" in full or "MISSING" in full:
        # tree-sitter's error recovery may legitimately pick a different (equally broken) tree when it
        # reparses incrementally; what must agree is that the text is broken.
        assert final.tree.root_node.has_error
    else:
        assert str(final.tree.root_node) == full


def test_parse_text_reuses_the_open_snapshot_with_that_text() -> None:
    store = DocumentStore()
    text = "def shared_snapshot_probe():\n    return 1\n"
    doc = store.open("file:///w/probe.py", text)
    assert parse_text(text, "python") is doc
    changed = store.change("file:///w/probe.py", len(text), len(text), "\n")
    assert parse_text(changed.text, "python") is changed
    assert parse_text(text, "python") is not doc  # the old text is no longer an open snapshot
    store.close("file:///w/probe.py")
    assert parse_text(changed.text, "python") is not changed
