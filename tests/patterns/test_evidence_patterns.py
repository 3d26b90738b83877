"""Patterns on evidence (patterns/evidence.py): scripted models, the real sandbox.

The candidates are run for real on what the docstring states (or on generated pairs); the decisions
asserted here (revise with the concrete failure, rank competitors without the judge, set a wrong
generated example aside) are the ones that make validated and compete better than one model call.
"""

from __future__ import annotations

import json

from fakes.scripted_workspace import Workspace, block, requests_of, verdict

DOCUMENTED = '''def chunk(items, size):
    """Split items into lists of `size`; the last one may be shorter.

    chunk([1, 2, 3], 2) == [[1, 2], [3]]
    >>> chunk([], 3)
    []
    """
    return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]
'''

FIXED = DOCUMENTED.replace("len(items) - size + 1", "len(items)")
WRONG = DOCUMENTED.replace("len(items) - size + 1", "len(items) - 1")
HANGS = DOCUMENTED.replace("    return [items", "    while True:\n        pass\n    return [items")

UNDOCUMENTED = '''def add_tax(price):
    """Price with 20% tax, rounded to cents."""
    return round(price * 1.02, 2)
'''
TAX_FIXED = UNDOCUMENTED.replace("1.02", "1.2")


def _file(ws: Workspace, text: str) -> None:
    ws.file.write_text(text)


def _request(ws: Workspace, pattern: str):  # type: ignore[no-untyped-def]
    return ws.request(line=0, pattern=pattern)


def examples_reply(*pairs: tuple[list[str], str]) -> str:
    """The generator's answer: one `add_tax(args) == expected` line per example."""
    return json.dumps({"examples": [f"add_tax({', '.join(a)}) == {e}" for a, e in pairs]})


async def test_validated_revises_with_the_concrete_failure_and_never_asks_the_validator(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    eng = ws.engine({
        "coder": {"exchanges": [{"match": "Running that", "reply": block(FIXED)}, {"reply": block(WRONG)}]},
        "val": {"exchanges": [{"reply": verdict("PASS")}]},
    }, roles={"validator": "val"}, verify=True)
    res = await eng.run(_request(ws, "validated"), ws.progress)
    assert res.error is None, res.summary
    assert res.edits[0].apply() == FIXED
    failure = "chunk([1, 2, 3], 2) returned [[1, 2]], expected [[1, 2], [3]]"
    draft, revise = (r["messages"][-1]["content"] for r in requests_of(eng, "coder"))
    assert failure in draft  # the original's failing example is in the first request already
    assert failure in revise and "Change the code, not the" in revise
    assert requests_of(eng, "val") == []  # executable evidence decided; no model verdict
    assert "evidence PASS after 1 revision" in res.summary
    assert res.verification and res.verification["passed"] == res.verification["total"] == 2
    assert res.verification["original_passed"] == 1  # the original already failed the chunk example
    assert any(m.startswith("evidence: FAIL — revising 1/2") for m in ws.messages())
    assert any("sandbox" == s.role for s in res.steps)  # the runs are in the step record


async def test_generated_examples_when_the_docstring_states_none(ws: Workspace) -> None:
    _file(ws, UNDOCUMENTED)
    eng = ws.engine({
        "coder": {"exchanges": [
            {"match": "Write up to", "reply": examples_reply((["10"], "12.0"), (["0"], "0"), (["x"], "1"))},
            {"reply": block(TAX_FIXED)}]},
    }, verify=True)
    res = await eng.run(_request(ws, "validated"), ws.progress)
    assert res.error is None, res.summary
    (gen_prompt,) = [r["messages"][-1]["content"] for r in requests_of(eng, "coder")
                     if "Write up to" in r["messages"][-1]["content"]]
    assert "1.02" not in gen_prompt  # the generator sees the signature and docstring, not the body
    assert res.verification and res.verification["evidence"].startswith("2 generated")
    assert res.verification["dropped"]  # "x" is not a literal: dropped and counted, never run


async def test_a_wrong_generated_example_is_set_aside_as_suspect(ws: Workspace) -> None:
    _file(ws, UNDOCUMENTED)
    eng = ws.engine({
        "coder": {"exchanges": [
            {"match": "Write up to", "reply": examples_reply((["10"], "12.0"), (["1"], "99.0"))},
            {"reply": block(TAX_FIXED)}]},
    }, extra="[validated]\nrounds = 1\n[verify]\nsamples = 1\n")
    res = await eng.run(_request(ws, "validated"), ws.progress)
    assert res.edits and res.edits[0].apply() == TAX_FIXED
    assert res.verification is not None
    suspect = [e for e in res.verification["examples"] if e["suspect"]]
    assert [e["call"] for e in suspect] == ["add_tax(1)"]
    assert "suspect" in res.summary


async def test_compete_ranks_by_evidence_and_skips_the_judge(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    eng = ws.engine({
        "a": {"exchanges": [{"reply": block(WRONG)}]},
        "b": {"exchanges": [{"reply": block(FIXED)}]},
        "j": {"exchanges": [{"reply": json.dumps({"choice": "A", "reason": "x"})}]},
    }, roles={"coding": "a", "competitor": "b", "judge": "j"}, verify=True)
    res = await eng.run(_request(ws, "compete"))
    assert res.edits[0].apply() == FIXED
    assert requests_of(eng, "j") == []
    assert "evidence ranked" in res.summary


async def test_compete_ties_on_evidence_go_to_the_judge(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    other = FIXED.replace("items[i:i + size]", "list(items[i:i + size])")
    eng = ws.engine({
        "a": {"exchanges": [{"reply": block(FIXED)}]},
        "b": {"exchanges": [{"reply": block(other)}]},
        "j": {"exchanges": [{"reply": json.dumps({"choice": "A", "reason": "x"})}]},
    }, roles={"coding": "a", "competitor": "b", "judge": "j"}, verify=True)
    res = await eng.run(_request(ws, "compete"))
    assert len(requests_of(eng, "j")) == 1 and "evidence ties" in res.summary


async def test_a_hanging_candidate_is_killed_and_the_job_goes_on(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    eng = ws.engine({"coder": {"exchanges": [{"match": "Running that", "reply": block(FIXED)},
                                             {"reply": block(HANGS)}]}},
                    extra="[verify]\nexample_timeout_s = 0.5\ntimeout_s = 3\n")
    res = await eng.run(_request(ws, "validated"))
    assert res.error is None and res.edits[0].apply() == FIXED


async def test_custom_verify_step_uses_evidence_only(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    custom = ('[patterns.checked]\nsteps = [\n  { kind = "generate", role = "coding" },\n'
              '  { kind = "verify", until = "pass", max_rounds = 1 },\n]\n')
    eng = ws.engine({"coder": {"exchanges": [{"match": "Running that", "reply": block(FIXED)},
                                             {"reply": block(WRONG)}]},
                     "val": {"exchanges": [{"reply": verdict("PASS")}]}},
                    roles={"validator": "val"}, extra=custom, verify=True)
    res = await eng.run(_request(ws, "checked"))
    assert res.error is None and res.edits[0].apply() == FIXED
    assert requests_of(eng, "val") == []


async def test_verification_off_falls_back_to_the_validator_model(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(WRONG)}]},
                     "val": {"exchanges": [{"reply": verdict("PASS")}]}}, roles={"validator": "val"})
    res = await eng.run(_request(ws, "validated"))
    assert len(requests_of(eng, "val")) == 1 and res.verification is None


async def test_a_fix_that_edits_the_docstring_to_match_the_bug_is_refused(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    cheat = DOCUMENTED.replace("chunk([1, 2, 3], 2) == [[1, 2], [3]]", "chunk([1, 2, 3], 2) == [[1, 2]]") \
        .replace("len(items) - size + 1", "len(items) - size + 1 if items else 0")
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(cheat)}]}}, verify=True)
    res = await eng.run(_request(ws, "primary"))
    assert res.edits == [] and res.error and "docstring" in res.error


