"""Review per definition (patterns/review_walk.py) and Explain grounded in runs (patterns/explain.py):
scripted models, the real sandbox.

What is asserted is what makes review find the bug: running the docstring's examples proves a finding
(call, actual and expected in its message), a generated example's failure is reported only when nothing
contradicts it, model-only findings outside the definition are dropped, and an unchanged definition is
never asked about or run twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cadre_lsp.patterns import review_walk
from fakes.scripted_workspace import Workspace, requests_of

TWO = '''def chunk(items, size, _memo={}):
    """Split items into lists of `size`; the last one may be shorter.

    chunk([1, 2, 3], 2) == [[1, 2], [3]]
    >>> chunk([], 3)
    []
    """
    return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]


def count_vowels(text, _seen=[]):
    """Return how many vowels (a, e, i, o, u, either case) the text contains."""
    count = 0
    for ch in text.lower():
        if ch not in "aeiou":
            count += 1
    return count
'''
VOWELS_AT = TWO.split("\n").index("def count_vowels(text, _seen=[]):")


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    review_walk.clear_cache()
    yield
    review_walk.clear_cache()


def examples(*lines: str) -> str:
    return json.dumps({"examples": list(lines)})


def findings(*items: tuple[int, str, str]) -> str:
    return json.dumps({"findings": [{"start_line": n, "severity": s, "message": m} for n, s, m in items]})


def engine(ws: Workspace, generated: str, focused: str | list[str] = "[]"):  # type: ignore[no-untyped-def]
    return ws.engine({"m": {"exchanges": [
        {"match": "Write up to", "reply": generated},
        {"match": "Review this code, the", "reply": focused},
    ]}}, verify=True)


def calls(eng, what: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["messages"][-1]["content"] for r in requests_of(eng, "m") if what in r["messages"][-1]["content"]]


async def test_each_definition_is_run_and_asked_about_on_its_own(ws: Workspace) -> None:
    ws.file.write_text(TWO)
    gen = examples('count_vowels("") == 0', 'count_vowels("Hello World") == 3', 'count_vowels("rhythm") == 0')
    # the same answer for both definitions (1-based lines): one line inside count_vowels only, one past
    # the end of both, and a hint
    eng = engine(ws, gen, findings((VOWELS_AT + 5, "warning", "this test looks odd"), (100, "error", "outside"),
                                   (VOWELS_AT + 3, "hint", "rename count")))
    res = await eng.run(_whole(ws))
    assert res.error is None, res.summary
    proven, generated, *model = res.findings
    assert proven.severity == "error" and (proven.start_line, proven.end_line) == (0, 7)
    assert proven.message == ("confirmed by running it: chunk([1, 2, 3], 2) returned [[1, 2]], "
                              "docstring says [[1, 2], [3]]")
    assert generated.severity == "warning" and "generated example" in generated.message
    assert "count_vowels('Hello World') returned 8, expected 3" in generated.message
    assert (generated.start_line, generated.end_line) == (VOWELS_AT, VOWELS_AT + 6)
    # the focused pass is asked once per definition, with that definition's lines only
    asked = calls(eng, "Review this code, the")
    assert len(asked) == 2 and "`chunk`" in asked[0] and "count_vowels" not in asked[0]
    # chunk states two examples: nothing generated for it; count_vowels states none: generated from its stub
    (gen_prompt,) = calls(eng, "Write up to")
    assert "count_vowels" in gen_prompt and 'not in "aeiou"' not in gen_prompt
    # model-only: a line inside the definition, error/warning, marked; the line-1 and hint answers are gone
    assert [(f.message, f.start_line, f.severity) for f in model] == [
        ("this test looks odd (unproven)", VOWELS_AT + 4, "warning")]


def _whole(ws: Workspace):  # type: ignore[no-untyped-def]
    from cadre_lsp.core import Span

    req = ws.request(action="review", line=0)
    req.span = Span.lines(0, req.text.count("\n") - 1)
    return req


@pytest.mark.parametrize("generated, why", [
    (examples('count_vowels("") == 1', 'count_vowels("a") == 2'), "every generated example fails"),
    (examples('count_vowels("") == 0', 'count_vowels("ab") == 1', 'count_vowels("ab") == 2'),
     "the set contradicts itself"),
    (examples('count_vowels("") == 0', 'count_vowels("a", [], "c") == 1'), "a call the code cannot accept"),
])
async def test_a_contradicted_generated_failure_is_not_reported(ws: Workspace, generated: str, why: str) -> None:
    ws.file.write_text(TWO)
    eng = engine(ws, generated)
    res = await eng.run(_whole(ws))
    assert res.error is None, res.summary
    assert not any("generated example" in f.message for f in res.findings), why


async def test_a_re_review_of_unchanged_code_costs_no_model_call_and_no_run(ws: Workspace) -> None:
    ws.file.write_text(TWO)
    gen = examples('count_vowels("") == 0', 'count_vowels("Hello World") == 3')
    eng = engine(ws, gen, findings((VOWELS_AT + 3, "warning", "loop looks odd")))
    first = await eng.run(_whole(ws))
    n = len(requests_of(eng, "m"))
    assert n == 3  # one generation, two focused passes
    again = await eng.run(_whole(ws))
    assert len(requests_of(eng, "m")) == n
    assert [s for s in again.steps if s.role == "sandbox"] == []
    assert again.findings == first.findings
    # the code moves down two lines: still cached, the findings move with it
    ws.file.write_text("\n\n" + TWO)
    moved = await eng.run(_whole(ws))
    assert len(requests_of(eng, "m")) == n
    assert [f.start_line for f in moved.findings] == [f.start_line + 2 for f in first.findings]
    # editing count_vowels asks about count_vowels only (and runs the module again)
    ws.file.write_text(TWO.replace("count += 1", "count += 2"))
    await eng.run(_whole(ws))
    new = [r["messages"][-1]["content"] for r in requests_of(eng, "m")[n:]]
    assert len(new) == 1 and "count_vowels" in new[0]


async def test_review_on_save_of_one_definition_reviews_only_it(ws: Workspace) -> None:
    ws.file.write_text(TWO)
    eng = engine(ws, examples('count_vowels("") == 0'))
    res = await eng.run(ws.request(action="review", line=VOWELS_AT + 2))
    assert res.error is None, res.summary
    asked = calls(eng, "Review this code, the")
    assert len(asked) == 1 and "count_vowels" in asked[0]
    assert all(f.start_line >= VOWELS_AT for f in res.findings)


async def test_explain_says_what_the_code_returns_where_it_differs(ws: Workspace) -> None:
    ws.file.write_text(TWO)
    eng = ws.engine({"m": {"exchanges": [
        {"match": "Write up to", "reply": examples('count_vowels("") == 0', 'count_vowels("Hello World") == 3')},
        {"match": "Explain this", "reply": "It counts the vowels in the text."},
    ]}}, verify=True)
    res = await eng.run(ws.request(action="explain", line=VOWELS_AT))
    assert res.error is None, res.summary
    (prompt,) = calls(eng, "Explain this")
    assert "count_vowels('Hello World') returned 8" in prompt  # a fact the model is given
    assert res.text.startswith("It counts the vowels in the text.")
    assert "**What it actually does differs from its generated example:** `count_vowels('Hello World')` " \
           "returned 8, but the generated example says 3." in res.text
    # the docstring's own examples: stated, no generation
    res = await eng.run(ws.request(action="explain", line=2))
    assert "differs from its docstring:** `chunk([1, 2, 3], 2)` returned [[1, 2]]" in res.text
    assert "- `chunk([], 3)` returned [] — as expected" in res.text


async def test_a_proof_stays_when_a_later_run_is_killed(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.file.write_text(TWO)
    eng = engine(ws, examples('count_vowels("") == 0'))
    first = await eng.run(_whole(ws))
    assert first.findings[0].message.startswith("confirmed by running it: chunk([1, 2, 3], 2)")
    ws.file.write_text(TWO + "\nX = 1\n")  # the module changed elsewhere: chunk is run again ...

    async def killed(source, examples, **kw):  # type: ignore[no-untyped-def]
        from cadre_lsp.verify import ExampleResult, RunReport

        return RunReport([ExampleResult(e, "timeout", error="killed") for e in examples], error="run killed")

    monkeypatch.setattr(review_walk, "run_examples", killed)  # ... and the run is killed this time
    again = await eng.run(_whole(ws))
    assert again.findings[0] == first.findings[0]


async def test_the_quick_fix_of_a_proven_finding_runs_fix_with_the_failure(ws: Workspace) -> None:
    from lsprotocol import types

    from cadre_lsp.lsp.actions import finding_fix

    ws.file.write_text(TWO)
    res = await engine(ws, examples('count_vowels("") == 0')).run(_whole(ws))
    proof = res.findings[0]
    rng = types.Range(types.Position(proof.start_line, 0), types.Position(proof.end_line, 0))
    spec = finding_fix("file:///x.py", rng, 1, proof, [])
    failure = "chunk([1, 2, 3], 2) returned [[1, 2]], docstring says [[1, 2], [3]]"
    assert failure in spec.args.instruction and spec.preferred
    fixed = TWO.replace("len(items) - size + 1", "len(items)").split("\n\n\n")[0] + "\n"
    eng = ws.engine({"m": {"exchanges": [{"reply": f"```python\n{fixed}```"}]}}, verify=True)
    fix = await eng.run(ws.request(action="fix", line=proof.start_line, instruction=spec.args.instruction))
    assert fix.error is None and fix.edits, fix.summary
    assert failure in requests_of(eng, "m")[0]["messages"][-1]["content"]


def test_json_findings_use_the_texts_1_based_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from cadre_lsp.cli import _print_result, _result_json
    from cadre_lsp.core import Finding, Result

    result = Result(action="review", findings=[Finding(4, 6, "error", "subtracts")])
    data = _result_json(result)
    assert (data["findings"][0]["start_line"], data["findings"][0]["end_line"]) == (5, 7)
    _print_result(result, "shop.py", None)
    assert capsys.readouterr().out.startswith("shop.py:5-7: error: subtracts")
    assert result.findings[0].start_line == 4  # the Result itself (and the LSP) stay 0-based


def test_examples_in_backticks_are_read() -> None:
    from cadre_lsp.verify import stated_examples

    src = '''def page_count(total, per_page):
    """Pages for `total` items: `page_count(25, 10) == 3`, `page_count(0, 10) == 0`."""
'''
    ev = stated_examples(src, "page_count")
    assert [e.describe() for e in ev.examples] == ["page_count(25, 10) == 3", "page_count(0, 10) == 0"]
    assert ev.dropped == []


async def test_changed_definitions_are_reviewed_first(ws: Workspace) -> None:
    ws.file.write_text(TWO)
    eng = engine(ws, examples('count_vowels("") == 0'))
    await eng.run(_whole(ws))
    ws.file.write_text(TWO.replace("count += 1", "count += 2"))
    review_walk._MODEL.clear()  # both are asked again: the order shows
    n = len(requests_of(eng, "m"))
    await eng.run(_whole(ws))
    asked = [r["messages"][-1]["content"] for r in requests_of(eng, "m")[n:] if "Review this code" in
             r["messages"][-1]["content"]]
    assert ["count_vowels" in a for a in asked] == [True, False]


def test_the_focused_question_is_asked_only_where_there_is_something_to_ask() -> None:
    from cadre_lsp.patterns.review_walk import _is_test, risky_constructs

    assert risky_constructs("def f(p):\n    return open(p).read()\n", "f") == ["open()"]
    assert risky_constructs("def f(x=[]):\n    try:\n        return g(x)\n    except:\n        pass\n", "f") == \
        ["a mutable default argument", "a bare except"]
    assert risky_constructs("def f(n):\n    return n * f(n - 1) if n else 1\n", "f") == ["recursion"]
    assert risky_constructs(TWO.split("\n\n\n")[1].replace("_seen=[]", "seen=()"), "count_vowels") == []
    assert _is_test("def check():\n    assert f(1) == 2\n    assert f(0) == 0\n")
    assert not _is_test("def f():\n    return 1\n")
