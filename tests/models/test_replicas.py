"""Replicas (`base_urls`): least-in-flight choice, a failing replica taken out and probed back in, calls
moved before any token went out. Driven through the real role pool and the real `openai` client against
several fake OpenAI-compatible servers on loopback (each its own HTTP server and port)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadre_lsp.config.loader import ConfigError, dict_layer, structure
from cadre_lsp.config.schema import Config, EndpointConfig
from cadre_lsp.models import replicas as replicas_mod
from cadre_lsp.models.base import BackendUnavailable, BadResponse
from cadre_lsp.models.factory import make_backend
from cadre_lsp.models.pool import ModelPool
from cadre_lsp.models.replicas import ReplicaBackend
from fakes.openai_server import FakeOpenAI, Reply

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def servers() -> Iterator[list[FakeOpenAI]]:
    fakes = [FakeOpenAI(reply_fn=lambda body: Reply("answer from the replica", delay_s=0.02)).start()
             for _ in range(2)]
    yield fakes
    for f in fakes:
        f.close()


def endpoint(urls: list[str], **kw: object) -> EndpointConfig:
    return EndpointConfig(kind="openai", model="m", base_urls=urls, retries=0, **kw)  # type: ignore[arg-type]


def pool_for(ep: EndpointConfig) -> ModelPool:
    return ModelPool(Config(endpoints={"team": ep}, roles={"coding": ["team"]}))


def test_factory_builds_a_replica_backend_per_url(servers: list[FakeOpenAI]) -> None:
    b = make_backend("team", endpoint([s.url for s in servers]))
    assert isinstance(b, ReplicaBackend)
    assert [r.url for r in b.replicas] == [s.url for s in servers]
    asyncio.run(b.aclose())


def test_eight_concurrent_calls_use_both_replicas(servers: list[FakeOpenAI]) -> None:
    pool = pool_for(endpoint([s.url for s in servers]))

    async def run() -> list[str]:
        try:
            outs = await asyncio.gather(*(pool.chat("coding", HELLO) for _ in range(8)))
            return [o.text for o in outs]
        finally:
            await pool.aclose()

    texts = asyncio.run(run())
    assert texts == ["answer from the replica"] * 8
    per_server = [len(s.chat_requests()) for s in servers]
    assert sum(per_server) == 8
    assert min(per_server) >= 3, per_server  # least-in-flight spreads them (4/4 when timing is even)


def test_a_dead_replica_is_taken_out_and_every_call_is_answered(servers: list[FakeOpenAI]) -> None:
    urls = [s.url for s in servers]
    servers[0].close()  # its port now refuses connections
    pool = pool_for(endpoint(urls))

    async def run() -> tuple[list[str], list[dict[str, object]]]:
        try:
            outs = await asyncio.gather(*(pool.chat("coding", HELLO) for _ in range(8)))
            backend = pool.backend("team")
            assert isinstance(backend, ReplicaBackend)
            return [o.text for o in outs], backend.state()
        finally:
            await pool.aclose()

    texts, state = asyncio.run(run())
    assert texts == ["answer from the replica"] * 8
    assert len(servers[1].chat_requests()) == 8
    assert state[0]["healthy"] is False and "cannot connect" in str(state[0]["last_error"])
    assert state[1]["healthy"] is True and state[1]["calls"] == 8


def test_a_replica_is_probed_back_in(servers: list[FakeOpenAI], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replicas_mod, "PROBE_FIRST_S", 0.0)
    servers[0].push(Reply(status=503, error="overloaded"))
    b = make_backend("team", endpoint([s.url for s in servers]))
    assert isinstance(b, ReplicaBackend)

    async def run() -> None:
        try:
            first = await b.chat(HELLO)  # replica 0 answers 503: moved to replica 1, replica 0 out
            assert first.text == "answer from the replica"
            assert b.replicas[0].healthy is False
            for _ in range(200):  # the next pick starts a probe of replica 0 (its /models answers)
                b._pick(set())
                await asyncio.sleep(0.01)
                if b.replicas[0].healthy:
                    break
            assert b.replicas[0].healthy is True
            assert any(r.path.endswith("/models") for r in servers[0].requests)
        finally:
            await b.aclose()

    asyncio.run(run())


def test_an_error_every_replica_would_give_is_not_moved(servers: list[FakeOpenAI]) -> None:
    servers[0].push(Reply(status=400, error="bad request: messages too long"))
    servers[1].push(Reply(status=400, error="bad request: messages too long"))
    b = make_backend("team", endpoint([s.url for s in servers]))

    async def run() -> None:
        try:
            with pytest.raises(BadResponse, match="HTTP 400"):
                await b.chat(HELLO)
        finally:
            await b.aclose()

    asyncio.run(run())
    assert sum(len(s.chat_requests()) for s in servers) == 1


def test_a_stream_that_broke_after_tokens_is_not_moved(servers: list[FakeOpenAI]) -> None:
    servers[0].push(Reply("one two three four", die_after=3))
    b = make_backend("team", endpoint([s.url for s in servers]))
    got: list[str] = []

    async def run() -> None:
        try:
            with pytest.raises(BadResponse, match="stream broke"):
                await b.chat(HELLO, on_token=got.append)
        finally:
            await b.aclose()

    asyncio.run(run())
    assert got and len(servers[1].chat_requests()) == 0  # the pool retries it, replaying only what is new


def test_every_replica_down_is_one_clear_error(tmp_path: Path) -> None:
    dead = [FakeOpenAI().start() for _ in range(2)]
    urls = [d.url for d in dead]
    for d in dead:
        d.close()
    b = make_backend("team", endpoint(urls))

    async def run() -> None:
        try:
            with pytest.raises(BackendUnavailable, match="every replica failed") as info:
                await b.chat(HELLO)
            assert all(u in str(info.value) for u in urls)
            health = await b.health()
            assert not health.ok and "0/2 replicas up" in health.detail
        finally:
            await b.aclose()

    asyncio.run(run())


@pytest.mark.parametrize(("ep", "key"), [
    ({"kind": "embedded", "model": "qwen2.5-coder-0.5b", "base_urls": ["http://a:1"]}, "endpoints.x.base_urls"),
    ({"kind": "openai", "model": "m", "base_url": "http://a:1", "base_urls": ["http://b:1"]}, "endpoints.x.base_urls"),
    ({"kind": "openai", "model": "m", "base_urls": ["http://a:1", "a:2"]}, "endpoints.x.base_urls.1"),
    ({"kind": "embedded", "model": "qwen2.5-coder-0.5b", "keep_alive": "soon"}, "endpoints.x.keep_alive"),
])
def test_bad_replica_config_names_the_key(ep: dict[str, object], key: str) -> None:
    layers = [dict_layer("test.toml", {"endpoints": {"x": ep}, "roles": {"coding": ["x"]}})]
    with pytest.raises(ConfigError, match=key.replace(".", r"\.") + "`"):
        structure(layers)
