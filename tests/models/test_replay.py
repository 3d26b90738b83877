"""A stream that breaks mid-answer and is retried must reach a live consumer once, not twice.

The pool's fallback asks the next endpoint from the first token; the chat API forwards tokens to the
client as they come. Real `openai` client, fake OpenAI-compatible servers: `a` cuts the stream after
three words, `b` answers in full.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cadre_lsp.chat.answer import Streamer
from cadre_lsp.config.loader import SHIPPED_DIR, build, dict_layer, file_layer
from cadre_lsp.models.pool import ModelPool
from cadre_lsp.models.replay import ReplayGuard
from fakes.openai_server import FakeOpenAI, Reply

ANSWER = "The function adds the prices and returns the total."
USER = [{"role": "user", "content": "what does it do?"}]


@pytest.fixture
def servers() -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    with FakeOpenAI() as a, FakeOpenAI() as b:
        yield a, b


def pool_for(a: FakeOpenAI, b: FakeOpenAI) -> ModelPool:
    ep = {"kind": "openai", "model": "m", "retries": 0, "timeout_s": 10}
    config = build([file_layer(SHIPPED_DIR / "cadre.toml"), dict_layer("test", {
        "endpoints": {"a": {**ep, "base_url": a.url}, "b": {**ep, "base_url": b.url}},
        "roles": {"coding": ["a", "b"]}})])
    return ModelPool(config)


async def stream(pool: ModelPool) -> tuple[str, str]:
    seen: list[str] = []

    async def on_token(fragment: str) -> None:
        seen.append(fragment)

    try:
        c = await pool.chat("coding", USER, on_token=on_token)
    finally:
        await pool.aclose()
    return c.text, "".join(seen)


async def test_fallback_after_a_cut_stream_continues_where_the_stream_stopped(servers) -> None:
    a, b = servers
    a.push(Reply(ANSWER, die_after=3))
    b.push(Reply(ANSWER))
    text, streamed = await stream(pool_for(a, b))
    assert a.chat_requests() and b.chat_requests()  # the cut really happened and b answered
    assert text == ANSWER
    assert streamed == ANSWER  # not "The function adds The function adds the prices ..."


async def test_a_retry_that_answers_differently_goes_silent(servers) -> None:
    a, b = servers
    a.push(Reply(ANSWER, die_after=3))
    b.push(Reply("It multiplies them."))
    text, streamed = await stream(pool_for(a, b))
    assert text == "It multiplies them."
    assert streamed and ANSWER.startswith(streamed)  # what a had sent, and nothing of b's
    assert "multiplies" not in streamed


async def test_guard_swallows_the_replayed_prefix_fragment_by_fragment() -> None:
    out: list[str] = []
    guard = ReplayGuard(out.append)
    guard.new_attempt()
    for f in ["ab", "c"]:
        await guard(f)
    guard.new_attempt()
    for f in ["a", "bc", "de"]:
        await guard(f)
    assert out == ["ab", "c", "de"] and not guard.diverged
    guard.new_attempt()
    await guard("x")
    await guard("abcdefg")
    assert out == ["ab", "c", "de"] and guard.diverged


async def test_chat_streamer_sends_the_full_answer_when_the_streamed_part_was_wrong() -> None:
    got: list[str] = []
    s = Streamer(got.append)
    await s.live("The function adds")
    await s.finish("It multiplies them.")
    text = "".join(got)
    assert text.startswith("The function adds") and text.endswith("It multiplies them.")
    assert "stream broke" in text
