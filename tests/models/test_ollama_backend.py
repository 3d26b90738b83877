"""OllamaBackend through the real `ollama` client against the fake Ollama server."""

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
from cadre_lsp.models.ollama_backend import OllamaBackend
from fakes.backend_checks import check_cancel_closes_stream, free_port
from fakes.ollama_server import FakeOllama, Reply

MODEL = "qwen2.5-coder:1.5b"
USER = [{"role": "user", "content": "explain this function please"}]


def make(url: str, **kw) -> OllamaBackend:
    return OllamaBackend("local", EndpointConfig(kind="ollama", model=kw.pop("model", MODEL), base_url=url, **kw))


@pytest.fixture
def srv() -> Iterator[FakeOllama]:
    with FakeOllama(models=[MODEL]) as s:
        yield s


@pytest.fixture
async def backend(srv: FakeOllama) -> AsyncIterator[OllamaBackend]:
    b = make(srv.url, keep_alive="10m", options={"num_ctx": 8192})
    yield b
    await b.aclose()


def test_is_a_chat_backend(srv: FakeOllama) -> None:
    assert isinstance(make(srv.url), ChatBackend)


async def test_plain_chat_fills_text_usage_and_timings(srv: FakeOllama, backend: OllamaBackend) -> None:
    srv.push(Reply("The function adds two numbers."))
    c = await backend.chat(USER, max_tokens=64, temperature=0.1, stop=["\n\n"])
    assert c.text == "The function adds two numbers."
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (4, 5)
    assert c.timings.tokens_per_s == pytest.approx(50.0)  # eval_count / eval_duration, the server's own clock
    assert c.timings.total_s > 0
    assert (c.model, c.endpoint, c.finish_reason) == (MODEL, "local", "stop")
    body = srv.chat_requests()[-1].body
    assert body["stream"] is False
    assert body["keep_alive"] == "10m"
    assert body["options"] == {"num_ctx": 8192, "temperature": 0.1, "num_predict": 64, "stop": ["\n\n"]}


async def test_streams_fragments_to_sync_and_async_callbacks(srv: FakeOllama, backend: OllamaBackend) -> None:
    srv.push(Reply("one two three"), Reply("four five"))
    seen: list[str] = []
    c = await backend.chat(USER, on_token=seen.append)
    assert seen == ["one", " two", " three"]
    assert c.text == "one two three"
    assert c.timings.first_token_s is not None
    assert c.usage.completion_tokens == 3
    assert srv.chat_requests()[-1].body["stream"] is True

    async def collect(piece: str) -> None:
        await asyncio.sleep(0)
        seen.append(piece)

    seen.clear()
    c = await backend.chat(USER, on_token=collect)
    assert (seen, c.text) == (["four", " five"], "four five")


async def test_schema_goes_out_as_format(srv: FakeOllama, backend: OllamaBackend) -> None:
    schema = {"type": "object", "properties": {"verdict": {"enum": ["PASS", "FAIL"]}}, "required": ["verdict"]}
    srv.push(Reply('{"verdict": "PASS"}'))
    c = await backend.chat(USER, schema=schema)
    assert c.text == '{"verdict": "PASS"}'
    assert srv.chat_requests()[-1].body["format"] == schema


