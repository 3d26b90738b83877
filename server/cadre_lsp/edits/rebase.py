"""Moving an edit onto text the user changed meanwhile, or refusing to.

An edit is built against the text the job read (`FileEdit.base_text`). If the user typed elsewhere
since, the edit's offsets shift and it still applies; if they typed in the region the edit replaces,
or right against it, the edit is refused (`EditConflict`) rather than forced: nothing the user typed
is lost. The diff is cheap in the common case (a common prefix and suffix are cut first, by slice
comparisons), then lines of the changed middle are matched with difflib, and small changed blocks
are refined to characters so that typing on the line above an edit does not block it.
"""

from __future__ import annotations

import difflib
import posixpath

from ..core import FileEdit, TextChange
from .errors import EditConflict

CHAR_REFINE_LIMIT = 4000
"""Changed line blocks up to this many characters (both sides) are diffed by character."""

Region = tuple[int, int, int, int]
"""(base_start, base_end, current_start, current_end): base[bs:be] became current[cs:ce]."""


def rebase(edit: FileEdit, current_text: str, *, version: int | None = None) -> FileEdit:
    """The same edit expressed against `current_text`, or EditConflict when its region changed.

    `version` is the editor version of `current_text` (kept from the edit when not given).
    """
    new_version = edit.version if version is None else version
    if current_text == edit.base_text:
        return FileEdit(edit.path, current_text, list(edit.changes), new_version, edit.create)
    label = posixpath.basename(edit.path.replace("\\", "/")) or edit.path
    if edit.create:
        raise EditConflict(f"{label} was changed after the job read it; the new file was not written")
    regions = diff_regions(edit.base_text, current_text)
    moved = []
    for ch in sorted(edit.changes, key=lambda c: c.start):
        delta = 0
        for bs, be, cs, ce in regions:
            if bs <= ch.end and ch.start <= be:
                line = edit.base_text.count("\n", 0, ch.start) + 1
                raise EditConflict(f"{label} changed at line {line} where the edit applies; the edit was not "
                                   "applied (run it again on the new text)")
            if be < ch.start:
                delta += (ce - cs) - (be - bs)
        start, end = ch.start + delta, ch.end + delta
        if current_text[start:end] != edit.base_text[ch.start : ch.end]:  # pragma: no cover - a diff bug
            raise EditConflict(f"{label} changed where the edit applies")
        moved.append(TextChange(start, end, ch.new_text))
    return FileEdit(edit.path, current_text, moved, new_version, edit.create)


def diff_regions(a: str, b: str) -> list[Region]:
    """The changed regions between two texts, in order (the equal text between them maps one to one)."""
    p = _common_prefix(a, b)
    s = _common_suffix(a, b, min(len(a), len(b)) - p)
    a_end, b_end = len(a) - s, len(b) - s
    if p == a_end or p == b_end:
        return [] if p == a_end == b_end else [(p, a_end, p, b_end)]
    a_lines = a[p:a_end].splitlines(keepends=True)
    b_lines = b[p:b_end].splitlines(keepends=True)
    a_off = _offsets(a_lines, p)
    b_off = _offsets(b_lines, p)
    regions: list[Region] = []
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=len(a_lines) + len(b_lines) > 4000)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        bs, be, cs, ce = a_off[i1], a_off[i2], b_off[j1], b_off[j2]
        if 0 < (be - bs) + (ce - cs) <= CHAR_REFINE_LIMIT and bs < be and cs < ce:
            chars = difflib.SequenceMatcher(None, a[bs:be], b[cs:ce], autojunk=False)
            for ctag, x1, x2, y1, y2 in chars.get_opcodes():
                if ctag != "equal":
                    regions.append((bs + x1, bs + x2, cs + y1, cs + y2))
        else:
            regions.append((bs, be, cs, ce))
    return regions


def _offsets(lines: list[str], start: int) -> list[int]:
    out = [start]
    for line in lines:
        out.append(out[-1] + len(line))
    return out


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving slice comparisons (C speed, no per-character loop)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, max(limit, 0)
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo
