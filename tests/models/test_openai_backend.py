"""OpenAIBackend through the real `openai` client against the fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from cadre_lsp.config.schema import EndpointConfig
from cadre_lsp.models.base import (
    BackendUnavailable,
    BadResponse,
    ChatBackend,
    ModelNotFound,
    ModelTimeout,
)
from cadre_lsp.models.openai_backend import OpenAIBackend
from fakes.backend_checks import check_cancel_closes_stream, free_port
from fakes.openai_server import FakeOpenAI, Reply

MODEL = "qwen2.5-coder-7b"
USER = [{"role": "user", "content": "explain this function please"}]


def make(url: str, **kw) -> OpenAIBackend:
    return OpenAIBackend("local", EndpointConfig(kind="openai", model=kw.pop("model", MODEL), base_url=url, **kw))


@pytest.fixture
def srv() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(models=[MODEL]) as s:
        yield s


@pytest.fixture
async def backend(srv: FakeOpenAI) -> AsyncIterator[OpenAIBackend]:
    b = make(srv.url, options={"top_k": 20})
    yield b
    await b.aclose()


def test_is_a_chat_backend(srv: FakeOpenAI) -> None:
    assert isinstance(make(srv.url), ChatBackend)


async def test_plain_chat_fills_text_and_usage(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    srv.push(Reply("The function adds two numbers.", cached_tokens=3))
    c = await backend.chat(USER, max_tokens=64, temperature=0.1, stop=["\n\n"])
    assert c.text == "The function adds two numbers."
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cached_tokens) == (4, 5, 3)
    assert c.timings.total_s > 0 and c.timings.tokens_per_s is not None
    assert (c.model, c.endpoint, c.finish_reason) == (MODEL, "local", "stop")
    rec = srv.chat_requests()[-1]
    body = rec.body
    assert "stream" not in body
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (64, 0.1, ["\n\n"])
    assert body["top_k"] == 20  # cfg.options travel as extra_body
    assert rec.headers["authorization"] == "Bearer sk-no-key"
    assert rec.headers.get("x-stainless-retry-count", "0") == "0"


async def test_streams_fragments_and_reads_the_usage_chunk(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    srv.push(Reply("one two three", cached_tokens=2))
    seen: list[str] = []
    c = await backend.chat(USER, on_token=seen.append)
    assert seen == ["one", " two", " three"]
    assert c.text == "one two three"
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cached_tokens) == (4, 3, 2)
    assert c.timings.first_token_s is not None
    assert c.finish_reason == "stop"
    body = srv.chat_requests()[-1].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_async_callback(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    srv.push(Reply("four five"))
    seen: list[str] = []

    async def collect(piece: str) -> None:
        await asyncio.sleep(0)
        seen.append(piece)

    c = await backend.chat(USER, on_token=collect)
    assert (seen, c.text) == (["four", " five"], "four five")


@pytest.mark.parametrize("stream", [False, True])
async def test_llama_cpp_timings_are_used(srv: FakeOpenAI, backend: OpenAIBackend, stream: bool) -> None:
    timings = {"cache_n": 40, "prompt_n": 9, "prompt_per_second": 300.0, "predicted_per_second": 21.5}
    srv.push(Reply("a b", extra={"timings": timings}))
    c = await backend.chat(USER, on_token=(lambda _: None) if stream else None)
    assert c.usage.cached_tokens == 40
    assert c.timings.tokens_per_s == 21.5
    assert c.timings.prompt_tokens_per_s == 300.0


async def test_schema_goes_out_as_strict_response_format(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    schema = {"type": "object", "properties": {"verdict": {"enum": ["PASS", "FAIL"]}}, "required": ["verdict"]}
    srv.push(Reply('{"verdict": "PASS"}'))
    c = await backend.chat(USER, schema=schema)
    assert c.text == '{"verdict": "PASS"}'
    assert srv.chat_requests()[-1].body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": True}}


@pytest.mark.parametrize("stream", [False, True])
async def test_native_tool_calls(srv: FakeOpenAI, backend: OpenAIBackend, stream: bool) -> None:
    tools = [{"type": "function", "function": {"name": "Edit", "description": "edit a file", "parameters": {
        "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}]
    srv.push(Reply("", tool_calls=[{"name": "Edit", "arguments": {"path": "a.py", "old_string": "x"}},
                                   {"name": "Read", "arguments": "not json"}]))
    c = await backend.chat(USER, tools=tools, on_token=(lambda _: None) if stream else None)
    assert c.tool_calls == [{"name": "Edit", "arguments": {"path": "a.py", "old_string": "x"}},
                            {"name": "Read", "arguments": "not json"}]
    assert c.finish_reason == "tool_calls"
    assert srv.chat_requests()[-1].body["tools"] == tools


async def test_unknown_model_is_model_not_found(srv: FakeOpenAI) -> None:
    b = make(srv.url, model="gpt-9")
    for on_token in (None, lambda _: None):
        with pytest.raises(ModelNotFound) as ei:
            await b.chat(USER, on_token=on_token)
        assert "gpt-9" in str(ei.value) and not ei.value.transient


@pytest.mark.parametrize("stream", [False, True])
async def test_http_500_is_a_transient_bad_response(srv: FakeOpenAI, backend: OpenAIBackend, stream: bool) -> None:
    srv.push(Reply(status=500, error="slot unavailable"))
    with pytest.raises(BadResponse) as ei:
        await backend.chat(USER, on_token=(lambda _: None) if stream else None)
    assert ei.value.transient
    assert "500" in str(ei.value) and "slot unavailable" in str(ei.value)
    assert len(srv.chat_requests()) == 1  # the client's own retries are off


async def test_bad_request_is_not_transient(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    srv.push(Reply(status=400, error="response_format not supported"))
    with pytest.raises(BadResponse) as ei:
        await backend.chat(USER)
    assert not ei.value.transient


async def test_stream_dying_midway_is_a_transient_bad_response(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    srv.push(Reply("alpha beta gamma delta", die_after=3))  # role chunk, "alpha", " beta", then gone
    seen: list[str] = []
    with pytest.raises(BadResponse) as ei:
        await backend.chat(USER, on_token=seen.append)
    assert ei.value.transient
    assert seen == ["alpha", " beta"]
    assert "10 chars" in str(ei.value)
    assert ei.value.partial_text == "alpha beta"  # type: ignore[attr-defined]


async def test_unreachable_server_is_backend_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    b = make(url)
    for on_token in (None, lambda _: None):
        with pytest.raises(BackendUnavailable) as ei:
            await b.chat(USER, on_token=on_token)
        assert f"is the server running at {url}?" in str(ei.value)
        assert ei.value.transient


@pytest.mark.parametrize("stream", [False, True])
async def test_slow_answer_times_out(srv: FakeOpenAI, stream: bool) -> None:
    srv.push(Reply("late", delay_s=5.0))
    b = make(srv.url, timeout_s=0.3)
    with pytest.raises(ModelTimeout):
        await b.chat(USER, on_token=(lambda _: None) if stream else None)


async def test_cancelling_the_task_closes_the_stream(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    await check_cancel_closes_stream(srv, backend, USER)


async def test_bare_host_gets_v1(srv: FakeOpenAI) -> None:
    b = make(srv.url.removesuffix("/v1"))
    assert b.url == srv.url
    assert (await b.chat(USER)).text == "ok"


async def test_health_ok_from_the_models_list(srv: FakeOpenAI, backend: OpenAIBackend) -> None:
    h = await backend.health()
    assert (h.ok, h.reachable, h.model_present, h.probe_s) == (True, True, True, None)
    assert srv.chat_requests() == []  # listing was enough
    h = await backend.health(probe=True)
    assert h.ok and h.probe_s is not None
    assert srv.chat_requests()[-1].body["max_tokens"] == 1


async def test_health_missing_model(srv: FakeOpenAI) -> None:
    h = await make(srv.url, model="gpt-9").health()
    assert (h.ok, h.reachable, h.model_present) == (False, True, False)
    assert "gpt-9" in h.hint and MODEL in h.hint


async def test_health_without_a_models_route_probes() -> None:
    with FakeOpenAI(models_route=False) as srv:  # accepts any model, as llama.cpp's server does
        h = await make(srv.url).health()
    assert (h.ok, h.reachable, h.model_present) == (True, True, True)
    assert h.probe_s is not None


async def test_health_of_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    h = await make(url).health(probe=True)
    assert (h.ok, h.reachable, h.model_present) == (False, False, False)
    assert url in h.hint
