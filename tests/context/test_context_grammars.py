"""Language detection and offline grammar loading."""

from __future__ import annotations

import pytest

from cadre_lsp.context import SUPPORTED, grammar, grammar_status, language_for, new_parser, normalize_language


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b/c.py", "python"),
        ("stubs.pyi", "python"),
        ("file:///w/app.js", "javascript"),
        ("x.mjs", "javascript"),
        ("comp.jsx", "javascript"),
        ("x.ts", "typescript"),
        ("View.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("init.lua", "lua"),
        ("x.c", "c"),
        ("x.h", "c"),
        ("x.cpp", "cpp"),
        ("X.HPP", "cpp"),
        ("x.cc", "cpp"),
        ("file:///w/a%20b/x.py?version=3", "python"),
        ("C:\\work\\x.rs", "rust"),
        ("Makefile", None),
        ("notes.txt", None),
        ("archive.tar.gz", None),
        ("", None),
    ],
)
def test_language_for_extension(path: str, language: str | None) -> None:
    assert language_for(path) == language


def test_lsp_language_ids_map_to_our_names() -> None:
    assert normalize_language("typescriptreact") == "tsx"
    assert normalize_language("javascriptreact") == "javascript"
    assert normalize_language("Python") == "python"
    assert normalize_language("c++") == "cpp"
    assert normalize_language(None) is None
    assert normalize_language("") is None


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_supported_grammar_loads_offline(language: str) -> None:
    # No network here: a grammar that only a runtime download could provide would be None.
    parser = new_parser(language)
    assert parser is not None, grammar_status([language])
    tree = parser.parse(b"x")
    assert tree.root_node is not None


def test_unknown_language_has_no_grammar_and_says_why() -> None:
    assert grammar("no-such-language") is None
    assert new_parser(None) is None
    assert grammar_status(["no-such-language"])["no-such-language"].startswith("unavailable")
