"""Each pattern over chat: what the models are asked, what reaches the client, and only the answer."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from api.conftest import ApiServer

HELLO = [{"role": "user", "content": "Say hello"}]
CHECK = "Check this answer to the user's request"


def verdict(v: str, *reasons: str) -> str:
    return json.dumps({"verdict": v, "reasons": list(reasons)})


def stream_text(api: ApiServer, model: str, messages=HELLO) -> str:
    chunks = api.client().chat.completions.create(model=model, messages=messages, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_validated_revises_after_fail_and_streams_only_the_accepted_answer(serve) -> None:
    api: ApiServer = serve([
        {"match": CHECK, "reply": [verdict("FAIL", "forgot the exclamation mark"), verdict("PASS")]},
        {"match": "A reviewer rejected", "reply": "Hello!"},
        {"reply": "Hello"},
    ], tokens_per_s=500)
    assert stream_text(api, "cadre:validated") == "Hello!"
    checks = [r for r in api.requests() if CHECK in r["messages"][-1]["content"]]
    assert [c["messages"][-1]["content"].split("Answer:\n")[1].split("\n")[0] for c in checks] == ["Hello", "Hello!"]
    revise = next(r for r in api.requests() if "A reviewer rejected" in r["messages"][-1]["content"])
    assert "forgot the exclamation mark" in revise["messages"][-1]["content"]
    assert revise["messages"][-2] == {"role": "assistant", "content": "Hello"}


def test_validated_gives_up_after_the_configured_rounds_with_a_note(serve) -> None:
    api: ApiServer = serve([{"match": CHECK, "reply": verdict("FAIL", "wrong")}, {"reply": "Hi"}],
                           extra="[validated]\nrounds = 1\n")
    r = api.client().chat.completions.create(model="cadre:validated", messages=HELLO)
    assert r.choices[0].message.content == "Hi"
    assert "still FAIL after 1 revisions: wrong" in r.model_extra["cadre"]["note"]
    assert len([x for x in api.requests() if CHECK in x["messages"][-1]["content"]]) == 2


def test_compete_runs_competitors_concurrently_and_returns_the_judges_pick(serve) -> None:
    api: ApiServer = serve([
        {"match": "Several answers were proposed", "reply": json.dumps({"choice": "B", "reason": "warmer"})},
        {"reply": ["Hello.", "Hello there, friend!"]},
    ], latency_s=0.5, concurrency=2)
    r = api.client().chat.completions.create(model="cadre:compete", messages=HELLO)
    a, b, judge = api.requests()
    assert a["started"] < b["finished"] and b["started"] < a["finished"]  # side by side, not one after another
    assert {a["temperature"], b["temperature"]} == {0.2, 0.7}
    shown = judge["messages"][-1]["content"]
    assert "Hello." in shown and "Hello there, friend!" in shown
    picked = shown.split("Solution B:\n```markdown\n")[1].split("\n```")[0]
    assert r.choices[0].message.content == picked


def test_hybrid_plans_then_streams_the_answer_that_follows_the_plan(serve) -> None:
    api: ApiServer = serve([
        {"match": "plan the answer", "reply": "1. Greet warmly."},
        {"match": "Follow this plan", "reply": "Hello, dear friend!"},
    ], tokens_per_s=500)
    assert stream_text(api, "cadre:hybrid") == "Hello, dear friend!"
    plan, final = api.requests()
    assert "plan the answer" in plan["messages"][-1]["content"]
    assert "1. Greet warmly." in final["messages"][-1]["content"]


@pytest.mark.parametrize(("ask", "pattern"), [("Please explain recursion", "primary"),
                                              ("Fix the bug in my loop", "validated")])
def test_auto_picks_the_pattern_from_the_message(serve, ask, pattern) -> None:
    api: ApiServer = serve([{"match": CHECK, "reply": verdict("PASS")}, {"reply": "Done."}])
    r = api.client().chat.completions.create(model="cadre:auto", messages=[{"role": "user", "content": ask}])
    assert r.model_extra["cadre"]["pattern"] == pattern


def test_custom_pattern_plans_races_and_judges(serve) -> None:
    steps = ('[patterns.plan_race]\nsteps = [\n  { kind = "generate", role = "reasoning", prompt = "plan" },\n'
             '  { kind = "generate", role = "coding" },\n  { kind = "generate", role = "competitor" },\n'
             '  { kind = "judge", role = "judge" },\n]\n')
    api: ApiServer = serve([
        {"match": "plan the answer", "reply": "1. Wave."},
        {"match": "Several answers were proposed", "reply": json.dumps({"choice": "A", "reason": "fine"})},
        {"match": "Follow this plan", "reply": ["Hi (waves)", "Hello (waves)"]},
    ], extra=steps, concurrency=2)
    r = api.client().chat.completions.create(model="cadre:plan_race", messages=HELLO)
    assert r.choices[0].message.content in ("Hi (waves)", "Hello (waves)")
    assert [s["step"] for s in r.model_extra["cadre"]["steps"]] == ["plan", "generate (coding)",
                                                                    "generate (competitor)", "judge"]


def test_custom_step_that_needs_a_document_is_refused_with_the_reason(serve) -> None:
    api: ApiServer = serve([{"reply": "x"}],
                           extra='[patterns.fixer]\nsteps = [{ kind = "generate", role = "coding", prompt = "fix" }]\n')
    with pytest.raises(openai.BadRequestError, match="works on code in a document, not on chat messages"):
        api.client().chat.completions.create(model="cadre:fixer", messages=HELLO)
    assert api.requests() == []


def test_a_model_that_fails_mid_pattern_is_reported_not_hung(serve) -> None:
    api: ApiServer = serve([{"match": CHECK, "error": "http500"}, {"reply": "Hello"}])
    r = httpx.post(f"{api.url}/v1/chat/completions", json={"model": "cadre:validated", "messages": HELLO})
    assert r.status_code == 502  # the backend answered, badly (503 is for one that cannot be reached)
    assert "HTTP 500" in r.json()["error"]["message"]
