"""A fake Ollama server on 127.0.0.1 for tests and benches: native /api/chat, /api/tags, /api/show.

It speaks the wire format the real `ollama` client expects (NDJSON streaming, one JSON object otherwise,
Ollama's `{"error": ...}` bodies) and is scripted per test:

    with FakeOllama([Reply("Hello there"), Reply(status=500)], models=["qwen2.5-coder:1.5b"]) as srv:
        backend = OllamaBackend("local", EndpointConfig(kind="ollama", model="qwen2.5-coder:1.5b",
                                                       base_url=srv.url))
        ...
        assert srv.requests[0].body["format"] == schema

Replies are taken from the queue in order; when it is empty `reply_fn(body)` answers (default: "ok").
Failure modes live on `Reply`: an HTTP status, a stream that dies after N chunks, slow chunks. Every
request is recorded with how many chunks went out and whether the client hung up; `disconnected` is set
the moment any client closes a stream early, so cancellation tests can wait on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .http_fake import FakeHandler, FakeHTTPServer, Recorded, ScriptedReply, prompt_words

NS = 1_000_000_000


@dataclass
class Reply(ScriptedReply):
    """One scripted answer to /api/chat.

    `tool_calls` ({"name": ..., "arguments": {...}}) are sent in one chunk before `done`; a status other
    than 200 answers `{"error": error}`; `die_after` counts NDJSON objects (content, tool calls, the final one).
    """

    done_reason: str = "stop"
    prompt_tokens: int | None = None
    """`prompt_eval_count`; default: words in the request's messages."""
    eval_s_per_token: float = 0.02
    """Reported decode time per token (eval_duration), so clients see a fixed 50 tokens/s."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Merged into the final (done) object."""


def _tag(name: str) -> str:
    """Ollama treats "llama3" as "llama3:latest"."""
    return name if ":" in name else f"{name}:latest"


class _Handler(FakeHandler):
    json_content_type = "application/json; charset=utf-8"
    fake: FakeOllama

    def do_GET(self) -> None:
        self._record({})
        if self.path == "/api/tags":
            models = [{"name": m, "model": m, "modified_at": "2025-01-01T00:00:00Z", "size": 1_000_000,
                       "digest": "sha256:" + hashlib.sha256(m.encode()).hexdigest(),
                       "details": {"format": "gguf", "family": "fake", "parameter_size": "1B",
                                   "quantization_level": "Q4_K_M"}} for m in self.fake.models]
            self._send_json(200, {"models": models})
        elif self.path in ("/", "/api/version"):
            self._send_json(200, {"version": "0.0.0-fake"})
        else:
            self._send_json(404, {"error": "404 page not found"})

    def do_POST(self) -> None:
        rec = self._record(self._read_body())
        body = rec.body
        model = _tag(str(body.get("model", "")))
        if self.path not in ("/api/chat", "/api/show"):
            self._send_json(404, {"error": "404 page not found"})
            return
        if model not in self.fake.models:
            self._send_json(404, {"error": f"model '{body.get('model', '')}' not found"})
            return
        if self.path == "/api/show":
            self._send_json(200, {"modelfile": "FROM fake", "parameters": "", "template": "{{ .Prompt }}",
                                  "details": {"format": "gguf", "family": "fake"},
                                  "model_info": {"general.architecture": "fake"},
                                  "capabilities": ["completion", "tools"]})
            return
        self._chat(body, rec)

    def _chat(self, body: dict[str, Any], rec: Recorded) -> None:
        reply: Reply = self.fake._next_reply(body)
        if reply.status != 200:
            self._send_json(reply.status, {"error": reply.error})
            rec.finished = True
            return
        if reply.raw is not None:
            self._send_raw(rec, reply, "application/x-ndjson" if body.get("stream", True) else self.json_content_type)
            return
        pieces = reply.pieces()
        prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else prompt_words(body)
        n_out = len(pieces) + len(reply.tool_calls)
        final = {"model": body["model"], "created_at": "2025-01-01T00:00:00Z", "done": True,
                 "done_reason": reply.done_reason, "total_duration": int(0.1 * NS), "load_duration": 0,
                 "prompt_eval_count": prompt_tokens, "prompt_eval_duration": int(0.01 * NS * prompt_tokens),
                 "eval_count": n_out, "eval_duration": int(reply.eval_s_per_token * NS * n_out), **reply.extra}
        calls = [{"function": {"name": c["name"], "arguments": c.get("arguments", {})}} for c in reply.tool_calls]

        if not body.get("stream", True):
            if not self._delay_answer(reply, rec):
                return
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if calls:
                message["tool_calls"] = calls
            self._send_json(200, {**final, "message": message})
            rec.finished = True
            return

        objs: list[dict[str, Any]] = [
            {"model": body["model"], "created_at": "2025-01-01T00:00:00Z",
             "message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
        if calls:
            objs.append({"model": body["model"], "created_at": "2025-01-01T00:00:00Z",
                         "message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False})
        objs.append({**final, "message": {"role": "assistant", "content": ""}})
        self._stream(rec, reply, "application/x-ndjson", [json.dumps(obj).encode() + b"\n" for obj in objs])


class FakeOllama(FakeHTTPServer):
    """A scriptable Ollama on a random local port, served from a background thread."""

    reply_type = Reply
    handler_type = _Handler
    thread_name = "fake-ollama"
    url_path = ""
    """`url` is the bare origin, as `ollama.AsyncClient(host=...)` / `EndpointConfig.base_url` take it."""

    def __init__(self, replies: Iterable[Reply | str] = (), *,
                 models: Iterable[str] = ("qwen2.5-coder:1.5b",),
                 reply_fn: Callable[[dict[str, Any]], Reply | str] | None = None) -> None:
        super().__init__(replies, reply_fn=reply_fn)
        self.models = [_tag(m) for m in models]
        """Models /api/tags lists; /api/chat and /api/show answer 404 for any other."""

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/api/chat"]
