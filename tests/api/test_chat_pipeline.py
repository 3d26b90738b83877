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
