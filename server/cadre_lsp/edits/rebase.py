"""Moving an edit onto text the user changed meanwhile, or refusing to.

An edit is built against the text the job read (`FileEdit.base_text`). If the user typed elsewhere
since, the edit's offsets shift and it still applies; if they typed in the region the edit replaces,
or right against it, the edit is refused (`EditConflict`) rather than forced: nothing the user typed
is lost. The diff is cheap in the common case (a common prefix and suffix are cut first, by slice
comparisons), then lines of the changed middle are aligned by a patience diff, and changed blocks
next to the edit are refined to characters so that typing on the line above it does not block it.
"""

from __future__ import annotations

import bisect
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
    regions = diff_regions(edit.base_text, current_text, [(c.start, c.end) for c in edit.changes])
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
        if current_text[start:end] != edit.base_text[ch.start : ch.end] or not _context_holds(
                edit.base_text, ch.start, ch.end, current_text, start, end):
            raise EditConflict(f"{label} changed around where the edit applies; the edit was not applied "
                               "(run it again on the new text)")
        moved.append(TextChange(start, end, ch.new_text))
    return FileEdit(edit.path, current_text, moved, new_version, edit.create)


def _context_holds(base: str, bstart: int, bend: int, current: str, cstart: int, cend: int) -> bool:
    """Is the rest of the change's line(s) still around it, in order, with only insertions between?
    A diff of text typed into everywhere can align look-alike lines of different functions
    (`return y - 2` with `return y - 3`); this check, independent of the diff, refuses such a move
    rather than apply the edit in the wrong place."""
    before = base[base.rfind("\n", 0, bstart) + 1 : bstart]
    after_end = base.find("\n", bend)
    after = base[bend : len(base) if after_end < 0 else after_end + 1]
    cur_end = current.find("\n", cend)
    return (_is_subsequence(before[::-1], current[current.rfind("\n", 0, cstart) + 1 : cstart][::-1])
            and _is_subsequence(after, current[cend : len(current) if cur_end < 0 else cur_end + 1]))


def _is_subsequence(needle: str, hay: str) -> bool:
    """needle's characters in hay in order, the first one at hay[0] (the change's edge stays put)."""
    if not needle:
        return True
    if not hay or hay[0] != needle[0]:
        return False
    it = iter(hay[1:])
    return all(ch in it for ch in needle[1:])


def diff_regions(a: str, b: str, focus: list[tuple[int, int]] | None = None) -> list[Region]:
    """The changed regions between two texts, in order (the equal text between them maps one to one).

    Lines are aligned by a patience diff (lines unique to both sides anchor the alignment), which stays
    near-linear where difflib's matcher goes quadratic (every line of a 5,000-line file re-indented took
    it seconds). Changed line blocks are refined to characters when they are small and, if `focus`
    (offset ranges of `a`) is given, only when they touch one of those ranges: elsewhere the exact
    extent does not matter, only the length change.
    """
    p = _common_prefix(a, b)
    s = _common_suffix(a, b, min(len(a), len(b)) - p)
    a_end, b_end = len(a) - s, len(b) - s
    if p == a_end or p == b_end:
        return [] if p == a_end == b_end else [(p, a_end, p, b_end)]
    a_lines, b_lines = _keepends(a[p:a_end]), _keepends(b[p:b_end])
    a_off, b_off = _offsets(a_lines, p), _offsets(b_lines, p)
    regions: list[Region] = []
    for i1, i2, j1, j2 in _line_blocks(a_lines, b_lines):
        bs, be, cs, ce = a_off[i1], a_off[i2], b_off[j1], b_off[j2]
        near = focus is None or any(bs <= f_end and f_start <= be for f_start, f_end in focus)
        if near and bs < be and cs < ce and (be - bs) + (ce - cs) <= CHAR_REFINE_LIMIT:
            chars = difflib.SequenceMatcher(None, a[bs:be], b[cs:ce], autojunk=False)
            for ctag, x1, x2, y1, y2 in chars.get_opcodes():
                if ctag != "equal":
                    regions.append((bs + x1, bs + x2, cs + y1, cs + y2))
        else:
            regions.append((bs, be, cs, ce))
    return regions


SMALL_GAP = 40_000
"""A gap without unique anchor lines is handed to difflib when len(a) * len(b) is at most this."""


def _line_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int, int]]:
    """Changed line blocks (a[i1:i2] -> b[j1:j2]) in order, by patience diff with an explicit stack."""
    out: list[tuple[int, int, int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
        if alo == ahi or blo == bhi:
            if alo < ahi or blo < bhi:
                out.append((alo, ahi, blo, bhi))
            continue
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            if (ahi - alo) * (bhi - blo) <= SMALL_GAP:
                matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                out.extend((alo + i1, alo + i2, blo + j1, blo + j2)
                           for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")
            else:
                out.append((alo, ahi, blo, bhi))
            continue
        pieces = []
        pi, pj = alo, blo
        for i, j in anchors:
            pieces.append((pi, i, pj, j))
            pi, pj = i + 1, j + 1
        pieces.append((pi, ahi, pj, bhi))
        stack.extend(reversed(pieces))  # popped in order
    out.sort()
    return out


def _unique_anchors(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """Pairs (i, j) of lines occurring once in a[alo:ahi] and once in b[blo:bhi], longest increasing run."""
    count: dict[str, int] = {}
    for line in a[alo:ahi]:
        count[line] = count.get(line, 0) + 1
    where_b: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for j in range(blo, bhi):
        line = b[j]
        count_b[line] = count_b.get(line, 0) + 1
        where_b[line] = j
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count[a[i]] == 1 and count_b.get(a[i]) == 1]
    if not pairs:
        return []
    # Longest increasing subsequence of j (patience sorting), O(k log k).
    tails: list[int] = []
    tail_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos] = j
            tail_idx[pos] = k
        back[k] = tail_idx[pos - 1] if pos else -1
    seq = []
    k = tail_idx[-1]
    while k >= 0:
        seq.append(pairs[k])
        k = back[k]
    return seq[::-1]


def _keepends(text: str) -> list[str]:
    parts = [p + "\n" for p in text.split("\n")]
    parts[-1] = parts[-1][:-1]
    return parts if parts[-1] else parts[:-1]


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
