"""Roles -> endpoints with concurrency limits, timeouts, retries and fallback chains.

`ModelPool.chat(role, messages)` is the only way the pipeline talks to models: it picks the role's
endpoint chain, waits for a slot, applies the endpoint's timeout, retries transient failures with
backoff, falls back along the chain (then to `fallback_role`), and records stats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ..config.schema import Config, EndpointConfig
from .base import (
    BadResponse,
    ChatBackend,
    Completion,
    Health,
    Message,
    ModelError,
    ModelTimeout,
    TokenCallback,
    UnsupportedFeature,
)
from .factory import make_backend
from .replay import ReplayGuard
from .stats import EndpointStats


class RoleFailed(ModelError):
    """Every endpoint that could serve a role failed; the message lists each failure."""


class ModelPool:
    """Owns the backends of one configuration; backends are created lazily on first use."""

    def __init__(self, config: Config, *,
                 factory: Callable[[str, EndpointConfig], ChatBackend] = make_backend) -> None:
        self.config = config
        self._factory = factory
        self._backends: dict[str, ChatBackend] = {}
        # `concurrency` is per replica: an endpoint with several base_urls serves that many times as many.
        self._slots = {n: asyncio.Semaphore(ep.concurrency * max(1, len(ep.base_urls)))
                       for n, ep in config.endpoints.items()}
        self.stats = {n: EndpointStats() for n in config.endpoints}
        self.active = 0
        """Calls in flight; a retired pool is closed only once this reaches 0."""
        self._idle = asyncio.Event()
        self._idle.set()

    def adopt(self, old: ModelPool) -> None:
        """Share the old pool's backends (loaded models, open connections) for unchanged endpoints,
        so a settings change does not reload a model; they then belong to this pool."""
        for name, backend in list(old._backends.items()):
            if self.config.endpoints.get(name) == old.config.endpoints.get(name):
                self._backends[name] = backend
                self._slots[name] = old._slots[name]
                self.stats[name] = old.stats[name]
                del old._backends[name]

    # -- lookup ---------------------------------------------------------------------------------
    def chain(self, role: str) -> list[str]:
        """Endpoints tried for a role, in order: its own list, then the fallback role's."""
        names = list(self.config.roles.get(role, []))
        fb = self.config.fallback_role
        if fb and fb != role:
            names += [n for n in self.config.roles.get(fb, []) if n not in names]
        if not names:
            raise ModelError(f"role {role!r} has no endpoints (set [roles] {role} = [\"...\"] in the config)")
        return names

    def endpoint(self, name: str) -> EndpointConfig:
        return self.config.endpoints[name]

    def model_for(self, role: str) -> str:
        """The model that would serve a role first (for progress text and status)."""
        try:
            ep = self.config.endpoints[self.chain(role)[0]]
        except ModelError:
            return "?"
        return ep.model or ep.kind

    def backend(self, name: str) -> ChatBackend:
        if name not in self._backends:
            self._backends[name] = self._factory(name, self.config.endpoints[name])
        return self._backends[name]

    # -- calls ------------------------------------------------------------------------------------
    async def chat(self, role: str, messages: list[Message], *, temperature: float | None = None,
                   max_tokens: int | None = None, schema: dict[str, Any] | None = None,
                   tools: list[dict[str, Any]] | None = None, stop: list[str] | None = None,
                   on_token: TokenCallback | None = None, endpoint: str | None = None) -> Completion:
        """Ask a role (or one named endpoint) for a completion, with retries and fallback."""
        names = [endpoint] if endpoint else self.chain(role)
        guard = ReplayGuard(on_token) if on_token is not None else None
        self.active += 1
        self._idle.clear()
        try:
            return await self._chat_chain(role, names, messages, guard, temperature=temperature,
                                          max_tokens=max_tokens, schema=schema, tools=tools, stop=stop)
        finally:
            self.active -= 1
            if not self.active:
                self._idle.set()

    async def _chat_chain(self, role: str, names: list[str], messages: list[Message], guard: ReplayGuard | None,
                          **kw: Any) -> Completion:
        failures: list[str] = []
        last: ModelError | None = None
        for i, name in enumerate(names):
            ep = self.config.endpoints[name]
            try:
                result = await self._call_with_retries(name, ep, messages, guard, **kw)
            except ModelError as exc:
                failures.append(f"{name}: {exc}")
                last = exc
                if i + 1 < len(names):
                    self.stats[name].fallbacks += 1
                continue
            result.fell_back_from = [f.split(":", 1)[0] for f in failures]
            return result
        if len(failures) == 1 and last is not None:
            raise last
        raise RoleFailed(f"{role}: all endpoints failed ({'; '.join(failures)})", endpoint=names[-1])

    async def _call_with_retries(self, name: str, ep: EndpointConfig, messages: list[Message],
                                 guard: ReplayGuard | None, **kw: Any) -> Completion:
        """One endpoint, retried on transient errors; `guard` (the caller's token callback) is told of
        every new attempt so a retried stream is not forwarded twice."""
        stats = self.stats[name]
        temperature = ep.temperature if ep.temperature is not None else kw.pop("temperature")
        kw.pop("temperature", None)
        max_tokens = kw.pop("max_tokens") or self.config.generation.max_tokens
        if ep.max_tokens:
            max_tokens = min(max_tokens, ep.max_tokens)
        if temperature is None:
            temperature = self.config.generation.temperature
        attempt = 0
        while True:
            slot = self._slots[name]
            stats.waiting += 1
            try:
                await slot.acquire()
            finally:
                stats.waiting -= 1
            stats.running += 1
            t0 = time.perf_counter()
            if guard is not None:
                guard.new_attempt()
            try:
                result = await asyncio.wait_for(
                    self.backend(name).chat(messages, temperature=temperature, max_tokens=max_tokens,
                                            on_token=guard, **kw),
                    timeout=ep.timeout_s)
            except asyncio.TimeoutError:
                err: ModelError = ModelTimeout(f"endpoint {name!r} ({ep.model or ep.kind}) timed out after "
                                               f"{ep.timeout_s:g}s", endpoint=name)
            except UnsupportedFeature as exc:
                if kw.get("schema") is None:
                    err = exc
                else:  # e.g. MLX has no constrained decoding: the prompts ask for JSON anyway
                    kw["schema"] = None
                    continue
            except ModelError as exc:
                err = exc
            else:
                if result.text.strip() or result.tool_calls:
                    return self._accept(name, ep, result, time.perf_counter() - t0)
                # A 200 with nothing in it serves no action (explain, edit, verdict): the next endpoint
                # may answer. Not transient: the same model asked again tends to say nothing again.
                err = BadResponse(f"endpoint {name!r} ({ep.model or ep.kind}) returned an empty answer",
                                  endpoint=name, transient=False)
            finally:
                stats.running -= 1
                slot.release()
            stats.failures += 1
            if not err.transient or attempt >= ep.retries:
                raise err
            attempt += 1
            stats.retries += 1
            from .backoff import retry_after_of, retry_delay  # full jitter; a 429/503's Retry-After

            await asyncio.sleep(retry_delay(attempt, ep.backoff_s, retry_after=retry_after_of(err)))

    def _accept(self, name: str, ep: EndpointConfig, result: Completion, seconds: float) -> Completion:
        """Record a successful call's stats and fill in what the backend left out."""
        u = result.usage
        self.stats[name].record(seconds, u.prompt_tokens, u.completion_tokens, u.cached_tokens,
                                result.timings.tokens_per_s)
        result.endpoint = result.endpoint or name
        result.model = result.model or ep.model
        if not result.timings.total_s:
            result.timings.total_s = seconds
        return result

    # -- reporting --------------------------------------------------------------------------------
    def stats_dict(self) -> dict[str, dict[str, Any]]:
        return {n: {"model": self.config.endpoints[n].model, **s.as_dict()} for n, s in self.stats.items()}

    def hosts_dict(self) -> dict[str, Any]:
        """Model hosts (embedded models' child processes) and each replicated endpoint's replicas, for
        `cadre.status`; only what already exists (asking starts nothing)."""
        import sys

        hosted = sys.modules.get(f"{__package__}.hosted")
        replicas = {n: b.state() for n, b in self._backends.items() if hasattr(b, "replicas")}
        return {"hosts": hosted.hosts() if hosted else {}, "replicas": replicas}

    def roles_dict(self) -> dict[str, dict[str, Any]]:
        out = {}
        for role in sorted(self.config.roles):
            names = self.config.roles[role]
            ep = self.config.endpoints[names[0]] if names else None
            out[role] = {"endpoints": names, "model": (ep.model or ep.kind) if ep else "?"}
        return out

    async def health(self, probe: bool = False) -> list[Health]:
        """Health of every endpoint any role uses."""
        used = sorted({n for names in self.config.roles.values() for n in names})
        results: list[Health] = []
        for name in used:
            try:
                results.append(await self.backend(name).health(probe=probe))
            except ModelError as exc:
                results.append(Health(endpoint=name, ok=False, reachable=False, model_present=False,
                                      detail=str(exc)))
        return results

    async def retire(self) -> None:
        """Close once the calls still running on this pool have finished (after a reconfigure)."""
        await self._idle.wait()
        await self.aclose()

    async def aclose(self) -> None:
        for b in self._backends.values():
            try:
                await b.aclose()
            except Exception:
                pass
        self._backends.clear()
