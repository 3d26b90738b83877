"""What changed since the last review: per document, a hash of each definition's own text.

A class's own text leaves out its members (they are definitions of their own), so editing one method
reports that method, not its class as well. Hashes ignore position and trailing whitespace, so code that
only moved is not reported again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

from .documents import parse_text
from .outline import Definition, outline_of


class ReviewTracker:
    """Remembers, per URI, what was reviewed; thread-safe."""

    def __init__(self) -> None:
        self._reviewed: dict[str, dict[str, str]] = {}
        self._keys: dict[str, dict[Definition, tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def changed_definitions(self, uri: str, text: str, language: str | None) -> list[Definition]:
        """Definitions that are new or changed since `mark_reviewed`, in document order.

        A document in a language without definition rules is one definition of kind "file".
        """
        keyed = _keyed_definitions(uri, text, language)
        with self._lock:
            self._keys[uri] = {d: (key, digest) for key, digest, d in keyed}
            reviewed = self._reviewed.get(uri, {})
            return [d for key, digest, d in keyed if reviewed.get(key) != digest]

    def mark_reviewed(self, uri: str, definitions: Iterable[Definition]) -> None:
        """Record these definitions (as returned by `changed_definitions`) as reviewed."""
        with self._lock:
            known = self._keys.get(uri, {})
            reviewed = self._reviewed.setdefault(uri, {})
            for definition in definitions:
                key, digest = known.get(definition) or (_key(definition, 0), _digest(definition.text))
                reviewed[key] = digest

    def mark_all_reviewed(self, uri: str, text: str, language: str | None) -> None:
        """Record every definition of the text as reviewed (e.g. after a whole-file review)."""
        keyed = _keyed_definitions(uri, text, language)
        with self._lock:
            self._reviewed[uri] = {key: digest for key, digest, _ in keyed}

    def forget(self, uri: str) -> None:
        with self._lock:
            self._reviewed.pop(uri, None)
            self._keys.pop(uri, None)


def _keyed_definitions(uri: str, text: str, language: str | None) -> list[tuple[str, str, Definition]]:
    doc = parse_text(text, language, uri)
    outline = outline_of(doc)
    if outline is None:
        whole = Definition(
            name="<file>",
            kind="file",
            start_line=0,
            end_line=text.count("\n"),
            start_offset=0,
            end_offset=len(text),
            text=text,
            signature="",
        )
        return [("file:<file>", _digest(text), whole)]
    definitions = outline.definitions()
    out: list[tuple[str, str, Definition]] = []
    seen: dict[str, int] = {}
    for i, definition in enumerate(definitions):
        base = _key(definition, 0)
        occurrence = seen.get(base, 0)
        seen[base] = occurrence + 1
        members = [
            d for d in definitions[i + 1 :]
            if d.start_offset >= definition.start_offset and d.end_offset <= definition.end_offset
        ]  # fmt: skip
        out.append((_key(definition, occurrence), _digest(_own_text(definition, members)), definition))
    return out


def _key(definition: Definition, occurrence: int) -> str:
    key = f"{definition.kind}:{definition.qualified_name}"
    return f"{key}#{occurrence}" if occurrence else key


def _own_text(definition: Definition, members: list[Definition]) -> str:
    """The definition's text with its members cut out (each replaced by its name, so reordering shows)."""
    if not members:
        return definition.text
    parts: list[str] = []
    pos = definition.start_offset
    base = definition.start_offset
    for member in members:
        if member.start_offset < pos:  # a member's member: already cut with its parent
            continue
        parts.append(definition.text[pos - base : member.start_offset - base])
        parts.append(f"<{member.kind} {member.name}>")
        pos = member.end_offset
    parts.append(definition.text[pos - base :])
    return "".join(parts)


def _digest(text: str) -> str:
    normalized = "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=16).hexdigest()
