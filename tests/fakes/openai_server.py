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
import re
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer to /v1/chat/completions."""

    text: str = "ok"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Native calls as {"name": ..., "arguments": {...} | "json string"}."""
    chunks: list[str] | None = None
    """How `text` is streamed; default: one chunk per word (with its leading whitespace)."""
    status: int = 200
    """Anything but 200 answers OpenAI's `{"error": {...}}` with this status instead."""
    error: str = "internal server error"
    die_after: int | None = None
    """Streaming only: close the connection after this many chunks (no finish, no [DONE])."""
    delay_s: float = 0.0
    """Pause before each chunk (and before a non-streamed answer): slow tokens for timeouts/cancels."""
    finish_reason: str | None = None
    """Default: "tool_calls" when there are calls, else "stop"."""
    prompt_tokens: int | None = None
    """Default: words in the request's messages."""
    cached_tokens: int | None = None
    """Reported as usage.prompt_tokens_details.cached_tokens when set."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Merged into the response (non-streamed) or the last choice chunk, e.g. llama.cpp's `timings`."""

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return re.findall(r"\s*\S+|\s+", self.text)


@dataclass
class Recorded:
    """What the fake saw of one request."""

    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    chunks_sent: int = 0
    disconnected: bool = False
    """The client closed the connection before the stream ended."""
    finished: bool = False
    """The whole answer was sent."""


class FakeOpenAI:
    """A scriptable OpenAI-compatible server on a random local port, served from a background thread."""

    def __init__(self, replies: Iterable[Reply | str] = (), *, models: Iterable[str] | None = None,
                 models_route: bool = True,
                 reply_fn: Callable[[dict[str, Any]], Reply | str] | None = None) -> None:
        self.models = list(models) if models is not None else None
        """Models served; None accepts any name (as llama.cpp's server does) and lists "fake-model"."""
        self.models_route = models_route
        """False makes GET /v1/models a 404, as on servers without it."""
        self.replies: deque[Reply | str] = deque(replies)
        self.reply_fn = reply_fn
        self.requests: list[Recorded] = []
        self.disconnected = threading.Event()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL clients are given (ends in /v1, as for any OpenAI-compatible server)."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-openai", daemon=True).start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting -----------------------------------------------------------------------------------
    def push(self, *replies: Reply | str) -> None:
        self.replies.extend(replies)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        if self.replies:
            r = self.replies.popleft()
        elif self.reply_fn is not None:
            r = self.reply_fn(body)
        else:
            r = Reply()
        return Reply(text=r) if isinstance(r, str) else r


def _error(message: str, status: int) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    code = "model_not_found" if status == 404 else None
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    # -- plumbing ------------------------------------------------------------------------------------
    def _record(self, body: dict[str, Any]) -> Recorded:
        rec = Recorded(self.command, self.path, body, headers={k.lower(): v for k, v in self.headers.items()})
        self.fake.requests.append(rec)
        return rec

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _pause(self, seconds: float) -> bool:
        """Sleep, but notice at once if the client hangs up; False means it did (or the fake closed)."""
        deadline = time.monotonic() + seconds
        while True:
            if self.fake._closing.is_set():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.02))
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
                time.sleep(min(left, 0.02))

    def _write_chunk(self, data: bytes) -> bool:
        try:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            return True
        except OSError:
            return False

    # -- routes --------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._record({})
        if self.path.rstrip("/") == "/v1/models" and self.fake.models_route:
            names = self.fake.models if self.fake.models is not None else ["fake-model"]
            self._send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in names]})
        else:
            self._send_json(404, _error(f"no route for GET {self.path}", 404))

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        rec = self._record(body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, _error(f"no route for POST {self.path}", 404))
            return
        model = str(body.get("model", ""))
        if self.fake.models is not None and model not in self.fake.models:
            self._send_json(404, _error(f"The model `{model}` does not exist", 404))
            return
        reply = self.fake._next_reply(body)
        if reply.status != 200:
            self._send_json(reply.status, _error(reply.error, reply.status))
            rec.finished = True
            return
        if body.get("stream"):
            self._stream(body, reply, rec)
        else:
            self._complete(body, reply, rec)

    def _usage(self, body: dict[str, Any], reply: Reply, completion_tokens: int) -> dict[str, Any]:
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
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
        if reply.delay_s and not self._pause(reply.delay_s):
            rec.disconnected = True
            self.fake.disconnected.set()
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

    def _stream(self, body: dict[str, Any], reply: Reply, rec: Recorded) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
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
        for i, ev in enumerate(events):
            if reply.die_after is not None and i >= reply.die_after:
                self.close_connection = True  # ends the body without its last chunk: a dead server
                return
            data = ev if isinstance(ev, str) else json.dumps(ev)
            ok = (not reply.delay_s or self._pause(reply.delay_s)) and \
                self._write_chunk(f"data: {data}\n\n".encode())
            if not ok:
                rec.disconnected = True
                self.fake.disconnected.set()
                self.close_connection = True
                return
            rec.chunks_sent += 1
        self._write_chunk(b"")
        rec.finished = True
