"""A fake OpenAI-compatible server on 127.0.0.1 for tests and benches: /v1/chat/completions, /v1/models.

It answers the way llama.cpp's server, vLLM or LM Studio do (SSE streaming ending in `data: [DONE]`, a
usage chunk when `stream_options.include_usage` is set, streamed `tool_calls`, OpenAI's error JSON) and is
scripted per test:

    with FakeOpenAI([Reply("Hello there"), Reply(status=500)]) as srv:
        backend = OpenAIBackend("local", EndpointConfig(kind="openai", model="m", base_url=srv.url))
        ...
        assert srv.requests[-1].body["response_format"]["type"] == "json_schema"

Replies are taken from the queue in order; when it is empty `reply_fn(body)` answers (default: "ok").
Failure modes live on `Reply`: an HTTP status, a stream that dies after N chunks, slow chunks. Every
request is recorded with how many chunks went out and whether the client hung up; `disconnected` is set
the moment any client closes a stream early, so cancellation tests can wait on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .http_fake import FakeHandler, FakeHTTPServer, Recorded, ScriptedReply, prompt_words


@dataclass
class Reply(ScriptedReply):
    """One scripted answer to /v1/chat/completions.

    `tool_calls` take {"name": ..., "arguments": {...} | "json string"}; a status other than 200 answers
    OpenAI's `{"error": {...}}`; `die_after` counts SSE events (the role chunk first; no finish, no [DONE]).
    """

    finish_reason: str | None = None
    """Default: "tool_calls" when there are calls, else "stop"."""
    prompt_tokens: int | None = None
    """Default: words in the request's messages."""
    cached_tokens: int | None = None
    """Reported as usage.prompt_tokens_details.cached_tokens when set."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Merged into the response (non-streamed) or the last choice chunk, e.g. llama.cpp's `timings`."""


def _error(message: str, status: int) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    code = "model_not_found" if status == 404 else None
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(FakeHandler):
    fake: FakeOpenAI

    def do_GET(self) -> None:
        self._record({})
        if self.path.rstrip("/") == "/v1/models" and self.fake.models_route:
            names = self.fake.models if self.fake.models is not None else ["fake-model"]
            self._send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in names]})
        else:
            self._send_json(404, _error(f"no route for GET {self.path}", 404))

    def do_POST(self) -> None:
        rec = self._record(self._read_body())
        body = rec.body
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, _error(f"no route for POST {self.path}", 404))
            return
        model = str(body.get("model", ""))
        if self.fake.models is not None and model not in self.fake.models:
            self._send_json(404, _error(f"The model `{model}` does not exist", 404))
            return
        reply: Reply = self.fake._next_reply(body)
        if reply.status != 200:
            self._send_json(reply.status, _error(reply.error, reply.status), reply.error_headers)
            rec.finished = True
            return
        if reply.raw is not None:
            self._send_raw(rec, reply, "text/event-stream" if body.get("stream") else "application/json")
            return
        if body.get("stream"):
            self._stream_sse(body, reply, rec)
        else:
            self._complete(body, reply, rec)

    def _usage(self, body: dict[str, Any], reply: Reply, completion_tokens: int) -> dict[str, Any]:
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else prompt_words(body)
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
                                 "total_tokens": prompt + completion_tokens}
        if reply.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
        return usage

    @staticmethod
    def _arguments(call: dict[str, Any]) -> str:
        args = call.get("arguments", {})
        return args if isinstance(args, str) else json.dumps(args)

    def _complete(self, body: dict[str, Any], reply: Reply, rec: Recorded) -> None:
        if not self._delay_answer(reply, rec):
            return
        pieces = reply.pieces()
        message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces) or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{i}", "type": "function",
                 "function": {"name": c["name"], "arguments": self._arguments(c)}}
                for i, c in enumerate(reply.tool_calls)]
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        self._send_json(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": self._usage(body, reply, len(pieces) + len(reply.tool_calls)), **reply.extra})
        rec.finished = True

    def _stream_sse(self, body: dict[str, Any], reply: Reply, rec: Recorded) -> None:
        head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
            return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

        pieces = reply.pieces()
        events: list[dict[str, Any] | str] = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": p}) for p in pieces]
        for i, c in enumerate(reply.tool_calls):
            args = self._arguments(c)
            half = len(args) // 2
            events.append(chunk({"tool_calls": [{"index": i, "id": f"call_{i}", "type": "function",
                                                 "function": {"name": c["name"], "arguments": args[:half]}}]}))
            events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[half:]}}]}))
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        events.append(chunk({}, finish, **reply.extra))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**head, "choices": [],
                           "usage": self._usage(body, reply, len(pieces) + len(reply.tool_calls))})
        events.append("[DONE]")
        frames = [f"data: {ev if isinstance(ev, str) else json.dumps(ev)}\n\n".encode() for ev in events]
        self._stream(rec, reply, "text/event-stream", frames, {"Cache-Control": "no-cache"})


class FakeOpenAI(FakeHTTPServer):
    """A scriptable OpenAI-compatible server on a random local port, served from a background thread."""

    reply_type = Reply
    handler_type = _Handler
    thread_name = "fake-openai"
    url_path = "/v1"
    """`url` ends in /v1, as for any OpenAI-compatible server."""

    def __init__(self, replies: Iterable[Reply | str] = (), *, models: Iterable[str] | None = None,
                 models_route: bool = True,
                 reply_fn: Callable[[dict[str, Any]], Reply | str] | None = None) -> None:
        super().__init__(replies, reply_fn=reply_fn)
        self.models = list(models) if models is not None else None
        """Models served; None accepts any name (as llama.cpp's server does) and lists "fake-model"."""
        self.models_route = models_route
        """False makes GET /v1/models a 404, as on servers without it."""

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]
