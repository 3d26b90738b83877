"""Model-written examples are read as data: fences and prose skipped, bad literals dropped."""

from __future__ import annotations

import json

from cadre_lsp.verify import GENERATE_SCHEMA, generation_messages, parse_generated


def test_fenced_json_with_prose() -> None:
    text = """Sure! Here are the examples:
```json
{"examples": [
  {"args": ["[1, 2, 3]", "2"], "kwargs": {}, "expected": "[[1, 2], [3]]", "raises": ""},
  {"args": ["[]", "2"], "expected": "[]", "raises": ""},
  {"args": ["[1]", "0"], "kwargs": {}, "expected": "", "raises": "ValueError"},
  {"args": ["'a'"], "kwargs": {"size": "1"}, "expected": "['a']", "raises": null}
]}
```
Hope this helps."""
    ev = parse_generated(text, "chunk")
    assert [e.describe() for e in ev.examples] == [
        "chunk([1, 2, 3], 2) == [[1, 2], [3]]",
        "chunk([], 2) == []",
        "chunk([1], 0) raises ValueError",
        "chunk('a', size=1) == ['a']",
    ]
    assert all(e.source == "generated" for e in ev.examples)
    assert ev.dropped == []


def test_bad_literals_and_raises_names_dropped(tmp_path) -> None:
    marker = tmp_path / "ran"
    items = [
        {"args": [f"__import__('os').system('touch {marker}')"], "expected": "0", "raises": ""},
        {"args": ["1"], "expected": "hello", "raises": ""},
        {"args": ["1"], "expected": "", "raises": "os.system('x')"},
        {"args": ["1"], "expected": "", "raises": "lowercase"},
        {"args": "1", "expected": "1", "raises": ""},
        {"args": ["1"], "kwargs": {"not an id": "1"}, "expected": "1", "raises": ""},
        {"args": ["1"], "expected": "1", "raises": "KeyError"},
        {"args": ["1"], "expected": "1", "raises": "ParseError"},
        "not an object",
    ]
    ev = parse_generated(json.dumps({"examples": items}), "f")
    assert [e.raises for e in ev.examples] == ["KeyError", "ParseError"]
    assert len(ev.dropped) == 7
    assert not marker.exists()


def test_no_json() -> None:
    assert parse_generated("I cannot help with that {", "f").dropped == ["no JSON object in the answer"]
    assert parse_generated('{"answer": 1}', "f").dropped == ["JSON has no 'examples' list"]


def test_messages_and_schema_are_grammar_friendly() -> None:
    messages = generation_messages("def f(x):\n    ...", "f", 5)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "up to 5" in messages[0]["content"] and "def f(x)" in messages[1]["content"]
    assert "oneOf" not in json.dumps(GENERATE_SCHEMA) and "null" not in json.dumps(GENERATE_SCHEMA)


def test_one_line_examples_read_like_docstring_lines() -> None:
    text = json.dumps({"examples": ["median([3, 1, 2]) == 2", "median([1, 2, 3, 4]) == 2.5",
                                    "median([]) raises ValueError", "median(__import__('os')) == 1",
                                    "the median of two numbers"]})
    ev = parse_generated(text, "median")
    assert [e.describe() for e in ev.examples] == ["median([3, 1, 2]) == 2", "median([1, 2, 3, 4]) == 2.5",
                                                   "median([]) raises ValueError"]
    assert all(e.source == "generated" for e in ev.examples)
    assert len(ev.dropped) == 2  # a call that is not literal, and prose: dropped, counted, never run
