"""Built-in patterns over the scripted backend: step order, revise loop, judge, checks, cancel, fallback."""

from __future__ import annotations

import asyncio
import json

import pytest

from fakes.scripted_workspace import BROKEN, FIXED, SOURCE, WRONG, Workspace, block, requests_of, verdict

FIXED_SOURCE = SOURCE.replace("total -= p", "total += p")


async def test_primary_fix_returns_a_minimal_edit(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(FIXED)}]}})
    res = await eng.run(ws.request(), ws.progress)
    assert res.error is None, res.summary
    assert res.route and res.route.pattern == "primary" and res.route.role == "coding"
    (edit,) = res.edits
    assert edit.apply() == FIXED_SOURCE
    assert edit.version == 1
    assert all(len(c.new_text) < 40 for c in edit.changes)  # minimal, not the whole function
    prompt = requests_of(eng, "coder")[0]["messages"][-1]["content"]
    assert "def total_price" in prompt and "def area" not in prompt  # only the enclosing function
    assert any("coding model drafting" in m for m in ws.messages())


async def test_garbage_reply_gives_a_clear_error_and_no_edit(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"reply": "I am not sure what you mean."}]}})
    res = await eng.run(ws.request())
    assert res.edits == []
    assert res.error and "no usable edit" in res.error and "no code block" in res.error


async def test_unchanged_code_is_not_an_edit(ws: Workspace) -> None:
    original = SOURCE.split("\n\n\n")[1] + "\n"
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(original)}]}})
    res = await eng.run(ws.request())
    assert res.edits == [] and res.error and "unchanged" in res.error


async def test_primary_rejects_a_candidate_that_does_not_parse(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(BROKEN)}]}})
    res = await eng.run(ws.request())
    assert res.edits == [] and res.error and "syntax error" in res.error


async def test_validated_revises_on_fail_then_passes(ws: Workspace) -> None:
    eng = ws.engine({
        "coder": {"exchanges": [{"match": "A reviewer rejected", "reply": block(FIXED)},
                                {"reply": block(WRONG)}]},
        "val": {"exchanges": [{"reply": [verdict("FAIL", "returns 0 instead of the sum"), verdict("PASS")]}]},
    }, roles={"validator": "val"})
    res = await eng.run(ws.request(pattern="validated"), ws.progress)
    assert res.error is None, res.summary
    assert res.edits[0].apply() == FIXED_SOURCE
    assert [s.name for s in res.steps] == ["draft", "validate", "revise 1", "validate"]
    assert any("validator: FAIL — revising 1/2" in m and "returns 0" in m for m in ws.messages())
    revise_prompt = requests_of(eng, "coder")[1]["messages"][-1]["content"]
    assert "returns 0 instead of the sum" in revise_prompt
    # the revision continues the same conversation: same prefix -> KV cache reuse
    first = requests_of(eng, "coder")[0]["messages"]
    assert requests_of(eng, "coder")[1]["messages"][: len(first)] == first
    assert "PASS after 1 revision" in res.summary


async def test_validated_deterministic_check_beats_a_lenient_validator(ws: Workspace) -> None:
    eng = ws.engine({
        "coder": {"exchanges": [{"match": "A reviewer rejected", "reply": block(FIXED)},
                                {"reply": block(BROKEN)}]},
        "val": {"exchanges": [{"reply": verdict("PASS")}]},
    }, roles={"validator": "val"})
    res = await eng.run(ws.request(pattern="validated"))
    assert res.error is None and res.edits[0].apply() == FIXED_SOURCE
    assert len(requests_of(eng, "val")) == 1  # the broken draft never reached the validator
    assert "syntax error" in requests_of(eng, "coder")[1]["messages"][-1]["content"]


async def test_validated_gives_up_after_n_rounds_with_partial_result(ws: Workspace) -> None:
    eng = ws.engine({
        "coder": {"exchanges": [{"reply": block(WRONG)}]},
        "val": {"exchanges": [{"reply": verdict("FAIL", "still wrong")}]},
    }, roles={"validator": "val"}, extra="[validated]\nrounds = 1\n")
    res = await eng.run(ws.request(pattern="validated"))
    assert res.partial and res.edits and "still FAIL" in res.summary
    assert len(requests_of(eng, "coder")) == 2 and len(requests_of(eng, "val")) == 2


