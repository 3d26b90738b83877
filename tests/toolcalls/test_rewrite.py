"""The rewrite edit format: code block extraction, re-indentation, and Edit synthesis round trips."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cadre_lsp.core import Span
from cadre_lsp.edits import apply_edit_calls
from cadre_lsp.toolcalls import (
    RewriteError,
    extract_code_block,
    fit_rewrite,
    parse_tool_calls,
    rewrite_to_edits,
    validate_call,
)

METHOD_DOC = '''import math


class Stats:
    def total(self, xs):
        """Sum of xs."""
        total = 0
        for x in xs:
            total -= x
        return total

    def mean(self, xs):
        total = 0
        for x in xs:
            total -= x
        return total / len(xs)
'''
ORIGINAL = '''    def total(self, xs):
        """Sum of xs."""
        total = 0
        for x in xs:
            total -= x
        return total
'''
FIXED_DEDENTED = '''def total(self, xs):
    """Sum of xs."""
    total = 0
    for x in xs:
        total += x
    return total
'''


def _block_span(doc: str, block: str) -> Span:
    start = doc.index(block)
    first = doc.count("\n", 0, start)
    return Span.lines(first, first + block.rstrip("\n").count("\n"))


def test_extract_block_prefers_language_and_longest() -> None:
    reply = ("Here is the fix:\n```python\ndef f():\n    return 1\n```\nUsage:\n```python\nf()\n```\n"
             "```json\n{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}\n```")
    assert extract_code_block(reply, "py") == "def f():\n    return 1\n"


def test_extract_block_skips_a_verbatim_quote_of_the_original() -> None:
    original = "def f(x):\n    return x - 1\n"
    reply = f"The original:\n```python\n{original}```\nFixed:\n```python\ndef f(x):\n    return x + 1\n```\n"
    assert extract_code_block(reply, "python", like=original) == "def f(x):\n    return x + 1\n"


def test_extract_block_missing_closing_fence_and_think() -> None:
    reply = "<think>which line?</think>The loop subtracts.\n```py\ndef f(x):\n    return x + 1\n"
    assert extract_code_block(reply, "python") == "def f(x):\n    return x + 1\n"


def test_extract_block_without_fences_strips_prose_lines() -> None:
    reply = "Here is the corrected function:\ndef f(x):\n    return x + 1\nThis fixes the off-by-one error."
    assert extract_code_block(reply) == "def f(x):\n    return x + 1\n"
    assert extract_code_block("I am not able to help with that request today.") is None
    assert extract_code_block("") is None


def test_rewrite_round_trip_with_dropped_indentation() -> None:
    calls = rewrite_to_edits("stats.py", ORIGINAL, FIXED_DEDENTED)
    assert [validate_call(c) for c in calls] == [None]
    assert calls[0].arguments == {"path": "stats.py", "old_string": "            total -= x\n",
                                  "new_string": "            total += x\n"}
    edit = apply_edit_calls(METHOD_DOC, "stats.py", calls, _block_span(METHOD_DOC, ORIGINAL), version=1)
    after = edit.apply()
    assert after == METHOD_DOC.replace("            total -= x\n        return total\n",
                                       "            total += x\n        return total\n", 1)
    assert after.count("total -= x") == 1  # mean() untouched
    assert len(edit.changes) == 1 and edit.changes[0].new_text == "+"


def test_rewrite_grows_context_until_unique_in_block() -> None:
    original = "def f(a):\n    x = 0\n    x = 0\n    y = 1\n    return x\n"
    new = "def f(a):\n    x = 0\n    x = 5\n    y = 1\n    return x\n"
    (call,) = rewrite_to_edits("f.py", original, new)
    old = call.arguments["old_string"]
    assert original.count(old) == 1
    assert original.replace(old, call.arguments["new_string"]) == new


def test_rewrite_tree_sitter_style_block_first_line_unindented() -> None:
    # A definition cut from a parse tree: no indentation before `def`, full indentation after.
    block = ORIGINAL.lstrip(" ").rstrip("\n")
    calls = rewrite_to_edits("stats.py", block, "```python\n" + FIXED_DEDENTED + "```")
    edit = apply_edit_calls(METHOD_DOC, "stats.py", calls, _block_span(METHOD_DOC, ORIGINAL), version=1)
    assert edit.apply() == METHOD_DOC.replace("total -= x\n        return total\n",
                                              "total += x\n        return total\n", 1)


def test_rewrite_keeps_tabs_and_crlf() -> None:
    doc = "func f() {\r\n\tx := 1\r\n\treturn x\r\n}\r\n"
    new = "func f() {\n    x := 2\n    return x\n}\n"
    calls = rewrite_to_edits("f.go", doc, new)
    edit = apply_edit_calls(doc, "f.go", calls, None, version=None)
    assert edit.apply() == "func f() {\r\n\tx := 2\r\n\treturn x\r\n}\r\n"


def test_rewrite_inserts_and_deletes_lines() -> None:
    original = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out\n"
    new = "def f(xs):\n    out = []\n    for x in xs:\n        if x is None:\n            continue\n" \
          "        out.append(x)\n    return out\n"
    calls = rewrite_to_edits("f.py", original, new)
    assert apply_edit_calls(original, "f.py", calls, None, version=None).apply() == new
    calls = rewrite_to_edits("f.py", new, original)
    assert apply_edit_calls(new, "f.py", calls, None, version=None).apply() == original


def test_rewrite_identical_gives_no_calls_and_empty_original_is_an_error() -> None:
    assert rewrite_to_edits("f.py", "def f():\n    pass\n", "```python\ndef f():\n    pass  \n```") == []
    with pytest.raises(RewriteError):
        rewrite_to_edits("f.py", "  \n", "x = 1\n")


def test_fit_rewrite_normalises_trailing_newline_and_indentation() -> None:
    assert fit_rewrite("    x = 1", "x = 2\n\n\n") == "    x = 2"
    assert fit_rewrite("    x = 1\n", "x = 2") == "    x = 2\n"


def test_synthesised_calls_parse_like_model_calls() -> None:
    # Everything after extraction is one path: the synthesised calls survive a JSON round trip.
    import json

    calls = rewrite_to_edits("stats.py", ORIGINAL, FIXED_DEDENTED)
    text = "\n".join(f"<tool_call>{json.dumps({'name': c.name, 'arguments': c.arguments})}</tool_call>"
                     for c in calls)
    assert parse_tool_calls(text) == calls


_LINES = st.lists(st.sampled_from(["x = 1", "y = x + 1", "return y", "if x:", "pass", "", "z = [x]",
                                    "print(x)", "x = 1  # again"]), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(_LINES, _LINES, st.sampled_from(["", "    ", "\t"]), st.booleans())
def test_rewrite_round_trip_property(old_lines: list[str], new_lines: list[str], indent: str, dedent: bool) -> None:
    unit = "\t" if indent == "\t" else "    "

    def render(lines: list[str], base: str) -> str:
        return "\n".join(base + (unit + ln if i and ln else ln) for i, ln in enumerate(lines))

    # Trailing blank lines of a reply are dropped by design (the block keeps the original's ending).
    old_lines = "\n".join(["def f():", *old_lines]).rstrip("\n").split("\n")
    new_lines = "\n".join(["def f():", *new_lines]).rstrip("\n").split("\n")
    body = render(old_lines, indent) + "\n"
    expected = render(new_lines, indent) + "\n"
    reply = render(new_lines, "" if dedent else indent)
    doc = "import os\n\n" + body + "\n# end\n"
    calls = rewrite_to_edits("f.py", body, "```python\n" + reply + "\n```")
    if not calls:
        assert [ln.rstrip() for ln in body.split("\n")] == [ln.rstrip() for ln in expected.split("\n")]
        return
    edit = apply_edit_calls(doc, "f.py", calls, Span.lines(2, 2 + body.count("\n") - 1), version=None)
    result = edit.apply()
    assert result.startswith("import os\n\n") and result.endswith("\n# end\n")
    got_body = result[len("import os\n\n") : len(result) - len("\n# end\n")]
    assert [ln.rstrip() for ln in got_body.split("\n")] == [ln.rstrip() for ln in expected.split("\n")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \n\t:1()", max_size=60), st.text(alphabet="ab \n\t:1()", max_size=60))
@example("1", "1\n1")  # a last line without "\n" that stays equal must not swallow the line after it
def test_synthesised_edits_reproduce_the_fitted_rewrite(orig: str, new: str) -> None:
    if not orig.strip():
        return
    calls = rewrite_to_edits("t.py", orig, new)
    got = apply_edit_calls(orig, "t.py", calls, None, version=None).apply() if calls else orig
    want = fit_rewrite(orig, new)
    assert [ln.rstrip() for ln in got.split("\n")] == [ln.rstrip() for ln in want.split("\n")]
