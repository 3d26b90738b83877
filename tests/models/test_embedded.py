"""The embedded llama.cpp backend. Tests marked `model` drive the real bundled 0.5B model (temp 0, a few
tokens each, one load shared by the module); the rest need only xllamacpp."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("xllamacpp")

from cadre_lsp.config.schema import EndpointConfig
from cadre_lsp.models.base import BadResponse, ChatBackend, ModelNotFound
from cadre_lsp.models.bundled import model_status
from cadre_lsp.models.embedded import EmbeddedBackend, SlotGate, loaded_models

MODEL = "qwen2.5-coder-0.5b"
SERVER_DIR = Path(__file__).resolve().parents[2] / "server"


def _model_available() -> bool:
    s = model_status(MODEL)
    return bool(s["cached"] or s["parts_installed"])


needs_model = [
    pytest.mark.model,
    pytest.mark.skipif(not _model_available(), reason=f"bundled {MODEL} not installed"),
]


def cfg(**kw: object) -> EndpointConfig:
    return EndpointConfig(kind="embedded", model=kw.pop("model", MODEL), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[EmbeddedBackend, EmbeddedBackend]]:
    """Two endpoints naming the same model: one load serves both and the whole module."""
    a, b = EmbeddedBackend("emb-a", cfg()), EmbeddedBackend("emb-b", cfg(n_ctx=2048))
    asyncio.run(a.load())
    yield a, b
    asyncio.run(a.aclose())
    asyncio.run(b.aclose())


@pytest.fixture
def emb(pair: tuple[EmbeddedBackend, EmbeddedBackend]) -> EmbeddedBackend:
    return pair[0]


def wait_until(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    ready = threading.Event()
    for _ in range(int(timeout * 1000)):
        if cond():
            return
        ready.wait(0.001)
    raise AssertionError("condition not reached")


def waiting_is(gate: SlotGate, n: int) -> Callable[[], bool]:
    return lambda: gate.waiting == n


COUNT = [{"role": "user", "content": "Count from 1 to 100, separated by commas."}]


# --- without a model ---------------------------------------------------------------------------------


def test_backend_satisfies_the_protocol() -> None:
    b = EmbeddedBackend("x", cfg(model="/nonexistent/m.gguf"))
    assert isinstance(b, ChatBackend)
    asyncio.run(b.aclose())


async def test_missing_gguf_file_is_model_not_found() -> None:
    b = EmbeddedBackend("x", cfg(model="/nonexistent/m.gguf"))
    with pytest.raises(ModelNotFound) as info:
        await b.chat([{"role": "user", "content": "hi"}], max_tokens=1)
    assert info.value.endpoint == "x"
    h = await b.health(probe=True)
    assert not h.ok and not h.model_present and "not found" in h.hint
    await b.aclose()


async def test_file_that_is_not_a_gguf_is_model_not_found(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(4096))
    b = EmbeddedBackend("x", cfg(model=str(bad)))
    with pytest.raises(ModelNotFound, match="GGUF"):
        await b.chat([{"role": "user", "content": "hi"}], max_tokens=1)
    await b.aclose()


async def test_unknown_model_name_is_model_not_found() -> None:
    b = EmbeddedBackend("x", cfg(model="no-such-model"))
    with pytest.raises(ModelNotFound, match="qwen2"):
        await b.chat([{"role": "user", "content": "hi"}], max_tokens=1)
    await b.aclose()


def test_slots_are_first_come_first_served_and_cancellable() -> None:
    slots = SlotGate(1)
    never = threading.Event()
    assert slots.acquire(never)
    order: list[str] = []
    cancel_b = threading.Event()

    def waiter(name: str, cancel: threading.Event) -> None:
        if slots.acquire(cancel):
            order.append(name)
            slots.release()
        else:
            order.append(f"{name} gave up")

    threads = []
    for name, ev in (("a", never), ("b", cancel_b), ("c", never)):
        t = threading.Thread(target=waiter, args=(name, ev))
        t.start()
        threads.append(t)
        wait_until(waiting_is(slots, len(threads)))  # queued in this order
    cancel_b.set()
    slots.wake()
    threads[1].join(timeout=5)
    assert order == ["b gave up"]
    slots.release()
    for t in threads:
        t.join(timeout=5)
    assert order == ["b gave up", "a", "c"]


# --- with the real model -----------------------------------------------------------------------------


class TestWithModel:
    pytestmark = needs_model

    async def test_chat_returns_text_and_usage(self, emb: EmbeddedBackend) -> None:
        c = await emb.chat([{"role": "user", "content": "Say hello."}], temperature=0.0, max_tokens=16)
        assert c.text.strip()
        assert c.endpoint == "emb-a" and c.model == MODEL
        assert 0 < c.usage.completion_tokens <= 16
        assert c.usage.prompt_tokens > c.usage.completion_tokens
        assert c.finish_reason in ("stop", "length")
        assert c.timings.tokens_per_s and c.timings.first_token_s is not None

    async def test_tokens_stream_to_on_token(self, emb: EmbeddedBackend) -> None:
        seen: list[str] = []

        async def on_token(fragment: str) -> None:
            seen.append(fragment)

        c = await emb.chat(COUNT, temperature=0.0, max_tokens=12, on_token=on_token)
        assert len(seen) > 3
        assert "".join(seen) == c.text
        assert c.finish_reason == "length"

    async def test_json_schema_output_parses_and_fits(self, emb: EmbeddedBackend) -> None:
        schema = {
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
            "required": ["name", "age"],
            "additionalProperties": False,
        }
        c = await emb.chat([{"role": "user", "content": "Invent a person. Reply in JSON."}], schema=schema,
                           temperature=0.0, max_tokens=32)
        data = json.loads(c.text)
        assert set(data) == {"name", "age"}
        assert isinstance(data["name"], str) and len(data["name"]) <= 12
        assert isinstance(data["age"], int)

    async def test_stop_strings_end_the_answer(self, emb: EmbeddedBackend) -> None:
        c = await emb.chat(COUNT, temperature=0.0, max_tokens=16, stop=[","])
        assert c.text.strip() and "," not in c.text
        assert c.finish_reason == "stop" and c.usage.completion_tokens < 16

    async def test_tools_reach_the_prompt_and_the_reply_is_text(self, emb: EmbeddedBackend) -> None:
        read = {"type": "function", "function": {
            "name": "Read", "description": "Read a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}
        c = await emb.chat([{"role": "user", "content": "Read the file a.py."}], tools=[read], temperature=0.0,
                           max_tokens=32)
        # The chat template showed the model the tool (it names it); xllamacpp parses no native call.
        assert "Read" in c.text
        assert all(set(tc) == {"name", "arguments"} for tc in c.tool_calls)

    async def test_cancel_stops_generation_within_a_few_tokens(self, emb: EmbeddedBackend) -> None:
        seen: list[str] = []
        three = asyncio.Event()

        def on_token(fragment: str) -> None:
            seen.append(fragment)
            if len(seen) == 3:
                three.set()

        stats = emb.shared.stats
        chunks0, cancelled0 = stats["chunks"], stats["cancelled"]
        task = asyncio.create_task(emb.chat(COUNT, temperature=0.0, max_tokens=200, on_token=on_token))
        await three.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The next request on the model waits for the cancelled one to give its slot back.
        after: list[str] = []
        await emb.chat([{"role": "user", "content": "Hi"}], temperature=0.0, max_tokens=1, on_token=after.append)
        generated = stats["chunks"] - chunks0 - len(after)
        assert stats["cancelled"] == cancelled0 + 1
        assert 3 <= generated <= 3 + 5, f"{generated} fragments streamed for a request cancelled after 3"
        assert len(seen) == 3  # nothing reaches on_token after the cancel

    async def test_cancel_during_a_long_prompt_stops_its_evaluation(self, emb: EmbeddedBackend) -> None:
        numbers = "\n".join(f"item {i}: weight = {i * 13 % 97}" for i in range(60))
        long = [{"role": "user", "content": numbers + "\nWhich item is heaviest?"}]
        stats = emb.shared.stats
        requests0, cancelled0 = stats["requests"], stats["cancelled"]
        task = asyncio.create_task(emb.chat(long, temperature=0.0, max_tokens=4))
        await asyncio.to_thread(wait_until, lambda: stats["requests"] == requests0 + 1)  # evaluating
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        again = await emb.chat(long, temperature=0.0, max_tokens=1)
        assert stats["cancelled"] == cancelled0 + 1
        # Only the batches evaluated before the cancel are in the KV cache: the rest was never computed.
        assert again.usage.prompt_tokens > 600
        assert again.usage.cached_tokens <= again.usage.prompt_tokens - 256

    async def test_request_cancelled_while_queued_never_runs(self, emb: EmbeddedBackend) -> None:
        requests0 = emb.shared.stats["requests"]
        running = asyncio.Event()
        first = asyncio.create_task(emb.chat(COUNT, temperature=0.0, max_tokens=16,
                                             on_token=lambda _: running.set()))
        await running.wait()
        started = asyncio.Event()
        queued = asyncio.create_task(emb.chat(COUNT, temperature=0.0, max_tokens=16,
                                              on_token=lambda _: started.set()))
        slots = emb.shared.slots
        assert slots is not None
        await asyncio.to_thread(wait_until, waiting_is(slots, 1))  # its worker waits for the slot
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        await first
        await emb.chat([{"role": "user", "content": "Hi"}], temperature=0.0, max_tokens=1)
        assert emb.shared.stats["requests"] == requests0 + 2
        assert not started.is_set()

    async def test_endpoints_naming_one_model_share_one_server(
            self, pair: tuple[EmbeddedBackend, EmbeddedBackend]) -> None:
        a, b = pair
        c = await b.chat([{"role": "user", "content": "Say hi."}], temperature=0.0, max_tokens=4)
        assert c.endpoint == "emb-b"
        assert a.shared is b.shared and a.shared.server is not None
        entry = loaded_models()[a.shared.key]
        assert entry["endpoints"] >= 2 and entry["loaded"]
        assert entry["n_ctx"] == 4096  # the larger of the two endpoints' n_ctx

    async def test_shared_prefix_comes_from_the_kv_cache(self, emb: EmbeddedBackend) -> None:
        listing = "\n".join(f"def f{i}(x):\n    return x * {i} + {i % 7}\n" for i in range(25))
        system = {"role": "system", "content": "You explain Python code tersely.\n\n" + listing}
        await emb.chat([system, {"role": "user", "content": "What does f3 return?"}], temperature=0.0,
                       max_tokens=1)
        c = await emb.chat([system, {"role": "user", "content": "What does f4 return?"}], temperature=0.0,
                           max_tokens=1)
        assert c.usage.prompt_tokens > 300
        assert c.usage.cached_tokens / c.usage.prompt_tokens >= 0.9

    async def test_invalid_schema_is_bad_response(self, emb: EmbeddedBackend) -> None:
        with pytest.raises(BadResponse) as info:
            await emb.chat([{"role": "user", "content": "hi"}], schema={"type": "frob"}, max_tokens=4)
        assert not info.value.transient and info.value.endpoint == "emb-a"

    async def test_health_probe_reports_speed(self, emb: EmbeddedBackend) -> None:
        plain = await emb.health()
        assert plain.ok and plain.model_present and "loaded" in plain.detail
        h = await emb.health(probe=True)
        assert h.ok and h.probe_s is not None and h.tokens_per_s and h.tokens_per_s > 0


@pytest.mark.model
@pytest.mark.skipif(not _model_available(), reason=f"bundled {MODEL} not installed")
def test_stdout_stays_empty_and_exit_mid_generation_is_clean() -> None:
    """The LSP speaks on stdout, so llama.cpp must print nothing there; and a server that exits while
    a model is still generating (no task cancelled, loop left open) must exit 0, not crash."""
    script = textwrap.dedent(f"""
        import asyncio, json, sys
        from cadre_lsp.config.schema import EndpointConfig
        from cadre_lsp.models.embedded import EmbeddedBackend

        async def main():
            b = EmbeddedBackend("e", EndpointConfig(kind="embedded", model={MODEL!r}))
            tokens = []
            c = await b.chat([{{"role": "user", "content": "Say hello."}}], temperature=0.0, max_tokens=8,
                             on_token=tokens.append)
            s = await b.chat([{{"role": "user", "content": "A JSON object"}}], max_tokens=8,
                             schema={{"type": "object"}})
            await b.health(probe=True)
            sys.stderr.write("RESULT " + json.dumps([c.text, len(tokens), s.text]) + "\\n")
            first = asyncio.Event()
            asyncio.ensure_future(b.chat([{{"role": "user", "content": "Count to 500."}}], max_tokens=400,
                                         on_token=lambda _: first.set()))
            await first.wait()

        loop = asyncio.new_event_loop()
        loop.run_until_complete(main())
        sys.stderr.write("EXITING\\n")
    """)
    env = {**os.environ, "PYTHONPATH": str(SERVER_DIR)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=300)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, err[-2000:]
    assert "RESULT" in err and "EXITING" in err
    assert proc.stdout == b""
