"""Any OpenAI-compatible server (llama.cpp's server, vLLM, LM Studio, Ollama's /v1, OpenRouter) through
the official `openai` client.

The client's own retries are off (`max_retries=0`): the role pool owns retries and fallback, and two
layers of retrying would multiply waits. llama.cpp's server adds `timings` (decode speed, `cache_n`
prompt tokens reused from its KV cache) to its answers; they are used when present.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any
from urllib.parse import urlparse

import openai
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
    Usage,
    emit,
)
from .probe import timed_probe

NO_KEY = "sk-no-key"
"""Local servers want *some* key in the Authorization header; this one says there is none."""

_CLIENT_ERRORS = (openai.OpenAIError, pydantic.ValidationError, json.JSONDecodeError, UnicodeDecodeError)
"""What the client raises (its SSE decoder lets UnicodeDecodeError out on a binary body); translated by
`OpenAIBackend._error`. Anything else (a token callback's own error, a bug) passes through untouched."""


def _base_url(url: str | None) -> str | None:
    """A bare host ("http://127.0.0.1:8080") gets "/v1", where every compatible server serves the API."""
    if url is None:
        return None
    url = url.rstrip("/")
    return url + "/v1" if urlparse(url).path in ("", "/") else url


def _arguments(raw: str | None) -> dict[str, Any] | str:
    """Tool-call arguments arrive as a JSON string; keep the string when it is not a JSON object."""
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return raw or ""
    return value if isinstance(value, dict) else (raw or "")


def _extra(obj: Any, key: str) -> Any:
    """A field the openai types do not declare (llama.cpp's `timings`, `tokens_cached`)."""
    return (getattr(obj, "model_extra", None) or {}).get(key)


class OpenAIBackend:
    """A ChatBackend for one model behind an OpenAI-compatible /chat/completions endpoint."""

    def __init__(self, name: str, cfg: EndpointConfig) -> None:
        if not cfg.model:
            raise ModelError(f"endpoint {name!r}: kind \"openai\" needs `model = \"...\"` "
                             "(any name will do for llama.cpp's server)", endpoint=name)
        self.name = name
        self.model = cfg.model
        self.cfg = cfg
        key = cfg.api_key
        if key is None and cfg.base_url is None:  # the real OpenAI: the usual environment variable
            key = os.environ.get("OPENAI_API_KEY")
        self._client = openai.AsyncOpenAI(base_url=_base_url(cfg.base_url), api_key=key or NO_KEY,
                                          max_retries=0, timeout=cfg.timeout_s)
        self.url = str(self._client.base_url).rstrip("/")

    @property
    def _where(self) -> str:
        return f"openai endpoint {self.name!r} ({self.model} at {self.url})"

    # -- chat -----------------------------------------------------------------------------------------
    async def chat(self, messages: list[Message], *, tools: list[dict[str, Any]] | None = None,
                   schema: dict[str, Any] | None = None, max_tokens: int = 512, temperature: float = 0.2,
                   stop: list[str] | None = None, on_token: TokenCallback | None = None) -> Completion:
        """One /chat/completions call; streamed when `on_token` is given. `cfg.options` go in the body."""
        request: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                   "temperature": temperature}
        if stop:
            request["stop"] = stop
        if tools:
            request["tools"] = tools
        if schema is not None:
            request["response_format"] = {"type": "json_schema",
                                          "json_schema": {"name": "output", "schema": schema, "strict": True}}
        if self.cfg.options:
            request["extra_body"] = dict(self.cfg.options)
        try:
            return await asyncio.wait_for(self._chat(request, on_token), self.cfg.timeout_s)
        except asyncio.TimeoutError:
            raise ModelTimeout(f"{self._where}: no complete answer within {self.cfg.timeout_s:g}s",
                               endpoint=self.name) from None

    async def _chat(self, request: dict[str, Any], on_token: TokenCallback | None) -> Completion:
        t0 = time.perf_counter()
        if on_token is None:
            try:
                resp = await self._client.chat.completions.create(**request)
            except _CLIENT_ERRORS as exc:
                raise self._error(exc, None) from exc
            if not resp.choices:
                raise BadResponse(f"{self._where}: answer without choices", endpoint=self.name)
            msg = resp.choices[0].message
            calls = [{"name": c.function.name, "arguments": _arguments(c.function.arguments)}
                     for c in msg.tool_calls or [] if getattr(c, "function", None)]
            return self._completion(msg.content or "", calls, resp.choices[0].finish_reason, resp.usage,
                                    _extra(resp, "timings") or {}, _extra(resp, "tokens_cached"), t0, None, 0)

        text: list[str] = []
        calls_by_index: dict[int, dict[str, str]] = {}
        first: float | None = None
        finish: str | None = None
        usage: Any = None
        timings: dict[str, Any] = {}
        cached: int | None = None
        pieces = 0
        partial: str | None = None  # None until the server answered: errors before that are not mid-stream
        try:
            stream = await self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True})
            partial = ""
            async with stream:  # leaving the block (an error, a cancel) closes the HTTP stream at once
                async for chunk in stream:
                    usage = chunk.usage or usage
                    timings = _extra(chunk, "timings") or timings
                    cached = _extra(chunk, "tokens_cached") or cached
                    for choice in chunk.choices:
                        delta = choice.delta
                        if delta.content:
                            if first is None:
                                first = time.perf_counter() - t0
                            pieces += 1
                            text.append(delta.content)
                            partial += delta.content
                            await emit(on_token, delta.content)
                        for tc in delta.tool_calls or []:
                            acc = calls_by_index.setdefault(tc.index, {"name": "", "arguments": ""})
                            if tc.function and tc.function.name and tc.function.name != acc["name"]:
                                acc["name"] += tc.function.name
                            if tc.function and tc.function.arguments:
                                acc["arguments"] += tc.function.arguments
                        finish = choice.finish_reason or finish
        except _CLIENT_ERRORS as exc:
            raise self._error(exc, partial) from exc
        if finish is None and usage is None:
            err = BadResponse(f"{self._where}: stream ended before the model finished "
                              f"({len(partial or '')} chars received)", endpoint=self.name)
            err.partial_text = partial  # type: ignore[attr-defined]
            raise err
        calls = [{"name": c["name"], "arguments": _arguments(c["arguments"])}
                 for _, c in sorted(calls_by_index.items())]
        return self._completion("".join(text), calls, finish, usage, timings, cached, t0, first, pieces)

    def _completion(self, text: str, calls: list[dict[str, Any]], finish: str | None, usage: Any,
                    timings: dict[str, Any], tokens_cached: int | None, t0: float, first: float | None,
                    pieces: int) -> Completion:
        total = time.perf_counter() - t0
        u = Usage()
        if usage is not None:
            u.prompt_tokens = usage.prompt_tokens or 0
            u.completion_tokens = usage.completion_tokens or 0
            details = getattr(usage, "prompt_tokens_details", None)
            u.cached_tokens = (getattr(details, "cached_tokens", None) or 0) if details else 0
        else:  # a server that ignores include_usage: one streamed piece is about one token
            u.completion_tokens = pieces
        if not u.cached_tokens:
            u.cached_tokens = int(timings.get("cache_n") or tokens_cached or 0)
        tps = timings.get("predicted_per_second") or None  # llama.cpp says 0 when it decoded one token
        if tps is None and u.completion_tokens:
            decode = total - (first or 0.0)  # without a stream, decode time includes the prompt
            tps = u.completion_tokens / decode if decode > 0 else None
        return Completion(
            text=text, tool_calls=calls, usage=u,
            timings=Timings(total_s=total, first_token_s=first,
                            prompt_tokens_per_s=timings.get("prompt_per_second") or None, tokens_per_s=tps,
                            draft_tokens=timings.get("draft_n"), draft_accepted=timings.get("draft_n_accepted")),
            model=self.model, endpoint=self.name, finish_reason=finish)

    def _error(self, exc: Exception, partial: str | None) -> ModelError:
        """Translate a client failure into the ModelError the role pool acts on. `partial` is None
        before the server answered, else the text streamed so far."""
        where, ep = self._where, self.name
        if isinstance(exc, openai.APITimeoutError):
            return ModelTimeout(f"{where}: timed out after {self.cfg.timeout_s:g}s", endpoint=ep)
        if isinstance(exc, openai.APIConnectionError) and partial is None:
            return BackendUnavailable(f"{where}: cannot connect; is the server running at {self.url}?",
                                      endpoint=ep)
        if isinstance(exc, openai.APIStatusError):
            status, detail = exc.status_code, exc.message.removeprefix(f"Error code: {exc.status_code} - ")
            if status == 404:
                return ModelNotFound(f"{where}: HTTP 404: {detail} (is {self.model!r} served there, and "
                                     "is the base_url right?)", endpoint=ep)
            if status in (401, 403):
                return BadResponse(f"{where}: HTTP {status}: {detail} (check the endpoint's api_key)",
                                   endpoint=ep, transient=False)
            return BadResponse(f"{where}: HTTP {status}: {detail}", endpoint=ep,
                               transient=status >= 500 or status in (408, 429))
        if partial is not None:  # the connection broke, or the server sent an error event mid-stream
            cause = exc.__cause__ or exc  # the transport's own words ("incomplete chunked read")
            err = BadResponse(f"{where}: stream broke after {len(partial)} chars "
                              f"({type(cause).__name__}: {cause})", endpoint=ep)
            err.partial_text = partial  # type: ignore[attr-defined]
            return err
        return BadResponse(f"{where}: unusable answer ({type(exc).__name__}: {exc})", endpoint=ep)

    # -- health -------------------------------------------------------------------------------------
    async def health(self, probe: bool = False) -> Health:
        """Reachable, and is the model listed by /models? A server without /models (or one that does
        not list the model, as llama.cpp's serves whatever it loaded under any name) gets a one-token
        probe instead; probe=True always runs one and reports its latency."""
        h = Health(endpoint=self.name, ok=False, reachable=False, model_present=False)
        listed: list[str] | None = None
        try:
            page = await asyncio.wait_for(self._client.models.list(), min(self.cfg.timeout_s, 10.0))
            listed = [m.id for m in page.data]
        except openai.NotFoundError:
            pass  # no /models route: the probe decides
        except (asyncio.TimeoutError, *_CLIENT_ERRORS) as exc:
            err = self._error(exc, None) if not isinstance(exc, asyncio.TimeoutError) else \
                ModelTimeout(f"{self._where}: /models did not answer")
            h.detail = str(err)
            if isinstance(err, (BackendUnavailable, ModelTimeout)):
                h.hint = f"is the server running at {self.url}?"
                return h
            h.reachable = True
            if "api_key" in h.detail:
                h.hint = "set the endpoint's api_key"
            return h
        h.reachable = True
        if listed is not None and self.model in listed and not probe:
            h.ok = h.model_present = True
            h.detail = f"{self.model} at {self.url}"
            return h
        try:
            seconds, c = await timed_probe(self)
        except ModelError as exc:
            h.detail = str(exc)
            if isinstance(exc, ModelNotFound):
                shown = ", ".join(listed[:8]) if listed else "none listed"
                h.hint = f"the server does not serve {self.model!r} (it lists: {shown})"
            return h
        h.ok = h.model_present = True
        h.probe_s = seconds
        h.tokens_per_s = c.timings.tokens_per_s
        h.detail = f"{self.model} at {self.url}" + ("" if listed is None or self.model in listed
                                                    else " (not listed by /models, but it answers)")
        return h

    async def aclose(self) -> None:
        await self._client.close()
