"""Finding a model's `old_string` in a document: exactly, then tolerating whitespace, never guessing.

Strategies, tried in order inside the target span (expanded to whole lines) and then in the whole
document: the exact text; the same lines with trailing whitespace ignored; the same lines at another
indentation (relative indentation must agree, and `new_string` is re-indented to the match); and,
when every line of `old_string` carries a line-number gutter the model copied from somewhere, all of
that again with the gutters removed. The first strategy that finds anything decides: one match is
used, several are an error that says where they are. The document's line endings are kept.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
from dataclasses import dataclass

from ..text import line_table
from ..toolcalls.indent import indent_width, make_indent, uses_tabs
from .errors import EditError

_GUTTER = re.compile(r"^\s*(\d+)(?:[ \t]?[|│:][ \t]?|\t)")
MAX_REPORTED = 5
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


@dataclass(frozen=True)
class Located:
    """Where an old_string was found and what replaces it (already in the file's line endings)."""

    start: int
    end: int
    new_text: str
    how: str


def detect_eol(text: str) -> str:
    """The dominant line break of `text`: "\\r\\n", a lone "\\r" (classic Mac) or "\\n" (the default).

    New lines an edit inserts take it, so a CRLF file does not gain LF lines. CRLF wins a tie with LF.
    """
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if cr > crlf and cr > lf:
        return "\r"
    return "\r\n" if crlf and crlf >= lf else "\n"


class Lines:
    """Line starts and contents of a text, for line-based matching (built once per document).

    Lines end at "\\r\\n", "\\r" or "\\n" (LSP's rule), so files with classic-Mac or mixed endings
    match line by line too; `raw` holds each line without its break.
    """

    def __init__(self, text: str) -> None:
        table = line_table(text)
        self.text = text
        self.starts = table.starts
        self.raw = [text[a:b] for a, b in zip(table.starts, table.ends)]
        self.rstripped = [ln.rstrip() for ln in self.raw]
        self.stripped = [ln.strip() for ln in self.raw]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def content_end(self, k: int) -> int:
        return self.starts[k] + len(self.raw[k])

    def after_eol(self, k: int) -> int:
        return self.starts[k + 1] if k + 1 < len(self.starts) else len(self.text)


def expand_to_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) grown to whole lines, the last line's line break included."""
    start = text.rfind("\n", 0, start) + 1
    if end <= start or text[end - 1] != "\n":
        nl = text.find("\n", max(end, start))
        end = len(text) if nl < 0 else nl + 1
    return start, end


def locate(text: str, old: str, new: str, *, region: tuple[int, int] | None = None, label: str = "the file",
           lines: Lines | None = None) -> Located:
    """The one place `old` occurs (see the module docstring for the order), or EditError."""
    if not old:
        raise EditError("old_string is empty; use Write to create or replace a whole file")
    eol = detect_eol(text)
    old_n, new_n = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    lines = lines or Lines(text)
    variants = [(old_n, new_n, "")]
    g_old = strip_gutter(old_n)
    if g_old is not None:
        variants.append((g_old, strip_gutter(new_n) or new_n, " after removing line numbers"))
    scopes: list[tuple[int, int] | None] = [region] if region is not None else []
    if region is None or region != (0, len(text)):
        scopes.append(None)
    for scope in scopes:
        for v_old, v_new, note in variants:
            for how, finder in (("exact", _exact), ("trailing whitespace", _rstripped),
                                ("indentation", _reindented)):
                found = finder(text, lines, v_old, v_new, eol, scope)
                if len(found) == 1:
                    loc = found[0] if how == "exact" else _keep_endings(text, found[0], eol,
                                                                         loose=how == "trailing whitespace")
                    if text[loc.start : loc.end] == loc.new_text:
                        raise EditError(f"the edit changes nothing in {label} (new_string equals the text found)")
                    return Located(loc.start, loc.end, loc.new_text, how + note)
                if len(found) > 1:
                    where = "the selected lines of " if scope is not None else ""
                    nums = ", ".join(str(lines.line_of(f.start) + 1) for f in found[:MAX_REPORTED])
                    more = ", ..." if len(found) > MAX_REPORTED else ""
                    raise EditError(
                        f"old_string matches {len(found)} places in {where}{label} (lines {nums}{more}); "
                        "include more surrounding lines so it matches exactly once"
                    )
    raise EditError(f"old_string not found in {label}{_closest_hint(lines, old_n)}")


def _split_endings(s: str) -> list[tuple[str, str]]:
    """(content, line break) pairs of `s`; the last break is "" when `s` does not end with one."""
    return [(m.group().rstrip("\r\n"), m.group()[len(m.group().rstrip("\r\n")) :])
            for m in _LINE.finditer(s) if m.group()]


def _keep_endings(text: str, loc: Located, eol: str, *, loose: bool) -> Located:
    """`loc` with the file's own bytes kept where its lines are unchanged.

    A tolerant match replaces whole lines, and a file with mixed endings (or trailing spaces the model
    did not see, `loose`) would otherwise have untouched lines inside the match rewritten with the
    dominant ending. Lines the edit keeps are copied from the file verbatim; a changed run of lines
    takes the break that closed the run in the file, and lines it adds take `eol`.
    """
    old = _split_endings(text[loc.start : loc.end])
    new = _split_endings(loc.new_text)

    def key(content: str) -> str:
        return content.rstrip() if loose else content

    matcher = difflib.SequenceMatcher(None, [key(c) for c, _ in old], [key(c) for c, _ in new], autojunk=False)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for (content, brk), (_, new_brk) in zip(old[i1:i2], new[j1:j2]):
                out.append(content + (brk or eol if new_brk else ""))
            continue
        for j in range(j1, j2):
            content, brk = new[j]
            if not brk:
                out.append(content)  # the text's final line, without a break
            elif j == j2 - 1 and i2 > i1 and old[i2 - 1][1]:
                out.append(content + old[i2 - 1][1])
            else:
                out.append(content + eol)
    return Located(loc.start, loc.end, "".join(out), loc.how)


def strip_gutter(s: str) -> str | None:
    """`s` without a copied line-number gutter ("12| x = 1"), or None when not every line has one.

    The numbers must count up by one, which keeps ordinary code (a dict of ints) from matching.
    """
    parts = s.split("\n")
    code = [p for p in parts if p.strip()]
    if not code:
        return None
    numbers = []
    for p in code:
        m = _GUTTER.match(p)
        if not m:
            return None
        numbers.append(int(m.group(1)))
    if any(b != a + 1 for a, b in itertools.pairwise(numbers)):
        return None
    return "\n".join(p[_GUTTER.match(p).end() :] if p.strip() else p for p in parts)  # type: ignore[union-attr]


# -- strategies: each returns every match in scope ---------------------------------------------------


def _bounds(text: str, scope: tuple[int, int] | None) -> tuple[int, int]:
    return scope if scope is not None else (0, len(text))


def _exact(text: str, lines: Lines, old: str, new: str, eol: str, scope: tuple[int, int] | None) -> list[Located]:
    lo, hi = _bounds(text, scope)
    needle = old.replace("\n", eol) if eol != "\n" else old
    replacement = new.replace("\n", eol) if eol != "\n" else new
    found = []
    pos = text.find(needle, lo)
    while pos >= 0 and pos + len(needle) <= hi:
        found.append(Located(pos, pos + len(needle), replacement, "exact"))
        if len(found) > 50:
            break
        pos = text.find(needle, pos + 1)
    return found


def _split_old(old: str) -> tuple[list[str], bool]:
    ends_nl = old.endswith("\n")
    parts = old.split("\n")
    if ends_nl:
        parts.pop()
    return parts, ends_nl


def _candidates(text: str, lines: Lines, m: int, scope: tuple[int, int] | None) -> range:
    lo, hi = _bounds(text, scope)
    first = lines.line_of(lo)
    last = lines.line_of(max(lo, hi - 1))
    return range(first, last - m + 2)


def _span(lines: Lines, k: int, m: int, ends_nl: bool) -> tuple[int, int]:
    start = lines.starts[k]
    end = lines.after_eol(k + m - 1) if ends_nl else lines.content_end(k + m - 1)
    return start, end


def _rstripped(text: str, lines: Lines, old: str, new: str, eol: str,
               scope: tuple[int, int] | None) -> list[Located]:
    parts, ends_nl = _split_old(old)
    want = [p.rstrip() for p in parts]
    if not any(want):
        return []
    m = len(want)
    found = []
    for k in _candidates(text, lines, m, scope):
        if lines.rstripped[k : k + m] == want:
            start, end = _span(lines, k, m, ends_nl)
            found.append(Located(start, end, _fit_newline(new, ends_nl).replace("\n", eol), "trailing whitespace"))
    return found


def _reindented(text: str, lines: Lines, old: str, new: str, eol: str,
                scope: tuple[int, int] | None) -> list[Located]:
    parts, ends_nl = _split_old(old)
    want = [p.strip() for p in parts]
    code = [i for i, w in enumerate(want) if w]
    if not code:
        return []
    m = len(want)
    found = []
    for k in _candidates(text, lines, m, scope):
        if lines.stripped[k : k + m] != want:
            continue
        deltas = {indent_width(lines.raw[k + i]) - indent_width(parts[i]) for i in code}
        if len(deltas) != 1:
            continue
        delta = deltas.pop()
        block = [lines.raw[k + i] for i in code]
        tabs = uses_tabs(block) if any(b[:1] in " \t" for b in block) else uses_tabs(lines.raw)
        start, end = _span(lines, k, m, ends_nl)
        found.append(Located(start, end, _reindent(_fit_newline(new, ends_nl), delta, tabs).replace("\n", eol),
                             "indentation"))
    return found


def _reindent(new: str, delta: int, tabs: bool) -> str:
    out = []
    for line in new.split("\n"):
        if not line.strip():
            out.append(line.strip(" \t"))
            continue
        width = indent_width(line) + delta
        if width < 0:
            raise EditError("new_string is indented less than the matched text allows; send it with the "
                            "file's indentation")
        out.append(make_indent(width, tabs) + line.lstrip(" \t"))
    return "\n".join(out)


def _fit_newline(new: str, ends_nl: bool) -> str:
    """A tolerant match replaces whole lines: give new_string the same final line break as old_string."""
    if ends_nl and new and not new.endswith("\n"):
        return new + "\n"
    if not ends_nl and new.endswith("\n"):
        return new[:-1]
    return new


def _closest_hint(lines: Lines, old: str) -> str:
    first = next((p.strip() for p in old.split("\n") if p.strip()), "")
    if not first or len(lines.stripped) > 20000:
        return ""
    close = difflib.get_close_matches(first, lines.stripped, n=1, cutoff=0.6)
    if not close:
        return ""
    k = lines.stripped.index(close[0])
    return f" (closest line {k + 1}: {lines.raw[k].rstrip()!r})"
