"""What the fake model servers (`ollama_server`, `openai_server`) share: the threaded HTTP server on a
random 127.0.0.1 port, the reply queue, request recording, and chunked streaming that notices at once
when the client hangs up.

Each fake subclasses `FakeHTTPServer` (lifecycle, scripting) and `FakeHandler` (HTTP plumbing) and keeps
only its own wire format: routes, JSON shapes, how a reply becomes stream frames.
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
from typing import Any, ClassVar, TypeVar


@dataclass
class ScriptedReply:
    """The fields every fake's `Reply` has, in the order both constructors take them."""

    text: str = "ok"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Native calls as {"name": ..., "arguments": ...}; each fake says how they go out."""
    chunks: list[str] | None = None
    """How `text` is streamed; default: one chunk per word (with its leading whitespace)."""
    status: int = 200
    """Anything but 200 answers the fake's error body with this status instead of a chat response."""
    error: str = "internal server error"
    error_headers: dict[str, str] = field(default_factory=dict)
    """Extra headers on an error answer, e.g. {"Retry-After": "2"} on a 429."""
    die_after: int | None = None
    """Streaming only: close the connection after this many frames, without the rest of the stream."""
    delay_s: float = 0.0
    """Pause before each chunk (and before a non-streamed answer): slow tokens for timeouts/cancels."""
    raw: bytes | None = None
    """Answer HTTP 200 with exactly these bytes as the body (garbage, truncated JSON) instead of a chat
    response; streamed requests get them as the chunked stream body."""

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


def prompt_words(body: dict[str, Any]) -> int:
    """The fakes' stand-in for a prompt token count: words in the request's messages."""
    return sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))


Server = TypeVar("Server", bound="FakeHTTPServer")


class FakeHTTPServer:
    """A scriptable HTTP server on a random local port, served from a background thread.

    Replies are taken from the queue in order; when it is empty `reply_fn(body)` answers (default: the
    subclass's `reply_type()`, i.e. "ok"). Every request is recorded; `disconnected` is set the moment any
    client closes a stream early, so cancellation tests can wait on it.
    """

    reply_type: ClassVar[type[ScriptedReply]] = ScriptedReply
    handler_type: ClassVar[type[FakeHandler]]
    thread_name: ClassVar[str] = "fake-http"
    url_path: ClassVar[str] = ""
    """Appended to http://127.0.0.1:<port> to make `url`."""

    def __init__(self, replies: Iterable[Any] = (), *,
                 reply_fn: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.replies: deque[Any] = deque(replies)
        self.reply_fn = reply_fn
        self.requests: list[Recorded] = []
        self.disconnected = threading.Event()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL clients are given."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.url_path}"

    def start(self: Server) -> Server:
        handler = type("Handler", (self.handler_type,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=self.thread_name,
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self: Server) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting -----------------------------------------------------------------------------------
    def push(self, *replies: Any) -> None:
        self.replies.extend(replies)

    def chat_requests(self) -> list[Recorded]:
        """The recorded chat requests; each fake knows its own chat route."""
        raise NotImplementedError

    def _next_reply(self, body: dict[str, Any]) -> Any:
        if self.replies:
            r = self.replies.popleft()
        elif self.reply_fn is not None:
            r = self.reply_fn(body)
        else:
            r = self.reply_type()
        return self.reply_type(text=r) if isinstance(r, str) else r


class FakeHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 plumbing for one request; subclasses add `do_GET`/`do_POST` in their wire format."""

    protocol_version = "HTTP/1.1"
    json_content_type = "application/json"
    fake: FakeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _read_body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}

    def _record(self, body: dict[str, Any]) -> Recorded:
        rec = Recorded(self.command, self.path, body, headers={k.lower(): v for k, v in self.headers.items()})
        self.fake.requests.append(rec)
        return rec

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.json_content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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

    def _hung_up(self, rec: Recorded) -> None:
        rec.disconnected = True
        self.fake.disconnected.set()

    def _delay_answer(self, reply: ScriptedReply, rec: Recorded) -> bool:
        """The pause before a non-streamed answer; False (and recorded) if the client left meanwhile."""
        if reply.delay_s and not self._pause(reply.delay_s):
            self._hung_up(rec)
            return False
        return True

    def _send_raw(self, rec: Recorded, reply: ScriptedReply, content_type: str) -> None:
        """A 200 whose body is `reply.raw` as is: what a confused proxy or a crashed server may send."""
        assert reply.raw is not None
        if not self._delay_answer(reply, rec):
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(reply.raw)))
        self.end_headers()
        try:
            self.wfile.write(reply.raw)
        except OSError:
            self._hung_up(rec)
            return
        rec.finished = True

    def _stream(self, rec: Recorded, reply: ScriptedReply, content_type: str, frames: list[bytes],
                headers: dict[str, str] | None = None) -> None:
        """Send `frames` as a chunked body, honouring the reply's `delay_s` and `die_after`."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i, frame in enumerate(frames):
            if reply.die_after is not None and i >= reply.die_after:
                self.close_connection = True  # ends the body without its last chunk: a dead server
                return
            ok = (not reply.delay_s or self._pause(reply.delay_s)) and self._write_chunk(frame)
            if not ok:
                self._hung_up(rec)
                self.close_connection = True
                return
            rec.chunks_sent += 1
        self._write_chunk(b"")
        rec.finished = True
