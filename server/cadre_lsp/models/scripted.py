"""Scripted backend: replays recorded exchanges from a JSON/JSONL file (for tests, benches and offline demos).

For deterministic tests, benchmarks and offline demos. Each exchange is an object:

    {"match": "substring" | {"contains": [...], "regex": "...", "system": "..."},
     "reply": "text" | ["first time", "second time", ...],   # a list is consumed in order, the last repeats
     "tool_calls": [{"name": ..., "arguments": {...}}],
     "error": "http500" | "timeout" | "unavailable" | "die_midstream" | "not_found",
     "latency_s": 0.1, "tokens_per_s": 50}

The first exchange whose match fits the request's text (all message contents joined) answers; an
exchange without "match" matches anything. No match is an error naming the script, never a guess.
Simulated time uses asyncio.sleep, so cancellation behaves like a real stream.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

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


def load_script(path: Path) -> list[dict[str, Any]]:
    """Read a script: a JSON list, a JSON object with "exchanges", or JSONL."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelNotFound(f"script {path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in raw.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise ModelError(f"script {path}: invalid JSON/JSONL at line {exc.lineno}: {exc.msg}") from None
    if isinstance(data, dict):
        data = data.get("exchanges", [])
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ModelError(f"script {path}: expected a list of exchange objects")
    return data


def _fragments(text: str) -> list[str]:
    """Split a reply into token-like pieces (words with their whitespace) for simulated streaming."""
    return re.findall(r"\s*\S+|\s+", text) or [text]


class ScriptedBackend:
    """A ChatBackend whose answers come from a script file."""

    def __init__(self, name: str, cfg: EndpointConfig) -> None:
        self.name = name
        self.model = cfg.model or "scripted"
        self.cfg = cfg
        if not cfg.script:
            raise ModelError(f"endpoint {name!r}: kind \"scripted\" needs `script = \"path/to/script.json\"`",
                             endpoint=name)
        self.path = Path(cfg.script)
        self.exchanges = load_script(self.path)
        self._uses: dict[int, int] = {}
        self.requests: list[dict[str, Any]] = []
        """Every request received (messages and options), for tests to inspect."""

    def _match(self, text: str, messages: list[Message]) -> tuple[int, dict[str, Any]]:
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        for i, ex in enumerate(self.exchanges):
            m = ex.get("match")
            if m is None:
                return i, ex
            if isinstance(m, str):
                m = {"contains": [m]}
            contains = m.get("contains", [])
            if isinstance(contains, str):
                contains = [contains]
            if not all(c in text for c in contains):
                continue
            if m.get("regex") and not re.search(m["regex"], text, re.S):
                continue
            if m.get("system") and m["system"] not in system:
                continue
            return i, ex
        last_user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        snippet = " ".join(last_user.split())[:80]
        raise ModelError(f"scripted endpoint {self.name!r}: no exchange in {self.path} matches the request "
                         f"(last user message starts: {snippet!r})", endpoint=self.name)

    async def chat(self, messages: list[Message], *, tools: list[dict[str, Any]] | None = None,
                   schema: dict[str, Any] | None = None, max_tokens: int = 512, temperature: float = 0.2,
                   stop: list[str] | None = None, on_token: TokenCallback | None = None) -> Completion:
        text = "\n".join(str(m.get("content", "")) for m in messages)
        record: dict[str, Any] = {"messages": messages, "tools": tools, "schema": schema,
                                  "max_tokens": max_tokens, "temperature": temperature,
                                  "started": time.perf_counter(), "finished": None, "cancelled": False}
        self.requests.append(record)
        try:
            completion = await self._reply(text, messages, max_tokens, on_token)
        except asyncio.CancelledError:
            record["cancelled"] = True
            raise
        record["finished"] = time.perf_counter()
        return completion

    async def _reply(self, text: str, messages: list[Message], max_tokens: int,
                     on_token: TokenCallback | None) -> Completion:
        idx, ex = self._match(text, messages)
        n = self._uses.get(idx, 0)
        self._uses[idx] = n + 1
        reply = ex.get("reply", "")
        if isinstance(reply, list):
            reply = reply[min(n, len(reply) - 1)] if reply else ""
        if isinstance(reply, (dict, list)):
            reply = json.dumps(reply)
        latency = float(ex.get("latency_s", self.cfg.latency_s))
        tps = ex.get("tokens_per_s", self.cfg.tokens_per_s)
        error = ex.get("error")
        if isinstance(error, list):
            error = error[min(n, len(error) - 1)] if error else None
        t0 = time.perf_counter()
        if latency:
            await asyncio.sleep(latency)
        self._raise_for(error, before_stream=True)
        pieces = _fragments(reply)[:max_tokens] if reply else []
        first: float | None = None
        out: list[str] = []
        for i, piece in enumerate(pieces):
            if error == "die_midstream" and i >= len(pieces) // 2:
                raise BadResponse(f"scripted endpoint {self.name!r}: stream died after {i} tokens",
                                  endpoint=self.name)
            if tps:
                await asyncio.sleep(1.0 / float(tps))
            if first is None:
                first = time.perf_counter() - t0
            out.append(piece)
            await emit(on_token, piece)
        if error == "die_midstream":
            raise BadResponse(f"scripted endpoint {self.name!r}: stream died", endpoint=self.name)
        total = time.perf_counter() - t0
        decode = total - latency
        return Completion(
            text="".join(out),
            tool_calls=list(ex.get("tool_calls", [])),
            usage=Usage(prompt_tokens=max(1, len(text) // 4), completion_tokens=len(out)),
            timings=Timings(total_s=total, first_token_s=first,
                            tokens_per_s=(len(out) / decode) if decode > 0 and out else None),
            model=self.model, endpoint=self.name, finish_reason="stop")

    def _raise_for(self, error: str | None, *, before_stream: bool) -> None:
        if not error or error == "die_midstream":
            return
        where = f"scripted endpoint {self.name!r}"
        if error == "http500":
            raise BadResponse(f"{where}: HTTP 500 Internal Server Error", endpoint=self.name)
        if error == "timeout":
            raise ModelTimeout(f"{where}: timed out", endpoint=self.name)
        if error == "unavailable":
            raise BackendUnavailable(f"{where}: connection refused", endpoint=self.name)
        if error == "not_found":
            raise ModelNotFound(f"{where}: model {self.model!r} not found", endpoint=self.name)
        raise ModelError(f"{where}: {error}", endpoint=self.name)

    async def health(self, probe: bool = False) -> Health:
        return Health(endpoint=self.name, ok=True, reachable=True, model_present=True,
                      detail=f"{len(self.exchanges)} exchanges from {self.path}", probe_s=0.0 if probe else None)

    async def aclose(self) -> None:
        return None