async def test_review_puts_a_proven_finding_first(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    model_finding = {"findings": [{"start_line": 7, "severity": "warning", "message": "range looks odd"}]}
    eng = ws.engine({"r": {"exchanges": [{"reply": json.dumps(model_finding)}]}}, verify=True)
    res = await eng.run(ws.request(action="review", line=0))
    assert res.error is None, res.summary
    (proven,) = res.findings
    assert proven.severity == "error" and proven.message.startswith("confirmed by running it: chunk([1, 2, 3], 2)")
    assert (proven.start_line, proven.end_line) == (0, DOCUMENTED.count("\n") - 1)  # the whole definition
    assert requests_of(eng, "r") == []  # ran on its evidence, nothing risky in it: no model asked (review_walk.py)


async def test_primary_runs_the_docstring_examples_without_a_model_call(ws: Workspace) -> None:
    _file(ws, DOCUMENTED)
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(WRONG)}]}}, verify=True)
    res = await eng.run(_request(ws, "primary"))
    assert len(requests_of(eng, "coder")) == 1  # no examples were generated
    assert res.edits and res.partial  # delivered, but marked: its own docstring says it is wrong
    assert "evidence FAIL (chunk([1, 2, 3], 2) returned [[1, 2]]" in res.summary


async def test_an_unverified_edit_says_so(ws: Workspace) -> None:
    _file(ws, UNDOCUMENTED)
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(TAX_FIXED)}]}}, verify=True)
    res = await eng.run(_request(ws, "primary"))
    assert res.edits and not res.partial
    assert "not verified by running it (no executable evidence (no docstring examples))" in res.summary


async def test_the_users_own_tests_decide_when_configured(ws: Workspace) -> None:
    import sys

    _file(ws, UNDOCUMENTED)
    (ws.root / "test_tax.py").write_text("from shop import add_tax\n\n\ndef test_tax():\n"
                                         "    assert add_tax(10) == 12.0\n")
    wrong = UNDOCUMENTED.replace("1.02", "1.21")
    cmd = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_tax.py"])
    eng = ws.engine({"coder": {"exchanges": [{"match": "Running that", "reply": block(TAX_FIXED)},
                                             {"reply": block(wrong)}]}},
                    extra=f"[verify]\nmin_stated = 0\ntests_command = {cmd}\n")
    res = await eng.run(_request(ws, "validated"), ws.progress)
    assert res.error is None and res.edits[0].apply() == TAX_FIXED, res.summary
    revise = requests_of(eng, "coder")[1]["messages"][-1]["content"]
    assert "your tests fail" in revise and "assert" in revise
    assert res.verification and res.verification["tests"]["passed"] is True
    assert ws.file.read_text() == UNDOCUMENTED  # the tests ran on a copy
    assert [s.name for s in res.steps if s.role == "sandbox"] == ["tests original", "tests candidate",
                                                                   "tests candidate"]
