"""Ollama's native API (/api/chat) through the official `ollama` client.

Native rather than Ollama's /v1 because only the native API reports model presence (/api/tags, so
`doctor` can say "run `ollama pull X`"), takes `keep_alive`, constrains output with `format=<JSON schema>`,
and reports server-side decode time (`eval_duration`), which gives honest tokens/s.

Every failure leaves as a `ModelError` subclass; nothing is retried here (the role pool retries).
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import aclosing
from typing import Any

import httpx
import ollama
import pydantic

from ..config.schema import EndpointConfig
from .base import (
    BackendUnavailable,
    BadResponse,
    Completion,
    Health,
    Message,
    ModelError,
    ModelNotFound,
    ModelTimeout,
    Timings,
    TokenCallback,
    UnsupportedFeature,
    Usage,
    emit,
)
from .probe import probe_into

DEFAULT_URL = "http://127.0.0.1:11434"
NS = 1e9
_CLIENT_ERRORS = (ollama.ResponseError, httpx.HTTPError, ConnectionError, pydantic.ValidationError,
                  json.JSONDecodeError)
"""What the client and its transport raise; translated by `OllamaBackend._error`."""


def _tag(name: str) -> str:
    """Ollama treats "llama3" and "llama3:latest" as one model."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _to_ollama(messages: list[Message]) -> list[dict[str, Any]]:
    """OpenAI-style messages -> Ollama's: tool-call arguments are objects, tool results carry `tool_name`."""
    out: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for m in messages:
        content = m.get("content") or ""
        if isinstance(content, list):  # OpenAI content parts: keep the text
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        msg: dict[str, Any] = {"role": m["role"], "content": content}
        calls = []
        for c in m.get("tool_calls") or []:
            fn = c.get("function", c)
            args = fn.get("arguments") or {}
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except json.JSONDecodeError:
                    args = {"input": args}
            calls.append({"function": {"name": fn["name"], "arguments": args}})
            if c.get("id"):
                call_names[c["id"]] = fn["name"]
        if calls:
            msg["tool_calls"] = calls
        if m["role"] == "tool":
            name = m.get("name") or m.get("tool_name") or call_names.get(m.get("tool_call_id", ""))
            if name:
                msg["tool_name"] = name
        if m.get("images"):
            msg["images"] = m["images"]
        out.append(msg)
    return out


