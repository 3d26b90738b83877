"""Executable expectations ("evidence") and where each one was stated.

A small model's fix is judged by running it, so the expectations must be data, never code: every
argument and expected value is parsed with `ast.literal_eval`, nothing is ever `eval`-ed. An example
that looks like one but cannot be read that way is not silently lost: it goes to `Evidence.dropped`
with the reason, so callers can say how much of the stated behaviour they could check.

Only plain functions and staticmethods are supported (`f(1)` or `Cls.f(1)`): a method that needs an
instance (`self.f(1)`, `obj.f(1)`) cannot be called from literals alone, so such examples are dropped.
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field
from typing import Any

from .literals import leading_literal, literal_call, matching_paren, parse_literal

SOURCES = ("doctest", "docstring", "comment", "test", "generated")
_OPERATORS = re.compile(
    r"\s*(?:(==|->|=>|→)|\b(returns?|gives|should\s+(?:return|be|give))\b|\b(raises?|should\s+raise)\b)\s*",
    re.IGNORECASE,
)
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*")


@dataclass(frozen=True)
class Example:
    """One call with literal arguments and its expected outcome (a value, or an exception class)."""

    function: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()
    expected: Any = None
    raises: str | None = None
    source: str = "docstring"
    line: int | None = None

    @property
    def call(self) -> str:
        """The call rebuilt from reprs, e.g. `chunk([1, 2, 3], 2)`; also the identity used to dedupe."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.function}({', '.join(parts)})"

    def describe(self) -> str:
        """`chunk([1, 2, 3], 2) == [[1, 2], [3]]` or `f(-1) raises ValueError`."""
        if self.raises:
            return f"{self.call} raises {self.raises}"
        return f"{self.call} == {self.expected!r}"


@dataclass
class Evidence:
    """The examples found for one function, plus one reason per expectation that could not be used."""

    function: str
    examples: list[Example] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def count(self, source: str | None = None) -> int:
        """How many examples (of one source, if given)."""
        return sum(1 for e in self.examples if source is None or e.source == source)

    def describe(self) -> str:
        """`3 docstring examples + 4 generated`, or `no executable evidence`."""
        parts = []
        for source in SOURCES:
            n = self.count(source)
            if not n:
                continue
            if source == "generated":
                parts.append(f"{n} generated")
            else:
                parts.append(f"{n} {source} example{'s' if n != 1 else ''}")
        text = " + ".join(parts) if parts else "no executable evidence"
        if self.dropped:
            text += f" ({len(self.dropped)} unreadable dropped)"
        return text

    def merged(self, other: Evidence) -> Evidence:
        """Both sets, the first statement of a call kept (so stated examples beat generated ones)."""
        seen: set[str] = set()
        examples: list[Example] = []
        for example in [*self.examples, *other.examples]:
            if example.call not in seen:
                seen.add(example.call)
                examples.append(example)
        return Evidence(self.function, examples, [*self.dropped, *other.dropped])


def stated_examples(source: str, function: str) -> Evidence:
    """Examples stated in one function definition: doctests, `f(x) == y` lines, `f(x) raises E`.

    Read from the docstring and from `#` comments inside or above the def (the body's code is not
    read: a recursive call there is not an example). Lines are 0-based lines of `source`.
    """
    text = textwrap.dedent(source.expandtabs(8) if "\t" in source else source)
    lines = text.splitlines()
    evidence = Evidence(function)
    doc_lines = _docstring_lines(text, lines)
    comments = _comments(text, lines)
    for start, end in doc_lines:
        _read_doctests(lines, start, end, function, evidence)
        for i in range(start, end + 1):
            if not lines[i].lstrip().startswith((">>>", "...")):
                read_equalities(lines[i], i, function, "docstring", evidence)
    for i, comment in comments:
        read_equalities(comment, i, function, "comment", evidence)
    return evidence


def signature_and_docstring(source: str) -> str:
    """The def line(s) and docstring with the body replaced by `...`: what a model sees to write examples.

    The buggy body is left out on purpose, so generated expectations follow the stated intent.
    """
    text = textwrap.dedent(source)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return _signature_by_text(text)
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None:
        return _signature_by_text(text)
    body: list[ast.stmt] = []
    doc = ast.get_docstring(node, clean=False)
    if doc is not None:
        body.append(node.body[0])
    body.append(ast.Expr(ast.Constant(Ellipsis)))
    stub = type(node)(**{**{f: getattr(node, f) for f in node._fields}, "body": body})
    return ast.unparse(ast.fix_missing_locations(stub))


def _signature_by_text(text: str) -> str:
    """Fallback for source that does not parse: lines up to the def's colon, then a docstring if any."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if lines[i].lstrip().startswith(("def ", "async def ")) or out[0].lstrip().startswith("@"):
            if lines[i].rstrip().endswith(":") and not lines[i].lstrip().startswith("@"):
                break
        i += 1
    i += 1
    indent = "    "
    if i < len(lines) and lines[i].strip()[:3] in ('"""', "'''"):
        quote = lines[i].strip()[:3]
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        j = i
        while j < len(lines):
            out.append(lines[j])
            if quote in (lines[j].strip()[3:] if j == i else lines[j]):
                break
            j += 1
    out.append(indent + "...")
    return "\n".join(out)


