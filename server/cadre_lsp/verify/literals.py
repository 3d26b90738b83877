"""Reading Python literals and calls out of prose, without ever evaluating code.

Shared by `evidence` (docstrings, comments) and `generated` (model answers): only `ast.parse` and
`ast.literal_eval` are applied to text, so `f(__import__('os').system(...))` is a reason, never a call.
"""

from __future__ import annotations

import ast
import re
from typing import Any


def literal_call(text: str, function: str) -> tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...]] | str:
    """Parse `text` as a call of `function` with literal arguments: (name, args, kwargs), or why not.

    `function` may be `name` or `Cls.name`; `Cls.name(...)` (a staticmethod) is accepted for `name`
    and the example then calls `Cls.name`. Only `ast.literal_eval` is applied to argument nodes.
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return f"not a Python expression: {text.strip()[:80]}"
    if not isinstance(node, ast.Call):
        return f"not a direct call of {function}: {text.strip()[:80]}"
    name = dotted_name(node.func)
    last = function.rsplit(".", 1)[-1]
    if name is None or not (name == function or name.rsplit(".", 1)[-1] == last):
        return f"not a direct call of {function}: {text.strip()[:80]}"
    if "." in name and name != function:
        owner = name.rsplit(".", 1)[0]
        if owner in ("self", "cls") or not owner.split(".")[-1][:1].isupper():
            return f"method call needs an instance: {text.strip()[:80]}"
    args: list[Any] = []
    kwargs: list[tuple[str, Any]] = []
    try:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                return f"starred argument: {text.strip()[:80]}"
            args.append(ast.literal_eval(arg))
        for kw in node.keywords:
            if kw.arg is None:
                return f"**kwargs argument: {text.strip()[:80]}"
            kwargs.append((kw.arg, ast.literal_eval(kw.value)))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return f"argument is not a literal: {text.strip()[:80]}"
    return name, tuple(args), tuple(kwargs)


def parse_literal(text: str) -> tuple[bool, Any]:
    """(True, value) when `text` is a Python literal, else (False, None); never evaluates code."""
    try:
        return True, ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def leading_literal(rest: str) -> tuple[bool, Any]:
    """The literal at the start of `rest`, tolerating trailing prose and punctuation."""
    text = rest.strip()
    ok, value = parse_literal(text.rstrip(".,;:"))
    if ok:
        return ok, value
    if text[:1] in "([{":
        close = matching_paren(text, 0)
        if close is not None:
            return parse_literal(text[: close + 1])
    if text[:1] in "'\"":
        for end in range(1, len(text)):
            if text[end] == text[0] and text[end - 1] != "\\":
                return parse_literal(text[: end + 1])
    token = re.match(r"[^\s,;)`]+", text)  # `f(x) == 3`, in backticks: the tick is not the value
    if token:
        return parse_literal(token.group(0).rstrip(".:"))
    return False, None


def matching_paren(text: str, start: int) -> int | None:
    """Index of the bracket closing `text[start]`, skipping over string literals; None if unbalanced."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    quote: str | None = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in pairs:
            stack.append(pairs[ch])
        elif ch in ")]}":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return i
        i += 1
    return None