async def test_validated_never_delivers_a_candidate_that_fails_checks(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(BROKEN)}]},
                     "val": {"exchanges": [{"reply": verdict("PASS")}]}},
                    roles={"validator": "val"}, extra="[validated]\nrounds = 1\n")
    res = await eng.run(ws.request(pattern="validated"))
    assert res.edits == [] and res.error and "syntax error" in res.error


async def test_compete_runs_competitors_concurrently_and_judges(ws: Workspace) -> None:
    eng = ws.engine({
        "a": {"exchanges": [{"reply": block(FIXED), "latency_s": 0.3}]},
        "b": {"exchanges": [{"reply": block(FIXED.replace("total += p", "total = total + p")),
                             "latency_s": 0.3}]},
        "j": {"exchanges": [{"reply": json.dumps({"choice": "A", "reason": "shorter"})}]},
    }, roles={"coding": "a", "competitor": "b", "judge": "j"})
    res = await eng.run(ws.request(pattern="compete"), ws.progress)
    assert res.error is None, res.summary
    ra, rb = requests_of(eng, "a")[0], requests_of(eng, "b")[0]
    assert rb["started"] < ra["finished"] and ra["started"] < rb["finished"]  # overlapped
    judge_prompt = requests_of(eng, "j")[0]["messages"][-1]["content"]
    assert "Solution A" in judge_prompt and "Solution B" in judge_prompt
    assert "total += p" in judge_prompt and "total = total + p" in judge_prompt
    assert res.edits[0].apply() in (FIXED_SOURCE, SOURCE.replace("total -= p", "total = total + p"))
    assert "judge picked" in res.summary


async def test_compete_disqualifies_broken_candidates_before_judging(ws: Workspace) -> None:
    eng = ws.engine({
        "a": {"exchanges": [{"reply": block(BROKEN)}]},
        "b": {"exchanges": [{"reply": block(FIXED)}]},
        "j": {"exchanges": [{"reply": json.dumps({"choice": "A", "reason": "x"})}]},
    }, roles={"coding": "a", "competitor": "b", "judge": "j"})
    res = await eng.run(ws.request(pattern="compete"))
    assert res.edits[0].apply() == FIXED_SOURCE
    assert requests_of(eng, "j") == []  # one usable candidate: no judge call
    assert "disqualified 1" in res.summary


async def test_compete_with_all_broken_is_an_error(ws: Workspace) -> None:
    eng = ws.engine({"a": {"exchanges": [{"reply": block(BROKEN)}]}, "b": {"exchanges": [{"reply": "no code"}]}},
                    roles={"coding": "a", "competitor": "b"})
    res = await eng.run(ws.request(pattern="compete"))
    assert res.edits == [] and res.error and "no usable candidate" in res.error


async def test_cancel_mid_step_cancels_the_model_request(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(FIXED), "latency_s": 0.05, "tokens_per_s": 5}]}})
    task = asyncio.create_task(eng.run(ws.request(), ws.progress))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (req,) = requests_of(eng, "coder")
    assert req["cancelled"] and req["finished"] is None


async def test_failing_role_falls_back_and_says_so(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"error": "http500"}]},
                     "backup": {"exchanges": [{"reply": block(FIXED)}]}},
                    roles={"reasoning": "backup", "validator": "backup", "judge": "backup",
                           "competitor": "backup", "tools": "backup", "summarizer": "backup"})
    res = await eng.run(ws.request())
    assert res.error is None and res.edits[0].apply() == FIXED_SOURCE
    assert res.steps[0].note == "fell back from coder"


async def test_model_error_is_a_result_not_an_exception(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"error": "unavailable"}]}})
    eng.config.fallback_role = None
    res = await eng.run(ws.request())
    assert res.edits == [] and res.error and "connection refused" in res.error


async def test_hybrid_hands_the_plan_to_the_editor(ws: Workspace) -> None:
    plan = "1. In the loop, change `total -= p` to `total += p`."
    eng = ws.engine({"arch": {"exchanges": [{"reply": plan}]},
                     "coder": {"exchanges": [{"reply": block(FIXED)}]}},
                    roles={"coding": "coder", "tools": "coder"})
    res = await eng.run(ws.request(pattern="hybrid"))
    assert res.error is None and res.edits[0].apply() == FIXED_SOURCE
    assert plan in requests_of(eng, "coder")[0]["messages"][-1]["content"]
    assert [s.name for s in res.steps] == ["plan", "edit"]


