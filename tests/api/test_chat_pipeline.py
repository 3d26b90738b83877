"""The chat pipeline without HTTP: plain data in, the answer and its text fragments out."""

from __future__ import annotations

import json

import pytest

from cadre_lsp.chat import ChatError, ChatRequest, run_chat
from fakes.scripted_workspace import Workspace

HELLO = [{"role": "user", "content": "Say hello"}]


@pytest.mark.parametrize(("pattern", "live"), [("primary", True), ("validated", False)])
async def test_on_text_gets_exactly_the_answer(ws: Workspace, pattern: str, live: bool) -> None:
    engine = ws.engine({"s": {"exchanges": [
        {"match": "Check this answer", "reply": json.dumps({"verdict": "PASS", "reasons": []})},
        {"reply": "Hello there, world!"}]}})
    fragments: list[str] = []
    try:
        answer = await run_chat(engine, ChatRequest(HELLO, pattern=pattern), on_text=fragments.append,
                                progress=ws.progress)
    finally:
        await engine.aclose()
    assert "".join(fragments) == answer.text == "Hello there, world!"
    assert len(fragments) == (3 if live else 1)  # token by token, or the accepted answer at once
    assert ws.messages()[0].startswith(f"{pattern}: general (default) -> reasoning")


async def test_unknown_pattern_is_not_found(ws: Workspace) -> None:
    engine = ws.engine({"s": {"exchanges": []}})
    with pytest.raises(ChatError) as err:
        await run_chat(engine, ChatRequest(HELLO, pattern="nope"))
    assert err.value.kind == "not_found"
    await engine.aclose()


ASK = [{"role": "user", "content": "Write a Python function last_word(s) returning the last word of s.\n"
                                   "last_word('hello big world') == 'world'\nlast_word('') == ''"}]
WRONG_ANSWER = "```python\ndef last_word(s):\n    return s.split()[-1]\n```"
RIGHT_ANSWER = "```python\ndef last_word(s):\n    words = s.split()\n    return words[-1] if words else ''\n```"


async def test_validated_chat_answer_is_run_on_the_requests_examples(ws: Workspace) -> None:
    engine = ws.engine({"s": {"exchanges": [
        {"match": "rejected that answer", "reply": RIGHT_ANSWER},
        {"match": "Check this answer", "reply": json.dumps({"verdict": "PASS", "reasons": []})},
        {"reply": WRONG_ANSWER}]}}, verify=True)
    try:
        answer = await run_chat(engine, ChatRequest(ASK, pattern="validated"), progress=ws.progress)
        prompts = [r["messages"][-1]["content"] for r in engine.pool.backend("s").requests]  # type: ignore[attr-defined]
    finally:
        await engine.aclose()
    assert answer.text == RIGHT_ANSWER
    assert not any("Check this answer" in p for p in prompts)  # the run decided, not the validator model
    assert "last_word('') raised IndexError" in prompts[1]
    assert "evidence PASS after 1 revision" in answer.note


async def test_compete_chat_answers_are_ranked_by_the_requests_examples(ws: Workspace) -> None:
    engine = ws.engine({"a": {"exchanges": [{"reply": WRONG_ANSWER}]}, "b": {"exchanges": [{"reply": RIGHT_ANSWER}]},
                        "j": {"exchanges": [{"reply": json.dumps({"choice": "A", "reason": "x"})}]}},
                       roles={"coding": "a", "competitor": "b", "judge": "j", "reasoning": "a"}, verify=True)
    try:
        answer = await run_chat(engine, ChatRequest(ASK, pattern="compete"))
        judged = engine.pool.backend("j").requests  # type: ignore[attr-defined]
    finally:
        await engine.aclose()
    assert answer.text == RIGHT_ANSWER and "evidence ranked" in answer.note
    assert judged == []
