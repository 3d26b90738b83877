"""Examples a model writes, taken as data and never as code.

The model sees only the signature and docstring (`signature_and_docstring`) and answers with JSON in
which every argument and expected value is a Python literal *string*; each is read back with
`ast.literal_eval`. A pair that does not read is dropped with its reason, never repaired or run.
The schema avoids `oneOf` and nulls so llama.cpp's json_schema grammars accept it: `raises` is a
string, "" meaning the call returns normally.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Any

from .evidence import Evidence, Example, read_equalities
from .literals import parse_literal

GENERATE_PROMPT = """You write test examples for a Python function from its signature and docstring.
Give up to {n} examples, each one line of Python: `name(arguments) == expected` or, for input that must
fail, `name(arguments) raises ValueError`. Use literal values only (numbers, strings, lists, dicts,
tuples, None, True, False). Cover the normal case and every edge case the docstring states (empty
input, zero, negative numbers, ties, invalid input). Follow the docstring, not a guess at the code.
Answer with JSON only: {{"examples": ["...", "..."]}}."""

GENERATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"examples": {"type": "array", "items": {"type": "string", "maxLength": 160}, "maxItems": 8}},
    "required": ["examples"],
}
"""One compact line per example (`f([1, 2]) == 3`): about a third of the tokens of an object per
example, and decode time is what a 1.5B on a laptop CPU spends (bench/README.md)."""

_BUILTIN_EXCEPTIONS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), BaseException)
)


def generation_messages(signature_doc: str, function: str, max_examples: int) -> list[dict[str, str]]:
    """OpenAI-style messages asking for up to `max_examples` input/expected pairs for `function`."""
    return [
        {"role": "system", "content": GENERATE_PROMPT.format(n=max_examples)},
        {
            "role": "user",
            "content": f"Function `{function}`:\n```python\n{signature_doc}\n```\n"
            f"Write up to {max_examples} examples of calling {function} as JSON lines of Python.",
        },
    ]


def parse_generated(text: str, function: str) -> Evidence:
    """Examples from a model's answer (source="generated"); fences and prose around the JSON are skipped."""
    evidence = Evidence(function)
    data = _first_json_object(text)
    if data is None:
        evidence.dropped.append("no JSON object in the answer")
        return evidence
    items = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(items, list):
        evidence.dropped.append("JSON has no 'examples' list")
        return evidence
    for index, item in enumerate(items):
        if isinstance(item, str):  # `f(1, 2) == 3` / `f(-1) raises ValueError`, read like a docstring line
            counts = len(evidence.examples), len(evidence.dropped)
            read_equalities(item, None, function, "generated", evidence)
            if (len(evidence.examples), len(evidence.dropped)) == counts:
                evidence.dropped.append(f"example {index}: not `{function}(...) == value`: {item[:60]}")
            continue
        parsed = _example(item, function)
        if isinstance(parsed, str):
            evidence.dropped.append(f"example {index}: {parsed}")
        else:
            evidence.examples.append(parsed)
    return evidence


def is_exception_name(name: str) -> bool:
    """A builtin exception, or an identifier that reads like one (`...Error`, `...Exception`)."""
    return name in _BUILTIN_EXCEPTIONS or (
        name.isidentifier() and name[:1].isupper() and name.endswith(("Error", "Exception"))
    )


def _example(item: Any, function: str) -> Example | str:
    """One JSON example as an Example, or the reason it cannot be one."""
    if not isinstance(item, dict):
        return "not an object"
    raw_args = item.get("args", [])
    raw_kwargs = item.get("kwargs") or {}
    if not isinstance(raw_args, list) or not isinstance(raw_kwargs, dict):
        return "args must be a list and kwargs an object"
    args: list[Any] = []
    for raw in raw_args:
        ok, value = _literal(raw)
        if not ok:
            return f"argument is not a literal: {str(raw)[:60]}"
        args.append(value)
    kwargs: list[tuple[str, Any]] = []
    for key, raw in raw_kwargs.items():
        ok, value = _literal(raw)
        if not isinstance(key, str) or not key.isidentifier() or not ok:
            return f"keyword argument is not a literal: {key}={str(raw)[:60]}"
        kwargs.append((key, value))
    raises = item.get("raises") or None
    if raises is not None:
        if not isinstance(raises, str) or not is_exception_name(raises.strip()):
            return f"not an exception name: {str(raises)[:60]}"
        return Example(function, tuple(args), tuple(kwargs), None, raises.strip(), "generated")
    if "expected" not in item:
        return "no expected value"
    ok, expected = _literal(item["expected"])
    if not ok:
        return f"expected value is not a literal: {str(item['expected'])[:60]}"
    return Example(function, tuple(args), tuple(kwargs), expected, None, "generated")


def _literal(raw: Any) -> tuple[bool, Any]:
    """A literal string read with literal_eval; JSON numbers/booleans/null are taken as they are."""
    if isinstance(raw, str):
        return parse_literal(raw)
    if raw is None or isinstance(raw, (bool, int, float)):
        return True, raw
    return False, None


def _first_json_object(text: str) -> Any:
    """The first `{...}` that decodes as JSON, searching past fences and prose."""
    text = re.sub(r"```(?:json)?", "", text)
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        return value
    return None
