"""Retries wait with full jitter and honour a 429/503's Retry-After (against the local OpenAI fake)."""

from __future__ import annotations

import time
from email.utils import formatdate
from types import SimpleNamespace

import pytest

from cadre_lsp.config.schema import Config, EndpointConfig
from cadre_lsp.models.backoff import MAX_DELAY_S, parse_retry_after, retry_after_of, retry_delay
from cadre_lsp.models.pool import ModelPool
from fakes.openai_server import FakeOpenAI, Reply


def test_full_jitter_spans_zero_to_the_exponential_ceiling() -> None:
    assert retry_delay(1, 0.5, rand=lambda: 0.0) == 0.0
    assert retry_delay(1, 0.5, rand=lambda: 0.999999) == pytest.approx(0.5, rel=1e-5)
    assert retry_delay(3, 0.5, rand=lambda: 0.5) == pytest.approx(1.0)
    assert retry_delay(20, 0.5, rand=lambda: 1.0) == MAX_DELAY_S
    draws = {round(retry_delay(4, 1.0), 3) for _ in range(50)}
    assert len(draws) > 10 and all(0 <= d <= 8 for d in draws)  # spread out, not one synchronised value


def test_retry_after_is_a_floor_and_capped() -> None:
    assert retry_delay(1, 0.1, retry_after=2.0, rand=lambda: 0.5) == 2.0
    assert retry_delay(1, 0.1, retry_after=3600.0) == MAX_DELAY_S


@pytest.mark.parametrize(("value", "seconds"), [
    ("2", 2.0), (" 0 ", 0.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None), ("", None), (None, None), ("nan", None),
])
def test_parse_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 7, usegmt=True), now=now) == pytest.approx(7.0)
    assert parse_retry_after(formatdate(now - 60, usegmt=True), now=now) == 0.0


def _pool(url: str, *, retries: int, backoff_s: float) -> ModelPool:
    ep = EndpointConfig(kind="openai", model="m", base_url=url, retries=retries, backoff_s=backoff_s, timeout_s=20)
    cfg = Config()
    cfg.endpoints = {"fake": ep}
    cfg.roles = {role: ["fake"] for role in cfg.roles} | {"coding": ["fake"]}
    return ModelPool(cfg)


@pytest.mark.parametrize(("status", "header"), [(429, "1"), (503, None)])
async def test_a_429_retry_after_is_waited_for_then_the_call_succeeds(status: int, header: str | None) -> None:
    when = header if header is not None else formatdate(time.time() + 2, usegmt=True)
    with FakeOpenAI([Reply(status=status, error="slow down", error_headers={"Retry-After": when}),
                     Reply("hello")]) as srv:
        pool = _pool(srv.url, retries=1, backoff_s=0.01)
        try:
            t0 = time.monotonic()
            result = await pool.chat("coding", [{"role": "user", "content": "hi"}])
            waited = time.monotonic() - t0
        finally:
            await pool.aclose()
    assert result.text == "hello"
    assert waited >= 0.9, f"Retry-After ignored: retried after {waited:.2f}s"
    assert waited < 10


async def test_without_retry_after_the_wait_is_jittered_backoff() -> None:
    with FakeOpenAI([Reply(status=500), Reply("hello")]) as srv:
        pool = _pool(srv.url, retries=1, backoff_s=0.2)
        try:
            t0 = time.monotonic()
            result = await pool.chat("coding", [{"role": "user", "content": "hi"}])
            waited = time.monotonic() - t0
        finally:
            await pool.aclose()
    assert result.text == "hello" and waited < 5


def test_retry_after_is_found_through_the_exception_chain() -> None:
    class HTTPError(Exception):
        response = SimpleNamespace(headers={"retry-after": "4"})

    try:
        try:
            raise HTTPError("429")
        except HTTPError as exc:
            raise RuntimeError("mapped") from exc
    except RuntimeError as mapped:
        assert retry_after_of(mapped) == 4.0
    assert retry_after_of(ValueError("no http")) is None