class OllamaBackend:
    """A ChatBackend for one model served by Ollama."""

    def __init__(self, name: str, cfg: EndpointConfig) -> None:
        if not cfg.model:
            raise ModelError(f"endpoint {name!r}: kind \"ollama\" needs `model = \"name:tag\"`", endpoint=name)
        self.name = name
        self.model = cfg.model
        self.cfg = cfg
        url = (cfg.base_url or DEFAULT_URL).rstrip("/")
        for suffix in ("/v1", "/api"):  # a URL copied from OpenAI-compatible setups still works
            url = url.removesuffix(suffix)
        self.url = url
        headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else None
        self._client = ollama.AsyncClient(host=url, timeout=cfg.timeout_s, headers=headers)

    @property
    def _where(self) -> str:
        return f"ollama endpoint {self.name!r} ({self.model} at {self.url})"

    # -- chat -----------------------------------------------------------------------------------------
    async def chat(self, messages: list[Message], *, tools: list[dict[str, Any]] | None = None,
                   schema: dict[str, Any] | None = None, max_tokens: int = 512, temperature: float = 0.2,
                   stop: list[str] | None = None, on_token: TokenCallback | None = None) -> Completion:
        """One /api/chat call; streamed when `on_token` is given. Call arguments override `cfg.options`."""
        options: dict[str, Any] = {**self.cfg.options, "temperature": temperature, "num_predict": max_tokens}
        if stop:
            options["stop"] = stop
        request: dict[str, Any] = {
            "model": self.model, "messages": _to_ollama(messages), "tools": tools or None,
            "format": schema, "options": options, "keep_alive": self.cfg.keep_alive}
        try:
            return await asyncio.wait_for(self._chat(request, on_token), self.cfg.timeout_s)
        except asyncio.TimeoutError:
            raise ModelTimeout(f"{self._where}: no complete answer within {self.cfg.timeout_s:g}s",
                               endpoint=self.name) from None

    async def _chat(self, request: dict[str, Any], on_token: TokenCallback | None) -> Completion:
        t0 = time.perf_counter()
        text: list[str] = []
        calls: list[dict[str, Any]] = []
        first: float | None = None
        final: ollama.ChatResponse | None = None
        try:
            if on_token is None:
                final = await self._client.chat(**request, stream=False)
                text.append(final.message.content or "")
                calls += self._calls(final.message)
            else:
                parts = await self._client.chat(**request, stream=True)
                # aclosing: leaving early (an error, a cancel) closes the HTTP stream at once.
                async with aclosing(parts):
                    async for part in parts:
                        piece = part.message.content or ""
                        if piece:
                            if first is None:
                                first = time.perf_counter() - t0
                            text.append(piece)
                            await emit(on_token, piece)
                        calls += self._calls(part.message)
                        if part.done:
                            final = part
                if final is None:
                    raise BadResponse(f"{self._where}: stream ended before the model finished "
                                      f"({len(''.join(text))} chars received)", endpoint=self.name)
        except _CLIENT_ERRORS as exc:  # the token callback's own errors pass through untouched
            raise self._error(exc, "".join(text)) from exc
        return self._completion(final, "".join(text), calls, t0, first, len(text))

    @staticmethod
    def _calls(message: ollama.Message) -> list[dict[str, Any]]:
        return [{"name": c.function.name, "arguments": dict(c.function.arguments)}
                for c in message.tool_calls or []]

    def _completion(self, final: ollama.ChatResponse, text: str, calls: list[dict[str, Any]], t0: float,
                    first: float | None, pieces: int) -> Completion:
        total = time.perf_counter() - t0
        n_out = final.eval_count or (pieces if first is not None else 0)  # one streamed piece ~ one token
        n_in = final.prompt_eval_count or 0
        if final.eval_duration:  # the server's own decode time: excludes load and prompt evaluation
            tps: float | None = n_out / (final.eval_duration / NS)
        else:
            decode = total - (first or 0.0)
            tps = n_out / decode if n_out and decode > 0 else None
        pps = n_in / (final.prompt_eval_duration / NS) if final.prompt_eval_duration and n_in else None
        return Completion(
            text=text, tool_calls=calls,
            usage=Usage(prompt_tokens=n_in, completion_tokens=n_out),
            timings=Timings(total_s=total, first_token_s=first, prompt_tokens_per_s=pps, tokens_per_s=tps),
            model=self.model, endpoint=self.name, finish_reason=final.done_reason)

    def _error(self, exc: Exception, partial: str) -> ModelError:
        """Translate a client/transport failure into the ModelError the role pool acts on."""
        where, ep = self._where, self.name
        if isinstance(exc, ollama.ResponseError):
            status, detail = exc.status_code, exc.error
            if status == 404:
                return ModelNotFound(f"{where}: {detail}; run `ollama pull {self.model}`", endpoint=ep)
            if status == 400 and "does not support" in detail:  # e.g. tools on a model without them
                return UnsupportedFeature(f"{where}: {detail}", endpoint=ep)
            transient = status >= 500 or status in (-1, 429)  # -1: an error reported inside the stream
            return BadResponse(f"{where}: HTTP {status}: {detail}" if status > 0 else f"{where}: {detail}",
                               endpoint=ep, transient=transient)
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)) or type(exc) is ConnectionError:
            return BackendUnavailable(f"{where}: cannot connect; is `ollama serve` running at {self.url}?",
                                      endpoint=ep)
        if isinstance(exc, httpx.TimeoutException):
            return ModelTimeout(f"{where}: timed out after {self.cfg.timeout_s:g}s "
                                f"({len(partial)} chars received)", endpoint=ep)
        if isinstance(exc, httpx.TransportError):
            err = BadResponse(f"{where}: connection broke mid-answer after {len(partial)} chars "
                              f"({type(exc).__name__}: {exc})", endpoint=ep)
            err.partial_text = partial  # type: ignore[attr-defined]
            return err
        return BadResponse(f"{where}: unusable answer ({type(exc).__name__}: {exc})", endpoint=ep)

    # -- health -------------------------------------------------------------------------------------
    async def health(self, probe: bool = False) -> Health:
        """Reachable? Model pulled (per /api/tags)? With probe, the time of a one-token answer."""
        h = Health(endpoint=self.name, ok=False, reachable=False, model_present=False)
        try:
            listing = await asyncio.wait_for(self._client.list(), min(self.cfg.timeout_s, 10.0))
        except (asyncio.TimeoutError, *_CLIENT_ERRORS) as exc:
            err = ModelTimeout(f"{self._where}: /api/tags did not answer") \
                if isinstance(exc, asyncio.TimeoutError) else self._error(exc, "")
            h.detail = str(err)
            h.hint = f"is `ollama serve` running at {self.url}?"
            return h
        h.reachable = True
        pulled = {_tag(m.model or "") for m in listing.models}
        h.model_present = _tag(self.model) in pulled
        if not h.model_present:
            h.detail = f"model {self.model} not pulled ({len(pulled)} models at {self.url})"
            h.hint = f"run `ollama pull {self.model}`"
            return h
        h.ok = True
        h.detail = f"{self.model} at {self.url}"
        if probe:
            await probe_into(h, self)
        return h

    async def aclose(self) -> None:
        await self._client.close()