def _docstring_lines(text: str, lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based line ranges of the def's docstring; by tokens if the code does not parse."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                first = node.body[0]
                if (
                    isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)
                ):
                    return [(first.lineno - 1, (first.end_lineno or first.lineno) - 1)]
                return []
        return []
    ranges: list[tuple[int, int]] = []
    for tok in _tokens(text):
        if tok.type == tokenize.STRING and tok.string.lstrip("rRbBuU")[:3] in ('"""', "'''"):
            ranges.append((tok.start[0] - 1, tok.end[0] - 1))
            break
    return ranges


def _comments(text: str, lines: list[str]) -> list[tuple[int, str]]:
    """(line, text after '#') for every comment; a crude scan when the source does not tokenize."""
    found = [(t.start[0] - 1, t.string[1:]) for t in _tokens(text) if t.type == tokenize.COMMENT]
    if found or "#" not in text:
        return found
    return [(i, line.split("#", 1)[1]) for i, line in enumerate(lines) if line.lstrip().startswith("#")]


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            out.append(tok)
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _read_doctests(lines: list[str], start: int, end: int, function: str, evidence: Evidence) -> None:
    """`>>> f(x)` (with `...` continuations) and the output lines below it, up to a blank or `>>>`."""
    i = start
    while i <= end:
        stripped = lines[i].strip()
        if not stripped.startswith(">>>"):
            i += 1
            continue
        at = i
        code = stripped[3:].strip()
        i += 1
        while i <= end and lines[i].strip().startswith("..."):
            code += "\n" + lines[i].strip()[3:].strip()
            i += 1
        output: list[str] = []
        while i <= end and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            output.append(lines[i].strip())
            i += 1
        if output and output[-1].endswith(('"""', "'''")):
            output[-1] = output[-1][:-3].rstrip()
            output = [o for o in output if o]
        code = code.rstrip("\"'").strip() if code.endswith(('"""', "'''")) else code
        if not _mentions(code, function):
            continue
        parsed = literal_call(code, function)
        if isinstance(parsed, str):
            evidence.dropped.append(f"line {at}: {parsed}")
            continue
        name, args, kwargs = parsed
        if output and output[0].startswith("Traceback"):
            raised = _exception_name(output[-1])
            if raised is None:
                evidence.dropped.append(f"line {at}: unreadable traceback: {output[-1][:80]}")
                continue
            evidence.examples.append(Example(name, args, kwargs, None, raised, "doctest", at))
            continue
        ok, value = parse_literal(" ".join(output)) if output else (True, None)
        if not ok:
            evidence.dropped.append(f"line {at}: output is not a literal: {' '.join(output)[:80]}")
            continue
        evidence.examples.append(Example(name, args, kwargs, value, None, "doctest", at))


def _mentions(text: str, function: str) -> bool:
    last = re.escape(function.rsplit(".", 1)[-1])
    return re.search(rf"(?<![\w]){last}\s*\(", text) is not None


def _exception_name(text: str) -> str | None:
    """`ValueError: bad` -> `ValueError`; a dotted name keeps only its last part."""
    m = _EXCEPTION_NAME.match(text.strip())
    if m is None:
        return None
    name = m.group(0).rsplit(".", 1)[-1]
    return name if name.isidentifier() and name[:1].isupper() else None


def read_equalities(line: str, at: int | None, function: str, source: str, evidence: Evidence) -> None:
    """`f(x) == y`, `f(x) -> y`, `f(x) returns y`, `f(x) gives y`, `f(x) raises E` anywhere in a line."""
    last = re.escape(function.rsplit(".", 1)[-1])
    for m in re.finditer(rf"(?<![\w])((?:[A-Za-z_]\w*\.)*{last})\s*\(", line):
        close = matching_paren(line, m.end() - 1)
        if close is None:
            continue
        op = _OPERATORS.match(line, close + 1)
        if op is None:
            continue
        call_text = line[m.start() : close + 1]
        rest = line[op.end() :]
        parsed = literal_call(call_text, function)
        if isinstance(parsed, str):
            if op.group(3) or leading_literal(rest)[0]:  # prose such as "f(xs) returns a list" is no example
                evidence.dropped.append(f"line {at}: {parsed}")
            continue
        name, args, kwargs = parsed
        if op.group(3):
            raised = _exception_name(rest)
            if raised is None:
                evidence.dropped.append(f"line {at}: no exception name after 'raises': {rest[:60]}")
            else:
                evidence.examples.append(Example(name, args, kwargs, None, raised, source, at))
            continue
        ok, value = leading_literal(rest)
        if not ok:
            evidence.dropped.append(f"line {at}: expected value is not a literal: {rest.strip()[:80]}")
            continue
        evidence.examples.append(Example(name, args, kwargs, value, None, source, at))
