"""The open buffers as the client has them: text, version and language, kept by our own rules.

pygls keeps documents too, but splits lines with `str.splitlines`, which also breaks at form feeds and
U+2028, so its incremental updates drift from the client's on such files. This mirror applies each
change with LSP's line rules (positions.py) and forwards the same character offsets to the engine's
tree-sitter `DocumentStore`, so the parse trees, the jobs and the client all see one text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .positions import LineTable

log = logging.getLogger(__name__)

Change = tuple[tuple[int, int, int, int] | None, str]
"""One content change: ((start_line, start_char, end_line, end_char) in client units, or None for the
whole text, new_text)."""


class ParsedStore(Protocol):
    """What we need of `context.DocumentStore` (kept structural so tests can pass a stand-in)."""

    def open(self, uri: str, text: str, language: str | None = None, version: int | None = None) -> Any: ...
    def apply_changes(self, uri: str, changes: Any, version: int | None = None) -> Any: ...
    def replace(self, uri: str, text: str, version: int | None = None) -> Any: ...
    def close(self, uri: str) -> None: ...


@dataclass
class OpenDocument:
    uri: str
    text: str
    version: int | None
    language: str | None
    _lines: LineTable | None = field(default=None, repr=False)

    @property
    def lines(self) -> LineTable:
        if self._lines is None or self._lines.text is not self.text:
            self._lines = LineTable(self.text)
        return self._lines


class OpenDocuments:
    """uri -> OpenDocument, mirrored into a parsed store when one is attached."""

    def __init__(self, store: ParsedStore | None = None, encoding: str | None = None, *,
                 store_source: Callable[[], ParsedStore] | None = None) -> None:
        """`store_source` gives the store at the first document instead (tree-sitter and the grammars then
        load with it, not during `initialize`)."""
        self._store = store
        self._store_source = store_source
        self.encoding = encoding
        self._docs: dict[str, OpenDocument] = {}

    @property
    def store(self) -> ParsedStore | None:
        if self._store is None and self._store_source is not None:
            self._store = self._store_source()
        return self._store

    def get(self, uri: str) -> OpenDocument | None:
        return self._docs.get(uri)

    def __contains__(self, uri: object) -> bool:
        return uri in self._docs

    def uris(self) -> list[str]:
        return list(self._docs)

    def open(self, uri: str, text: str, version: int | None, language: str | None) -> OpenDocument:
        doc = OpenDocument(uri, text, version, language)
        self._docs[uri] = doc
        self._forward(lambda s: s.open(uri, text, language=language, version=version), uri, text, version)
        return doc

    def change(self, uri: str, version: int | None, changes: list[Change]) -> list[tuple[int, int, str]]:
        """Apply changes in order; returns each as (start, end, new_text) offsets into the text before it."""
        doc = self._docs.get(uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", uri)
            return []
        applied: list[tuple[int, int, str]] = []
        text = doc.text
        for rng, new_text in changes:
            if rng is None:
                start, end = 0, len(text)
            else:
                table = LineTable(text)
                a = table.offset(rng[0], rng[1], self.encoding)
                b = table.offset(rng[2], rng[3], self.encoding)
                start, end = min(a, b), max(a, b)
            applied.append((start, end, new_text))
            text = text[:start] + new_text + text[end:]
        doc.text, doc.version = text, version
        self._forward(lambda s: s.apply_changes(uri, applied, version=version), uri, text, version)
        return applied

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)
        if self.store is not None:
            try:
                self.store.close(uri)
            except Exception:  # a parse cache problem must not break document sync
                log.exception("parsed store: close failed for %s", uri)

    def _forward(self, op: Any, uri: str, text: str, version: int | None) -> None:
        """Keep the parsed store in step; if an incremental update fails, resync it with the full text."""
        if self.store is None:
            return
        try:
            op(self.store)
        except Exception:  # parsing is an aid; the mirror stays authoritative
            log.exception("parsed store: incremental update failed for %s; resyncing", uri)
            try:
                self.store.open(uri, text, language=self._docs[uri].language, version=version)
            except Exception:
                log.exception("parsed store: resync failed for %s", uri)
