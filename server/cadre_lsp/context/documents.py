"""Parsed documents: the open buffers, each with its tree kept current by incremental reparsing.

A `ParsedDocument` is an immutable snapshot (text, language, tree, revision). Every change produces a new
snapshot, so a job that read one keeps a consistent view while the user types, and anything derived from
a snapshot (line tables, definition outlines) can be cached on it without invalidation rules: the cache
is keyed by snapshot identity.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Parser, Tree

from .grammars import language_for, new_parser, normalize_language
from .positions import LineIndex, edit_points

MAX_PARSE_CHARS = 4_000_000
"""Texts longer than this are not parsed (minified bundles, logs): they get plain line windows."""


@dataclass(eq=False)
class ParsedDocument:
    """One version of one document. `tree` is None for languages without a grammar or huge texts."""

    uri: str
    text: str
    language: str | None
    tree: Tree | None
    revision: int = 0
    """Incremented by every change made through a `DocumentStore`."""
    version: int | None = None
    """The editor's version number, when the caller passed one."""
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    """Data derived from this snapshot (line index, outline, ...), filled lazily by other modules."""

    @property
    def lines(self) -> LineIndex:
        index = self.cache.get("lines")
        if index is None:
            index = self.cache["lines"] = LineIndex(self.text)
        return index

    @property
    def source(self) -> bytes:
        """The UTF-8 bytes the tree was parsed from."""
        data = self.cache.get("source")
        if data is None:
            data = self.cache["source"] = self.text.encode("utf-8")
        return data


def _resolve_language(uri: str, language: str | None) -> str | None:
    return normalize_language(language) or language_for(uri)


def _parse(parser: Parser | None, data: bytes, old_tree: Tree | None = None) -> Tree | None:
    if parser is None or len(data) > MAX_PARSE_CHARS * 4:
        return None
    return parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)


def parse_document(text: str, language: str | None, uri: str = "") -> ParsedDocument:
    """Parse `text` from scratch into a snapshot (no caching; see `parse_text`)."""
    lang = _resolve_language(uri, language)
    parser = new_parser(lang) if len(text) <= MAX_PARSE_CHARS else None
    doc = ParsedDocument(uri=uri, text=text, language=lang, tree=None)
    if parser is not None:
        doc.tree = _parse(parser, doc.source)
    return doc


_TEXT_CACHE: OrderedDict[tuple[str | None, str], ParsedDocument] = OrderedDict()
_TEXT_CACHE_SIZE = 16
_TEXT_CACHE_LOCK = threading.Lock()


_OPEN_SNAPSHOTS: weakref.WeakValueDictionary[tuple[str | None, str], ParsedDocument] = (
    weakref.WeakValueDictionary()
)
"""The current snapshot of every document open in a `DocumentStore`, by (language, text), so that a job
that carries only the text still finds the incrementally parsed tree instead of parsing from scratch."""


def _track_snapshot(old: ParsedDocument | None, new: ParsedDocument | None) -> None:
    with _TEXT_CACHE_LOCK:
        if old is not None and _OPEN_SNAPSHOTS.get((old.language, old.text)) is old:
            del _OPEN_SNAPSHOTS[(old.language, old.text)]
        if new is not None and new.tree is not None:
            _OPEN_SNAPSHOTS[(new.language, new.text)] = new


def parse_text(text: str, language: str | None, uri: str = "") -> ParsedDocument:
    """Like `parse_document`, but reuses the snapshot of an open document with this exact text, or one of
    the last few texts parsed here, so repeated requests on the same text (a job's context, then its
    syntax checks, then a review) parse it once."""
    lang = _resolve_language(uri, language)
    key = (lang, text)
    with _TEXT_CACHE_LOCK:
        doc = _OPEN_SNAPSHOTS.get(key) or _TEXT_CACHE.get(key)
        if doc is not None:
            if key in _TEXT_CACHE:
                _TEXT_CACHE.move_to_end(key)
            return doc
    doc = parse_document(text, lang, uri)
    with _TEXT_CACHE_LOCK:
        _TEXT_CACHE[key] = doc
        while len(_TEXT_CACHE) > _TEXT_CACHE_SIZE:
            _TEXT_CACHE.popitem(last=False)
    return doc


