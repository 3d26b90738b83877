"""Review findings as diagnostics that keep pointing at the code they are about.

Each finding is stored with the text of the lines it covers. When the document changes, findings below
the change move with it; a finding whose lines were edited is looked for nearby (the block may just
have moved) and dropped if its text is gone. So a diagnostic never points at lines it was not about.
The diagnostic's `data` carries the finding itself, its id and the line text, because some clients echo
ranges back in other units (Neovim 0.7 echoes byte columns): quick fixes read `data`, never the range.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from lsprotocol import types

from ..core import Finding, offset_of
from .positions import LineTable

SOURCE = "cadre"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
_ids = itertools.count(1)


@dataclass
class StoredFinding:
    id: str
    job_id: str
    finding: Finding
    block: str
    """The text of lines start_line..end_line ("\\n"-joined) when the finding was made."""

    @property
    def text_hash(self) -> str:
        import hashlib  # here, not at the top: ~6 ms of server start-up for the first finding

        return hashlib.sha1(self.block.encode("utf-8")).hexdigest()[:16]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _block(lines: list[str], start: int, end: int) -> str | None:
    if start < 0 or end >= len(lines) or end < start:
        return None
    return "\n".join(lines[start : end + 1])


def _find_block(lines: list[str], block: str, height: int, near: int) -> int | None:
    """Start line of the occurrence of `block` nearest to line `near`, or None."""
    first = block.split("\n", 1)[0]
    best: int | None = None
    for i, line in enumerate(lines):
        if line == first and _block(lines, i, i + height - 1) == block and (
                best is None or abs(i - near) < abs(best - near)):
            best = i
    return best


class FindingStore:
    """uri -> findings; plain data, updated by reviews and by every document change."""

    def __init__(self) -> None:
        self._by_uri: dict[str, list[StoredFinding]] = {}

    def get(self, uri: str) -> list[StoredFinding]:
        return list(self._by_uri.get(uri, []))

    def find(self, uri: str, finding_id: str) -> StoredFinding | None:
        return next((f for f in self._by_uri.get(uri, []) if f.id == finding_id), None)

    def overlapping(self, uri: str, start_line: int, end_line: int) -> list[StoredFinding]:
        return [f for f in self._by_uri.get(uri, [])
                if f.finding.start_line <= end_line and start_line <= f.finding.end_line]

    def clear(self, uri: str) -> bool:
        return bool(self._by_uri.pop(uri, None))

    def replace(self, uri: str, job_id: str, findings: Iterable[Finding], *, read_text: str, current_text: str,
                scope: tuple[int, int] | None) -> None:
        """Store a review's findings (lines in `read_text`), mapped onto `current_text`.

        Earlier findings inside `scope` (lines of the reviewed region; None = whole file) are replaced.
        """
        read_lines = _lines(read_text)
        fresh: list[StoredFinding] = []
        for f in findings:
            end = min(max(f.end_line, f.start_line), len(read_lines) - 1)
            start = min(max(0, f.start_line), end)
            block = _block(read_lines, start, end)
            if block is None:
                continue
            fresh.append(StoredFinding(f"f{next(_ids)}", job_id, replace(f, start_line=start, end_line=end), block))
        keep = [] if scope is None else [
            f for f in self._by_uri.get(uri, [])
            if f.finding.end_line < scope[0] or f.finding.start_line > scope[1]]
        if read_text != current_text:
            fresh = self._relocate(fresh, _lines(current_text))
        self._by_uri[uri] = keep + fresh

    def on_change(self, uri: str, old_text: str, changes: list[tuple[int, int, str]]) -> bool:
        """Follow a didChange (changes as the document mirror applied them); True if anything moved or went."""
        stored = self._by_uri.get(uri)
        if not stored:
            return False
        shifted = [replace(f, finding=replace(f.finding)) for f in stored]
        text = old_text
        for start, end, new_text in changes:
            first = text.count("\n", 0, start)
            last = first + text.count("\n", start, end)
            delta = new_text.count("\n") - (last - first)
            for f in shifted:
                if f.finding.start_line > last:
                    f.finding.start_line += delta
                    f.finding.end_line += delta
            text = text[:start] + new_text + text[end:]
        kept = self._relocate(shifted, _lines(text))
        before = [(f.id, f.finding.start_line, f.finding.end_line) for f in stored]
        after = [(f.id, f.finding.start_line, f.finding.end_line) for f in kept]
        self._by_uri[uri] = kept
        return before != after

    @staticmethod
    def _relocate(stored: list[StoredFinding], lines: list[str]) -> list[StoredFinding]:
        out = []
        for f in stored:
            height = f.finding.end_line - f.finding.start_line + 1
            if _block(lines, f.finding.start_line, f.finding.end_line) == f.block:
                out.append(f)
                continue
            at = _find_block(lines, f.block, height, f.finding.start_line)
            if at is not None:
                f.finding.start_line, f.finding.end_line = at, at + height - 1
                out.append(f)
        return out


def finding_range(text: str, table: LineTable, finding: Finding, encoding: str | None) -> types.Range:
    """From the first non-blank character of the first line to the end of the last line."""
    lines = _lines(text)
    first = lines[finding.start_line] if finding.start_line < len(lines) else ""
    indent = len(first) - len(first.lstrip())
    start = offset_of(text, finding.start_line, indent)
    end = offset_of(text, finding.end_line, 10**9)
    return table.range(start, end, encoding)


def diagnostic_data(uri: str, f: StoredFinding) -> dict[str, Any]:
    return {"jobId": f.job_id, "id": f.id, "uri": uri, "finding": asdict(f.finding),
            "lineText": f.block.split("\n", 1)[0], "textHash": f.text_hash}


def to_diagnostics(uri: str, text: str, stored: list[StoredFinding], encoding: str | None) -> list[types.Diagnostic]:
    table = LineTable(text)
    out = []
    for f in stored:
        message = f.finding.message
        if f.finding.suggestion:
            message += f"\nSuggestion: {f.finding.suggestion}"
        out.append(types.Diagnostic(
            range=finding_range(text, table, f.finding, encoding),
            message=message,
            severity=SEVERITY.get(f.finding.severity, types.DiagnosticSeverity.Warning),
            source=SOURCE,
            code="review",
            data=diagnostic_data(uri, f)))
    return out