async def test_tools_pattern_turns_tool_calls_into_edits_and_refuses_bash(ws: Workspace) -> None:
    reply = ('<tool_call>{"name": "Edit", "arguments": {"path": "shop.py", "old_string": "total -= p", '
             '"new_string": "total += p"}}</tool_call>\n'
             '<tool_call>{"name": "Bash", "arguments": {"command": "rm -rf ~"}}</tool_call>')
    eng = ws.engine({"t": {"exchanges": [{"reply": reply}], "edit_format": "tool_calls"}})
    res = await eng.run(ws.request(pattern="tools"))
    assert res.error is None, res.summary
    assert res.edits[0].apply() == FIXED_SOURCE
    assert "refused Bash" in res.summary and "never run" in res.summary


async def test_tool_call_editing_another_file_is_refused(ws: Workspace) -> None:
    reply = ('<tool_call>{"name": "Edit", "arguments": {"path": "/root/.bashrc", "old_string": "a", '
             '"new_string": "b"}}</tool_call>')
    eng = ws.engine({"t": {"exchanges": [{"reply": reply}], "edit_format": "tool_calls"}})
    res = await eng.run(ws.request(pattern="tools"))
    assert res.edits == [] and res.error


async def test_explain_returns_markdown(ws: Workspace) -> None:
    eng = ws.engine({"r": {"exchanges": [{"match": "def area", "reply": "Computes **pi r²**."}]}})
    res = await eng.run(ws.request(action="explain", line=13))
    assert res.error is None and res.text == "Computes **pi r²**."
    assert res.route and res.route.role == "reasoning"


async def test_review_findings_are_zero_based_and_clamped(ws: Workspace) -> None:
    findings = {"findings": [
        {"start_line": 8, "end_line": 8, "severity": "error", "message": "subtracts instead of adding",
         "suggestion": "use +="},
        {"start_line": 999, "severity": "critical", "message": "past the end"},
        {"start_line": 3, "message": ""},
    ]}
    eng = ws.engine({"r": {"exchanges": [{"reply": "```json\n" + json.dumps(findings) + "\n```"}]}})
    res = await eng.run(ws.request(action="review"))
    assert res.error is None
    (f0,) = res.findings  # review asks per definition: a line outside it is dropped (review_walk.py)
    assert (f0.start_line, f0.severity, f0.suggestion) == (7, "error", "use +=")
    from cadre_lsp.patterns.review import parse_findings

    clamped = parse_findings(json.dumps(findings), None, SOURCE, 10)
    assert clamped and clamped[1].severity == "error" and clamped[1].start_line == SOURCE.count("\n")
    review_prompt = requests_of(eng, "r")[0]["messages"][-1]["content"]
    assert "\n8|         total -= p" in review_prompt  # file line numbers, the code unchanged after them


async def test_auto_picks_validated_for_fix_and_says_why(ws: Workspace) -> None:
    eng = ws.engine({"coder": {"exchanges": [{"reply": block(FIXED)}]},
                     "val": {"exchanges": [{"reply": verdict("PASS")}]}}, roles={"validator": "val"})
    res = await eng.run(ws.request(pattern="auto"), ws.progress)
    assert res.route and res.route.pattern == "validated"
    assert "auto picked validated" in ws.messages()[0]


async def test_a_validator_on_the_drafting_model_continues_the_draft_conversation(ws: Workspace) -> None:
    """Same model: the verdict is asked as the next turn, so the draft (prompt and answer) is a prefix
    of the validator's prompt and llama.cpp serves it from its KV cache; another model is asked afresh."""
    eng = ws.engine({"coder": {"exchanges": [{"match": "strict reviewer", "reply": verdict("PASS")},
                                             {"reply": block(FIXED)}]}},
                    roles={"validator": "coder"})
    res = await eng.run(ws.request(pattern="validated"))
    assert res.error is None and res.edits[0].apply() == FIXED_SOURCE, res.summary
    draft, check = requests_of(eng, "coder")
    n = len(draft["messages"])
    assert check["messages"][:n] == draft["messages"]
    assert check["messages"][n] == {"role": "assistant", "content": block(FIXED)}
    assert "strict reviewer" in check["messages"][-1]["content"]

    other = ws.engine({"coder": {"exchanges": [{"reply": block(FIXED)}]},
                       "val": {"exchanges": [{"reply": verdict("PASS")}]}}, roles={"validator": "val"})
    await other.run(ws.request(pattern="validated"))
    (asked,) = requests_of(other, "val")
    assert not any(m["role"] == "assistant" and "total += p" in m["content"] for m in asked["messages"])