def reparse_with_changes(
    doc: ParsedDocument, changes: Iterable[tuple[int, int, str]], parser: Parser | None = None
) -> ParsedDocument:
    """A new snapshot of `doc` after `changes` applied in order, each (start, end, new_text) in character
    offsets of the text as left by the changes before it; the tree is reparsed incrementally, once."""
    text = doc.text
    tree = doc.tree.copy() if doc.tree is not None else None
    for start, end, new_text in changes:
        start = max(0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        if tree is not None:
            tree.edit(*edit_points(text, start, end, new_text))
        text = text[:start] + new_text + text[end:]
    new = ParsedDocument(
        uri=doc.uri,
        text=text,
        language=doc.language,
        tree=None,
        revision=doc.revision + 1,
        version=doc.version,
    )
    if doc.tree is not None and len(text) <= MAX_PARSE_CHARS:
        parser = parser or new_parser(doc.language)
        new.tree = _parse(parser, new.source, tree)
    return new


class DocumentStore:
    """The open documents by URI, one parser and one current snapshot each; safe to share across threads."""

    def __init__(self) -> None:
        self._docs: dict[str, ParsedDocument] = {}
        self._parsers: dict[str, Parser | None] = {}
        self._lock = threading.RLock()

    def open(
        self, uri: str, text: str, language: str | None = None, version: int | None = None
    ) -> ParsedDocument:
        """Parse and remember a document (re-opening replaces it). `language` defaults from the URI."""
        lang = _resolve_language(uri, language)
        with self._lock:
            parser = new_parser(lang)
            self._parsers[uri] = parser
            doc = ParsedDocument(uri=uri, text=text, language=lang, tree=None, version=version)
            if len(text) <= MAX_PARSE_CHARS:
                doc.tree = _parse(parser, doc.source)
            _track_snapshot(self._docs.get(uri), doc)
            self._docs[uri] = doc
            return doc

    def change(
        self, uri: str, start: int, end: int, new_text: str, version: int | None = None
    ) -> ParsedDocument:
        """Replace text[start:end] (character offsets into the current text) and reparse incrementally."""
        return self.apply_changes(uri, [(start, end, new_text)], version=version)

    def apply_changes(
        self, uri: str, changes: Iterable[tuple[int, int, str]], version: int | None = None
    ) -> ParsedDocument:
        """Apply several changes in order (as one didChange carries them) with a single reparse."""
        with self._lock:
            doc = self._require(uri)
            new = reparse_with_changes(doc, changes, self._parsers.get(uri))
            if version is not None:
                new.version = version
            _track_snapshot(doc, new)
            self._docs[uri] = new
            return new

    def replace(self, uri: str, text: str, version: int | None = None) -> ParsedDocument:
        """Full-text sync: the new text replaces the old, parsed with the old tree's help where it can."""
        with self._lock:
            doc = self._docs.get(uri)
            if doc is None:
                return self.open(uri, text, version=version)
            # One edit spanning the differing middle lets tree-sitter reuse the unchanged ends.
            old = doc.text
            prefix = _common_prefix(old, text)
            suffix = _common_suffix(old, text, prefix)
            return self.apply_changes(
                uri, [(prefix, len(old) - suffix, text[prefix : len(text) - suffix])], version=version
            )

    def close(self, uri: str) -> None:
        with self._lock:
            _track_snapshot(self._docs.pop(uri, None), None)
            self._parsers.pop(uri, None)

    def get(self, uri: str) -> ParsedDocument | None:
        return self._docs.get(uri)

    def uris(self) -> list[str]:
        return list(self._docs)

    def __contains__(self, uri: object) -> bool:
        return uri in self._docs

    def __len__(self) -> int:
        return len(self._docs)

    def __iter__(self) -> Iterator[ParsedDocument]:
        return iter(list(self._docs.values()))

    def _require(self, uri: str) -> ParsedDocument:
        doc = self._docs.get(uri)
        if doc is None:
            raise KeyError(f"document not open: {uri}")
        return doc


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n
    # Binary search on slice equality: C-speed comparisons instead of a per-character loop.
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, prefix: int) -> int:
    n = min(len(a), len(b)) - prefix
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo
