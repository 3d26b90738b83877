"""A forgiving JSON reader for what models actually emit.

Strict JSON is tried first (the C decoder, with raw control characters allowed because llama.cpp's
grammar lets newlines into strings). When that fails, a small recursive-descent reader accepts the
usual slips: single-quoted or triple-quoted strings, Python literals (True/False/None), trailing
commas, a missing comma between members, unquoted keys, `//` and `/* */` comments. It does NOT
invent closing brackets for truncated output: a half-written `new_string` applied as an edit would
cut the user's code, so truncation is reported (`LenientJSONError.truncated`) instead of repaired.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Deeper nesting is refused: no tool call needs it, and it keeps hostile input from recursing."""

_STRICT = json.JSONDecoder(strict=False)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_LITERALS: dict[str, Any] = {
    "true": True, "false": False, "null": None, "True": True, "False": False, "None": None,
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"',
            "'": "'", "0": "\0"}
_STOP = {'"': re.compile(r'["\\]'), "'": re.compile(r"['\\]")}


class LenientJSONError(ValueError):
    """The text is not a readable value. `truncated` means it ended before the value did."""

    def __init__(self, message: str, pos: int, *, truncated: bool = False) -> None:
        super().__init__(f"{message} at offset {pos}")
        self.pos = pos
        self.truncated = truncated


def decode_value(text: str, pos: int = 0) -> tuple[Any, int]:
    """Read one value starting at `text[pos]` (leading whitespace skipped); return (value, end offset)."""
    reader = _Reader(text)
    start = reader.skip(pos)
    try:
        return _STRICT.raw_decode(text, start)
    except (ValueError, RecursionError):
        pass
    return reader.value(start, 0)


def loads(text: str) -> Any:
    """Read a whole string as one value; anything but whitespace after it is an error."""
    value, end = decode_value(text, 0)
    rest = _Reader(text).skip(end)
    if rest < len(text):
        raise LenientJSONError("unexpected text after the value", rest)
    return value


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)

    def _eof(self, pos: int) -> LenientJSONError:
        return LenientJSONError("text ended inside a JSON value", pos, truncated=True)

    def skip(self, i: int) -> int:
        """Skip whitespace and comments."""
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c in " \t\r\n\ufeff":
                i += 1
            elif s.startswith("//", i):
                nl = s.find("\n", i)
                i = n if nl < 0 else nl + 1
            elif s.startswith("/*", i):
                end = s.find("*/", i + 2)
                i = n if end < 0 else end + 2
            else:
                break
        return i

    def value(self, i: int, depth: int) -> tuple[Any, int]:
        i = self.skip(i)
        if i >= self.n:
            raise self._eof(i)
        c = self.s[i]
        if c == "{":
            return self.obj(i + 1, depth + 1)
        if c == "[":
            return self.arr(i + 1, depth + 1)
        if c in "\"'":
            return self.string(i)
        m = _NUMBER.match(self.s, i)
        if m:
            txt = m.group().lstrip("+")
            try:
                num: Any = int(txt) if re.fullmatch(r"-?\d+", txt) else float(txt)
            except ValueError as exc:  # pragma: no cover - the regex admits only numbers
                raise LenientJSONError("bad number", i) from exc
            return num, m.end()
        m = _IDENT.match(self.s, i)
        if m and m.group() in _LITERALS:
            return _LITERALS[m.group()], m.end()
        raise LenientJSONError(f"unexpected character {c!r}", i)

    def obj(self, i: int, depth: int) -> tuple[dict[str, Any], int]:
        if depth > MAX_DEPTH:
            raise LenientJSONError("nested too deeply", i)
        out: dict[str, Any] = {}
        while True:
            i = self.skip(i)
            if i >= self.n:
                raise self._eof(i)
            c = self.s[i]
            if c == "}":
                return out, i + 1
            if c == ",":  # tolerate leading/double commas
                i += 1
                continue
            if c in "\"'":
                key, i = self.string(i)
            else:
                m = _IDENT.match(self.s, i)
                if not m:
                    raise LenientJSONError(f"expected a key, found {c!r}", i)
                key, i = m.group(), m.end()
            i = self.skip(i)
            if i >= self.n:
                raise self._eof(i)
            if self.s[i] != ":":
                raise LenientJSONError("expected ':'", i)
            val, i = self.value(i + 1, depth)
            out[str(key)] = val
            i = self.skip(i)
            if i >= self.n:
                raise self._eof(i)
            c = self.s[i]
            if c == ",":
                i += 1
            elif c == "}":
                return out, i + 1
            elif c not in "\"'":  # a quote here is a missing comma; anything else is broken
                raise LenientJSONError("expected ',' or '}'", i)

    def arr(self, i: int, depth: int) -> tuple[list[Any], int]:
        if depth > MAX_DEPTH:
            raise LenientJSONError("nested too deeply", i)
        out: list[Any] = []
        while True:
            i = self.skip(i)
            if i >= self.n:
                raise self._eof(i)
            c = self.s[i]
            if c == "]":
                return out, i + 1
            if c == ",":
                i += 1
                continue
            val, i = self.value(i, depth)
            out.append(val)
            i = self.skip(i)
            if i >= self.n:
                raise self._eof(i)
            c = self.s[i]
            if c == ",":
                i += 1
            elif c == "]":
                return out, i + 1
            elif c not in "{[\"'":
                raise LenientJSONError("expected ',' or ']'", i)

    def string(self, i: int) -> tuple[str, int]:
        s, q = self.s, self.s[i]
        if s.startswith(q * 3, i):  # Python triple-quoted string: no escapes needed inside
            end = s.find(q * 3, i + 3)
            if end < 0:
                raise self._eof(self.n)
            return _unescape_all(s[i + 3 : end]), end + 3
        i += 1
        parts: list[str] = []
        stop = _STOP[q]
        while True:
            m = stop.search(s, i)
            if not m:
                raise self._eof(self.n)
            j = m.start()
            parts.append(s[i:j])
            if s[j] == q:
                return "".join(parts), j + 1
            if j + 1 >= self.n:
                raise self._eof(self.n)
            ch, i = _escape(s, j)
            parts.append(ch)


def _escape(s: str, j: int) -> tuple[str, int]:
    """Decode the escape at s[j] (a backslash); unknown escapes keep their backslash (`\\d` in a regex)."""
    e = s[j + 1]
    if e in _ESCAPES:
        return _ESCAPES[e], j + 2
    if e == "\n":
        return "", j + 2
    if e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[j + 2 : j + 6]):
        code = int(s[j + 2 : j + 6], 16)
        if 0xD800 <= code < 0xDC00 and s[j + 6 : j + 8] == "\\u" and re.fullmatch(
            r"[0-9a-fA-F]{4}", s[j + 8 : j + 12]
        ):
            low = int(s[j + 8 : j + 12], 16)
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), j + 12
        return chr(code), j + 6
    if e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", s[j + 2 : j + 4]):
        return chr(int(s[j + 2 : j + 4], 16)), j + 4
    return "\\" + e, j + 2


def _unescape_all(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        j = body.find("\\", i)
        if j < 0 or j + 1 >= len(body):
            out.append(body[i:])
            break
        out.append(body[i:j])
        ch, i = _escape(body, j)
        out.append(ch)
    return "".join(out)
