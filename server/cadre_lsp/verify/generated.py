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

from .evidence import Evidence, Example
from .literals import parse_literal

GENERATE_PROMPT = """You write test examples for a Python function from its signature and docstring.
Give up to {n} examples as JSON. Cover the normal case and every edge case the docstring states
(empty input, zero, negative numbers, invalid input that must raise).
Each example: "args" is a list of arguments, "kwargs" maps names to arguments, "expected" is the
return value, "raises" is an exception class name such as "ValueError" or "" when nothing is raised.
Write every argument and expected value as a Python literal string, e.g. "[1, 2]", "'abc'", "None".
Follow the docstring, not a guess at the code. Answer with JSON only."""

GENERATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "examples": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "args": {"type": "array", "items": {"type": "string"}},
                    "kwargs": {"type": "object", "additionalProperties": {"type": "string"}},
                    "expected": {"type": "string"},
                    "raises": {"type": "string"},
                },
                "required": ["args", "expected", "raises"],
            },
        }
    },
    "required": ["examples"],
}

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
            f"Write up to {max_examples} examples of calling {function} as JSON.",
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
