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

NS = 1_000_000_000


@dataclass
class Reply:
    """One scripted answer to /api/chat."""

    text: str = "ok"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Native calls as {"name": ..., "arguments": {...}}; sent in one chunk before `done`."""
    chunks: list[str] | None = None
    """How `text` is streamed; default: one chunk per word (with its leading whitespace)."""
    status: int = 200
    """Anything but 200 answers `{"error": error}` with this status instead of a chat response."""
    error: str = "internal server error"
    die_after: int | None = None
    """Streaming only: close the connection after this many content chunks, without the final chunk."""
    delay_s: float = 0.0
    """Pause before each chunk (and before a non-streamed answer): slow tokens for timeouts/cancels."""
    done_reason: str = "stop"
    prompt_tokens: int | None = None
    """`prompt_eval_count`; default: words in the request's messages."""
    eval_s_per_token: float = 0.02
    """Reported decode time per token (eval_duration), so clients see a fixed 50 tokens/s."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Merged into the final (done) object."""

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


def _tag(name: str) -> str:
    """Ollama treats "llama3" as "llama3:latest"."""
    return name if ":" in name else f"{name}:latest"


class FakeOllama:
    """A scriptable Ollama on a random local port, served from a background thread."""

    def __init__(self, replies: Iterable[Reply | str] = (), *,
                 models: Iterable[str] = ("qwen2.5-coder:1.5b",),
                 reply_fn: Callable[[dict[str, Any]], Reply | str] | None = None) -> None:
        self.models = [_tag(m) for m in models]
        """Models /api/tags lists; /api/chat and /api/show answer 404 for any other."""
        self.replies: deque[Reply | str] = deque(replies)
        self.reply_fn = reply_fn
        self.requests: list[Recorded] = []
        self.disconnected = threading.Event()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL for `ollama.AsyncClient(host=...)` / `EndpointConfig.base_url`."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FakeOllama:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-ollama",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting -----------------------------------------------------------------------------------
    def push(self, *replies: Reply | str) -> None:
        self.replies.extend(replies)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/api/chat"]

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        if self.replies:
            r = self.replies.popleft()
        elif self.reply_fn is not None:
            r = self.reply_fn(body)
        else:
            r = Reply()
        return Reply(text=r) if isinstance(r, str) else r


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOllama

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    # -- plumbing ------------------------------------------------------------------------------------
    def _read_body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
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
    def _record(self, body: dict[str, Any]) -> Recorded:
        rec = Recorded(self.command, self.path, body, headers={k.lower(): v for k, v in self.headers.items()})
        self.fake.requests.append(rec)
        return rec

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
        reply = self.fake._next_reply(body)
        if reply.status != 200:
            self._send_json(reply.status, {"error": reply.error})
            rec.finished = True
            return
        pieces = reply.pieces()
        prompt_tokens = reply.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
        n_out = len(pieces) + len(reply.tool_calls)
        final = {"model": body["model"], "created_at": "2025-01-01T00:00:00Z", "done": True,
                 "done_reason": reply.done_reason, "total_duration": int(0.1 * NS), "load_duration": 0,
                 "prompt_eval_count": prompt_tokens, "prompt_eval_duration": int(0.01 * NS * prompt_tokens),
                 "eval_count": n_out, "eval_duration": int(reply.eval_s_per_token * NS * n_out), **reply.extra}
        calls = [{"function": {"name": c["name"], "arguments": c.get("arguments", {})}} for c in reply.tool_calls]

        if not body.get("stream", True):
            if reply.delay_s and not self._pause(reply.delay_s):
                rec.disconnected = True
                self.fake.disconnected.set()
                return
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if calls:
                message["tool_calls"] = calls
            self._send_json(200, {**final, "message": message})
            rec.finished = True
            return

        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        objs: list[dict[str, Any]] = [
            {"model": body["model"], "created_at": "2025-01-01T00:00:00Z",
             "message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
        if calls:
            objs.append({"model": body["model"], "created_at": "2025-01-01T00:00:00Z",
                         "message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False})
        objs.append({**final, "message": {"role": "assistant", "content": ""}})
        for i, obj in enumerate(objs):
            if reply.die_after is not None and i >= reply.die_after:
                self.close_connection = True  # ends the body without its last chunk: a dead server
                return
            ok = (not reply.delay_s or self._pause(reply.delay_s)) and \
                self._write_chunk(json.dumps(obj).encode() + b"\n")
            if not ok:
                rec.disconnected = True
                self.fake.disconnected.set()
                self.close_connection = True
                return
            rec.chunks_sent += 1
        self._write_chunk(b"")
        rec.finished = True
