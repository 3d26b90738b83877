"""Deterministic syntax checks of candidate code: tree-sitter ERROR and MISSING nodes, with positions.

`check_edit` is the validator's question, "did this edit break the file?": it reports only the errors
the candidate introduced, so a file already broken elsewhere (the user is mid-edit) does not
disqualify every candidate. The candidate is parsed incrementally from the original's tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core import TextChange
from .documents import ParsedDocument, parse_text, reparse_with_changes
from .grammars import grammar, normalize_language

MAX_ISSUES = 50


@dataclass(frozen=True)
class SyntaxIssue:
    """A syntax error at 0-based (line, col) (columns in code points), with where it ends."""

    line: int
    col: int
    message: str
    end_line: int | None = None
    end_col: int | None = None


def can_check(language: str | None) -> bool:
    """Whether a grammar is available to check `language` (unknown languages always pass)."""
    return grammar(language) is not None


def syntax_errors(text: str | ParsedDocument, language: str | None = None) -> list[SyntaxIssue]:
    """The syntax errors of a whole text; [] for a clean text or a language without a grammar."""
    doc = text if isinstance(text, ParsedDocument) else parse_text(text, language)
    return [issue for _, issue in _issues(doc)]


def check_edit(text: str, changes: Sequence[TextChange], language: str | None) -> list[SyntaxIssue]:
    """Errors in `text` with `changes` applied that were not in `text` already (positions in the new text).

    Changes are character offsets into `text`, must not overlap, and are applied to a copy. An error
    inside or touching a changed region is always the candidate's; one elsewhere is the candidate's unless
    the original had an error on the line it maps back to.
    """
    lang = normalize_language(language)
    if grammar(lang) is None:
        return []
    ordered = sorted(changes, key=lambda c: (c.start, c.end))
    previous_end = 0
    for change in ordered:
        if not 0 <= change.start <= change.end <= len(text) or change.start < previous_end:
            raise ValueError(
                f"invalid or overlapping change {change.start}-{change.end} of a {len(text)}-char text"
            )
        previous_end = change.end
    original = parse_text(text, lang)
    candidate = reparse_with_changes(original, [(c.start, c.end, c.new_text) for c in reversed(ordered)])
    after = _issues(candidate)
    if not after:
        return []
    before = _issues(original)
    broken_lines: set[int] = set()
    for _, issue in before:
        broken_lines.update(
            range(issue.line, (issue.end_line if issue.end_line is not None else issue.line) + 1)
        )
    new: list[SyntaxIssue] = []
    for offset, issue in after:
        mapped = _to_original(offset, ordered)
        if mapped is None or original.lines.line_of_offset(mapped) not in broken_lines:
            new.append(issue)
    return new


def _to_original(offset: int, ordered: Sequence[TextChange]) -> int | None:
    """Where a position of the changed text was in the original; None inside (or touching) a change."""
    delta = 0
    for change in ordered:
        new_start = change.start + delta
        new_end = new_start + len(change.new_text)
        if offset < new_start:
            return offset - delta
        if offset <= new_end:
            return None
        delta += len(change.new_text) - (change.end - change.start)
    return offset - delta


def _issues(doc: ParsedDocument) -> list[tuple[int, SyntaxIssue]]:
    """(char offset, issue) for each ERROR and MISSING node, in document order."""
    if doc.tree is None or not doc.tree.root_node.has_error:
        return []
    lines = doc.lines
    found: list[tuple[int, SyntaxIssue]] = []
    stack = [doc.tree.root_node]
    while stack and len(found) < MAX_ISSUES:
        node = stack.pop()
        if node.is_missing:
            message = f"missing `{node.type}`"
        elif node.is_error:
            snippet = (node.text or b"").decode("utf-8", "replace").strip().split("\n", 1)[0]
            snippet = snippet if len(snippet) <= 40 else snippet[:37] + "..."
            message = f"syntax error near `{snippet}`" if snippet else "syntax error"
        else:
            if node.has_error:
                stack.extend(reversed(node.children))
            continue
        start = lines.point_to_offset(*node.start_point)
        end = lines.point_to_offset(*node.end_point)
        line, col = lines.offset_to_position(start)
        end_line, end_col = lines.offset_to_position(end)
        found.append((start, SyntaxIssue(line, col, message, end_line, end_col)))
    found.sort(key=lambda item: item[0])
    return found
