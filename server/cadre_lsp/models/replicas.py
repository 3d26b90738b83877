"""Replicas: one openai/ollama endpoint served by several machines (`base_urls`), e.g. llama.cpp servers or
vLLM on several GPU boxes, so a team's load spreads over them and one going down loses no call.

Each call goes to the healthy replica with the fewest calls in flight (ties: the one used least recently,
so concurrent competitors of `compete` land on different replicas). A replica whose call fails with a
connection error, a timeout or a 5xx before any token was streamed is taken out and the call moves on to
the next replica at once; the taken-out one is probed (its /models, or a one-token call) after a backoff
of 2 s doubling up to 60 s, and comes back when the probe answers. A failure that another replica cannot
fix (HTTP 400, a bad API key, a missing model) is raised as is. A stream that broke after tokens went out
is not moved (the role pool retries it, replaying only what is new).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import attrs

from ..config.schema import EndpointConfig
from .base import (
    BackendUnavailable,
    ChatBackend,
    Completion,
    Health,
    Message,
    ModelError,
    TokenCallback,
)

PROBE_FIRST_S = 2.0
PROBE_MAX_S = 60.0


class Replica:
    """One base URL of a replicated endpoint, with its own backend and health record."""

    def __init__(self, url: str, backend: ChatBackend) -> None:
        self.url = url
        self.backend = backend
        self.in_flight = 0
        self.calls = 0
        self.failures = 0
        self.healthy = True
        self.last_error = ""
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.backoff_s = PROBE_FIRST_S
        self.last_pick = 0.0
        self.probing: asyncio.Task[None] | None = None

    def take_out(self, err: ModelError) -> None:
        now = time.monotonic()
        if self.healthy:
            self.healthy, self.down_since, self.backoff_s = False, now, PROBE_FIRST_S
        else:
            self.backoff_s = min(PROBE_MAX_S, self.backoff_s * 2)
        self.retry_at = now + self.backoff_s
        self.last_error = str(err)

    def bring_back(self) -> None:
        self.healthy, self.down_since, self.backoff_s, self.last_error = True, None, PROBE_FIRST_S, ""

    def state(self) -> dict[str, Any]:
        return {"url": self.url, "healthy": self.healthy, "in_flight": self.in_flight, "calls": self.calls,
                "failures": self.failures, "last_error": self.last_error[:200] or None,
                "down_s": round(time.monotonic() - self.down_since, 1) if self.down_since else None}


def _moves(err: ModelError) -> bool:
    """Would another replica likely answer? Connection errors, timeouts, 5xx/429: yes; 4xx, a missing
    model, a bad key: no, every replica of one model would say the same."""
    return err.transient and getattr(err, "partial_text", None) in (None, "")


class ReplicaBackend:
    """A ChatBackend over several replicas of one model; see the module docstring."""

    def __init__(self, name: str, cfg: EndpointConfig, make: Callable[[str, EndpointConfig], ChatBackend]) -> None:
        if not cfg.base_urls:
            raise ModelError(f"endpoint {name!r}: no replicas (base_urls is empty)", endpoint=name)
        self.name = name
        self.model = cfg.model
        self.cfg = cfg
        self.replicas = [Replica(url, make(name, attrs.evolve(cfg, base_url=url, base_urls=[])))
                         for url in cfg.base_urls]

    # -- choosing ----------------------------------------------------------------------------------
    def _pick(self, tried: set[int]) -> Replica | None:
        """Fewest in flight among healthy replicas not yet tried in this call; ties: least recently used."""
        self._probe_due()
        healthy = [(r.in_flight, r.last_pick, i) for i, r in enumerate(self.replicas) if r.healthy and i not in tried]
        if not healthy:
            # Every replica is out (or tried): try the one whose probe is due soonest rather than fail
            # without asking anyone; a replica back up answers this call.
            rest = [(r.retry_at, i) for i, r in enumerate(self.replicas) if i not in tried]
            if not rest:
                return None
            return self.replicas[min(rest)[1]]
        return self.replicas[min(healthy)[2]]

    def _probe_due(self) -> None:
        now = time.monotonic()
        for r in self.replicas:
            if not r.healthy and now >= r.retry_at and (r.probing is None or r.probing.done()):
                r.probing = asyncio.ensure_future(self._probe(r))

    async def _probe(self, r: Replica) -> None:
        try:
            h = await r.backend.health(probe=False)
        except Exception as exc:  # a probe that raises counts as a failed probe
            h = Health(endpoint=self.name, ok=False, reachable=False, model_present=False, detail=str(exc))
        if h.ok:
            r.bring_back()
        else:
            r.take_out(BackendUnavailable(h.detail or "probe failed", endpoint=self.name))

    # -- calls -------------------------------------------------------------------------------------
    async def chat(self, messages: list[Message], *, tools: list[dict[str, Any]] | None = None,
                   schema: dict[str, Any] | None = None, max_tokens: int = 512, temperature: float = 0.2,
                   stop: list[str] | None = None, on_token: TokenCallback | None = None) -> Completion:
        tried: set[int] = set()
        failures: list[str] = []
        while True:
            r = self._pick(tried)
            if r is None:
                raise BackendUnavailable(f"endpoint {self.name!r}: every replica failed ({'; '.join(failures)})",
                                         endpoint=self.name)
            tried.add(self.replicas.index(r))
            r.in_flight += 1
            r.last_pick = time.monotonic()
            r.calls += 1
            new_attempt = getattr(on_token, "new_attempt", None)
            if new_attempt is not None and failures:
                new_attempt()  # the pool's replay guard: a moved call starts its stream afresh
            try:
                out = await r.backend.chat(messages, tools=tools, schema=schema, max_tokens=max_tokens,
                                           temperature=temperature, stop=stop, on_token=on_token)
            except ModelError as exc:
                r.failures += 1
                if not _moves(exc):
                    raise
                r.take_out(exc)
                failures.append(f"{r.url}: {exc}")
                continue
            finally:
                r.in_flight -= 1
            if not r.healthy:
                r.bring_back()  # it answered: in again without waiting for the probe
            out.endpoint = self.name
            return out

    # -- reporting -----------------------------------------------------------------------------------
    def state(self) -> list[dict[str, Any]]:
        return [r.state() for r in self.replicas]

    async def health(self, probe: bool = False) -> Health:
        """OK when any replica is; the detail names each one."""
        results = await asyncio.gather(*(r.backend.health(probe=probe) for r in self.replicas),
                                       return_exceptions=True)
        parts = []
        ok_any, probe_s, tps = False, None, None
        for r, h in zip(self.replicas, results):
            if isinstance(h, BaseException):
                h = Health(endpoint=self.name, ok=False, reachable=False, model_present=False, detail=str(h))
            if h.ok:
                ok_any = True
                probe_s = probe_s if probe_s is not None else h.probe_s
                tps = tps or h.tokens_per_s
                if not r.healthy:
                    r.bring_back()
            elif r.healthy:
                r.take_out(BackendUnavailable(h.detail or "health check failed", endpoint=self.name))
            parts.append(f"{r.url}: {'up' if h.ok else 'DOWN'}")
        up = sum(r.healthy for r in self.replicas)
        return Health(endpoint=self.name, ok=ok_any, reachable=ok_any, model_present=ok_any,
                      detail=f"{up}/{len(self.replicas)} replicas up ({', '.join(parts)})",
                      hint="" if ok_any else "no replica answers; are the servers running?",
                      probe_s=probe_s, tokens_per_s=tps)

    async def aclose(self) -> None:
        for r in self.replicas:
            if r.probing is not None:
                r.probing.cancel()
            await r.backend.aclose()
