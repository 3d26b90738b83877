"""Which language a file is, and where its tree-sitter grammar comes from, without the network.

Grammars are loaded in this order:

1. the official per-language wheels (`tree-sitter-python`, `tree-sitter-javascript`,
   `tree-sitter-typescript`, `tree-sitter-go`, `tree-sitter-rust`, `tree-sitter-lua`, `tree-sitter-c`,
   `tree-sitter-cpp`): compiled grammars inside the wheel, nothing fetched at run time;
2. `tree-sitter-language-pack`, but only where it can answer offline: the 0.x releases bundle their
   grammars, while 1.x fetches a manifest and grammar bundle from the internet on first use, so from 1.x we
   take only grammars already in its cache (`downloaded_languages()`; point
   `TREE_SITTER_LANGUAGE_PACK_CACHE_DIR` at a prepared cache to use more).

A language with no loadable grammar is not an error: callers fall back to plain line windows.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Iterable

from tree_sitter import Language, Parser

log = logging.getLogger(__name__)

SUPPORTED: tuple[str, ...] = ("python", "javascript", "typescript", "tsx", "go", "rust", "lua", "c", "cpp")
"""Languages with definition rules here (others may still get syntax checks if a grammar loads)."""

_EXTENSIONS: dict[str, str] = {
    "py": "python", "pyi": "python", "pyw": "python",
    "js": "javascript", "mjs": "javascript", "cjs": "javascript", "jsx": "javascript",
    "ts": "typescript", "mts": "typescript", "cts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "lua": "lua",
    "c": "c", "h": "c",
    "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "c++": "cpp", "hpp": "cpp", "hh": "cpp", "hxx": "cpp",
    "h++": "cpp", "ipp": "cpp", "inl": "cpp", "tpp": "cpp",
}  # fmt: skip

_ALIASES: dict[str, str] = {
    # LSP languageId values and common spellings that differ from our names.
    "typescriptreact": "tsx",
    "javascriptreact": "javascript",
    "js": "javascript",
    "ts": "typescript",
    "py": "python",
    "python3": "python",
    "golang": "go",
    "rs": "rust",
    "c++": "cpp",
    "cxx": "cpp",
    "objective-c": "objc",
}

_WHEELS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "lua": ("tree_sitter_lua", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}


def language_for(path: str) -> str | None:
    """Our language name for a path or URI, by its extension; None when we do not know it."""
    name = path.split("?", 1)[0].split("#", 1)[0].replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return _EXTENSIONS.get(name.rsplit(".", 1)[1].lower())


def normalize_language(language: str | None) -> str | None:
    """Map an LSP languageId or alias ("typescriptreact", "c++") to our name; None stays None."""
    if not language:
        return None
    lowered = language.strip().lower()
    return _ALIASES.get(lowered, lowered)


@functools.cache
def _load(language: str) -> tuple[Language | None, str]:
    """The grammar and a word on where it came from (or why there is none); cached for the process."""
    wheel = _WHEELS.get(language)
    if wheel is not None:
        module_name, attr = wheel
        try:
            module = importlib.import_module(module_name)
            return Language(getattr(module, attr)()), module_name
        except Exception as exc:  # ImportError, or an ABI the installed tree-sitter cannot load
            log.debug("grammar wheel %s unusable: %s", module_name, exc)
    return _from_language_pack(language)


def _from_language_pack(language: str) -> tuple[Language | None, str]:
    try:
        pack = importlib.import_module("tree_sitter_language_pack")
    except ImportError:
        return None, "no grammar installed"
    try:
        downloaded = getattr(pack, "downloaded_languages", None)
        if downloaded is not None and language not in set(downloaded()):
            # 1.x would download the grammar here; a language server must not reach out on its own.
            return None, "tree-sitter-language-pack has not cached this grammar (it downloads lazily)"
        found = pack.get_language(language)
    except Exception as exc:
        return None, f"tree-sitter-language-pack: {exc}"
    if not isinstance(found, Language):
        try:
            found = Language(found)
        except Exception as exc:
            return None, f"tree-sitter-language-pack returned an unusable grammar: {exc}"
    return found, "tree_sitter_language_pack"


def grammar(language: str | None) -> Language | None:
    """The tree-sitter grammar for `language`, or None when none can be loaded offline."""
    name = normalize_language(language)
    if name is None:
        return None
    return _load(name)[0]


def new_parser(language: str | None) -> Parser | None:
    """A fresh parser for `language` (parsers are not thread-safe: one per document or per call)."""
    lang = grammar(language)
    return Parser(lang) if lang is not None else None


def grammar_status(languages: Iterable[str] = SUPPORTED) -> dict[str, str]:
    """For `cadre-lsp doctor`: where each language's grammar comes from, or why it is missing."""
    out: dict[str, str] = {}
    for name in languages:
        lang, source = _load(normalize_language(name) or name)
        out[name] = source if lang is not None else f"unavailable ({source})"
    return out
