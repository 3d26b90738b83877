"""Edit tool calls -> one `core.FileEdit` of minimal changes, all or nothing.

Every call is located in the text the job read (see match.py) before anything is built; a call that
is missing, ambiguous, a no-op, or overlapping another makes the whole set fail with a message that
names the call and the problem, so the caller can send it back to the model once. Changes are
trimmed to the characters that differ, which keeps them clear of text the user may be typing nearby.
"""

from __future__ import annotations

import itertools
import posixpath

from ..core import FileEdit, Span, TextChange
from ..toolcalls.call_checks import validate_call
from ..toolcalls.types import ToolCall
from .errors import EditError
from .match import Lines, Located, expand_to_lines, locate


def apply_edit_calls(text: str, path: str, calls: list[ToolCall], span: Span | None = None, *,
                     version: int | None = None) -> FileEdit:
    """Locate each Edit call in `text` (inside `span` first) and build the FileEdit, or raise EditError.

    `path` names the file for the result and the messages; which file a call may touch is decided
    before this by `check_scope`. The changes are offsets into `text` (FileEdit.base_text).
    """
    label = posixpath.basename(path.replace("\\", "/")) or path
    if not calls:
        raise EditError(f"no edits for {label}")
    region = expand_to_lines(text, *span.to_offsets(text)) if span is not None else None
    lines = Lines(text)
    located: list[tuple[int, Located]] = []
    for n, call in enumerate(calls, 1):
        prefix = f"Edit {n} of {len(calls)}: " if len(calls) > 1 else ""
        if call.name != "Edit":
            raise EditError(f"{prefix}{call.name or 'the call'} is not an Edit call")
        reason = validate_call(call)
        if reason:
            raise EditError(prefix + reason)
        try:
            loc = locate(text, call.arguments["old_string"], call.arguments["new_string"], region=region,
                         label=label, lines=lines)
        except EditError as exc:
            raise EditError(prefix + str(exc)) from None
        located.append((n, loc))
    located.sort(key=lambda item: (item[1].start, item[1].end))
    for (n1, a), (n2, b) in itertools.pairwise(located):
        if b.start < a.end:
            line = lines.line_of(b.start) + 1
            raise EditError(f"Edits {min(n1, n2)} and {max(n1, n2)} overlap at line {line} of {label}; "
                            "combine them into one edit")
    changes = [minimal_change(text, loc.start, loc.end, loc.new_text) for _, loc in located]
    return FileEdit(path=path, base_text=text, changes=changes, version=version)


def minimal_change(text: str, start: int, end: int, new_text: str) -> TextChange:
    """Replace text[start:end] with new_text, trimmed of the prefix and suffix they share."""
    old = text[start:end]
    p = 0
    limit = min(len(old), len(new_text))
    while p < limit and old[p] == new_text[p]:
        p += 1
    q = 0
    while q < limit - p and old[len(old) - 1 - q] == new_text[len(new_text) - 1 - q]:
        q += 1
    return TextChange(start + p, end - q, new_text[p : len(new_text) - q])