@pytest.mark.parametrize("stream", [False, True])
async def test_native_tool_calls(srv: FakeOllama, backend: OllamaBackend, stream: bool) -> None:
    tools = [{"type": "function", "function": {"name": "Edit", "description": "edit a file", "parameters": {
        "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}]
    srv.push(Reply("", tool_calls=[{"name": "Edit", "arguments": {"path": "a.py", "old_string": "x"}}]))
    c = await backend.chat(USER, tools=tools, on_token=(lambda _: None) if stream else None)
    assert c.tool_calls == [{"name": "Edit", "arguments": {"path": "a.py", "old_string": "x"}}]
    assert srv.chat_requests()[-1].body["tools"][0]["function"]["name"] == "Edit"


async def test_openai_style_history_is_translated(srv: FakeOllama, backend: OllamaBackend) -> None:
    history = [*USER,
               {"role": "assistant", "content": None, "tool_calls": [
                   {"id": "c1", "type": "function", "function": {"name": "Read", "arguments": '{"path": "a.py"}'}}]},
               {"role": "tool", "tool_call_id": "c1", "content": "print(1)"}]
    await backend.chat(history)
    sent = srv.chat_requests()[-1].body["messages"]
    assert sent[1]["tool_calls"] == [{"function": {"name": "Read", "arguments": {"path": "a.py"}}}]
    assert sent[2]["tool_name"] == "Read"


async def test_missing_model_says_how_to_pull_it(srv: FakeOllama) -> None:
    b = make(srv.url, model="llama3")
    with pytest.raises(ModelNotFound) as ei:
        await b.chat(USER)
    assert "ollama pull llama3" in str(ei.value)
    assert not ei.value.transient
    with pytest.raises(ModelNotFound):
        await b.chat(USER, on_token=lambda _: None)


@pytest.mark.parametrize("stream", [False, True])
async def test_http_500_is_a_transient_bad_response(srv: FakeOllama, backend: OllamaBackend,
                                                    stream: bool) -> None:
    srv.push(Reply(status=500, error="llama runner process has terminated"))
    with pytest.raises(BadResponse) as ei:
        await backend.chat(USER, on_token=(lambda _: None) if stream else None)
    assert ei.value.transient
    assert "500" in str(ei.value) and "llama runner" in str(ei.value)


async def test_stream_dying_midway_is_a_transient_bad_response(srv: FakeOllama,
                                                               backend: OllamaBackend) -> None:
    srv.push(Reply("alpha beta gamma delta", die_after=2))
    seen: list[str] = []
    with pytest.raises(BadResponse) as ei:
        await backend.chat(USER, on_token=seen.append)
    assert ei.value.transient
    assert seen == ["alpha", " beta"]
    assert "10 chars" in str(ei.value)
    assert ei.value.partial_text == "alpha beta"  # type: ignore[attr-defined]


async def test_unreachable_server_is_backend_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    b = make(url)
    for on_token in (None, lambda _: None):
        with pytest.raises(BackendUnavailable) as ei:
            await b.chat(USER, on_token=on_token)
        assert f"is `ollama serve` running at {url}?" in str(ei.value)
        assert ei.value.transient


async def test_slow_answer_times_out(srv: FakeOllama) -> None:
    srv.push(Reply("late", delay_s=5.0))
    b = make(srv.url, timeout_s=0.3)
    with pytest.raises(ModelTimeout):
        await b.chat(USER)


async def test_cancelling_the_task_closes_the_stream(srv: FakeOllama, backend: OllamaBackend) -> None:
    await check_cancel_closes_stream(srv, backend, USER)


async def test_health_ok_and_probe(srv: FakeOllama, backend: OllamaBackend) -> None:
    h = await backend.health()
    assert (h.ok, h.reachable, h.model_present) == (True, True, True)
    assert h.probe_s is None
    h = await backend.health(probe=True)
    assert h.ok and h.probe_s is not None and h.tokens_per_s == pytest.approx(50.0)
    assert srv.chat_requests()[-1].body["options"]["num_predict"] == 1


async def test_health_reports_a_model_not_pulled(srv: FakeOllama) -> None:
    h = await make(srv.url, model="llama3").health()
    assert (h.ok, h.reachable, h.model_present) == (False, True, False)
    assert "model llama3 not pulled" in h.detail
    assert h.hint == "run `ollama pull llama3`"


async def test_health_of_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    h = await make(url).health(probe=True)
    assert (h.ok, h.reachable, h.model_present) == (False, False, False)
    assert url in h.hint and "ollama serve" in h.hint


async def test_api_key_and_v1_suffix(srv: FakeOllama) -> None:
    b = make(srv.url + "/v1", api_key="secret")
    assert b.url == srv.url
    await b.chat(USER)
    assert srv.chat_requests()[-1].headers["authorization"] == "Bearer secret"
