"""Reading JSON-RPC frames so that no malformed message can silence the server or leave a request hanging.

pygls 2.1's read loop has three failure modes a single bad client message triggers (found by the
protocol fuzzer, tests/reliability/test_protocol_fuzz.py):
- a header line that is not exactly `Content-Length: N` (or a body shorter than its length) glues the
  next header onto the garbage, and every later message is lost: the server goes deaf for good;
- a request whose params do not fit the method's type, or that arrives after `shutdown`, gets no
  response at all, so the client waits forever;
- a notification's method sent as a request runs but is never answered;
- invalid JSON and requests before `initialize` are dropped or left waiting, not answered.
`read_loop` keeps pygls' signature and replaces its loop (see `framing`): it finds the next
`Content-Length` header even after garbage, answers what it cannot handle with the JSON-RPC error the
spec names (-32700, -32600, -32602, -32002), and hands everything else to pygls unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

from pygls.exceptions import JsonRpcException

log = logging.getLogger(__name__)

HEADER = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n?$", re.IGNORECASE)
"""Matched at the END of a line, so a header glued after garbage (a lying length) is still found."""
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""A larger announced length is treated as garbage (reading it would allocate that much at once)."""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002


class Receiver:
    """Turns one frame's body into a pygls message, or into the error reply the client is owed."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.initialized = False

    def reply_error(self, msg_id: Any, code: int, message: str) -> None:
        try:
            self.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})
        except Exception:  # the transport may be gone
            log.debug("could not send an error reply", exc_info=True)

    def receive(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("invalid JSON from the client (%s)", exc)
            self.reply_error(None, PARSE_ERROR, f"Parse error: {exc}")
            return
        if not isinstance(data, dict):
            self.reply_error(None, INVALID_REQUEST, "Invalid Request: expected one JSON object (no batches)")
            return
        method = data.get("method")
        has_id = "id" in data
        msg_id = data.get("id")
        if has_id and (isinstance(msg_id, bool) or not (msg_id is None or isinstance(msg_id, (int, str)))):
            self.reply_error(None, INVALID_REQUEST, "Invalid Request: id must be a number or a string")
            return
        is_request = has_id and method is not None
        if is_request and not isinstance(method, str):
            self.reply_error(msg_id, INVALID_REQUEST, "Invalid Request: method must be a string")
            return
        if data.get("jsonrpc") != "2.0":
            log.warning("message without jsonrpc 2.0 dropped: %.200s", body)
            if is_request:
                self.reply_error(msg_id, INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"')
            return
        if not self._lifecycle_allows(data, is_request):
            return
        if method is not None:
            data.setdefault("params", None)  # JSON-RPC lets a client omit params; pygls' types want the key
        try:
            message = self.protocol.structure_message(data)
        except JsonRpcException as exc:
            if is_request:
                err = exc.to_response_error()
                code = err.code if err.code != INTERNAL_ERROR else INVALID_PARAMS
                self.reply_error(msg_id, code, f"{method}: the params do not fit the method ({err.message})")
            else:
                log.warning("notification %r dropped: its params do not fit", method)
            return
        if is_request and not hasattr(message, "id"):
            # A notification's method sent with an id: pygls would run it and answer nothing.
            self.reply_error(msg_id, INVALID_REQUEST, f"{method} is a notification; send it without an id")
            return
        if is_request and method == "initialize":
            self.initialized = True
        try:
            self.protocol.handle_message(message)
        except Exception as exc:  # a handler-dispatch failure must not end the read loop
            log.exception("could not handle %r", method)
            if is_request:
                self.reply_error(msg_id, INTERNAL_ERROR, f"{method}: {exc}")

    def _lifecycle_allows(self, data: dict[str, Any], is_request: bool) -> bool:
        """LSP's lifecycle: nothing before `initialize` (but exit), nothing but exit after `shutdown`."""
        method = data.get("method")
        if method is None or method == "exit":
            return True
        if not self.initialized and method != "initialize":
            if is_request:
                self.reply_error(data["id"], SERVER_NOT_INITIALIZED, f"{method}: the server is not initialized")
            return False
        if self.initialized and is_request and method == "initialize":
            self.reply_error(data["id"], INVALID_REQUEST, "initialize: the server is already initialized")
            return False
        if getattr(self.protocol, "_shutdown", False):
            if is_request:
                self.reply_error(data["id"], INVALID_REQUEST, f"{method}: the server is shutting down")
            return False
        return True


async def read_loop(stop_event: threading.Event, reader: Any, protocol: Any, logger: Any = None,
                    error_handler: Any = None) -> None:
    """pygls' `run_async` contract (read frames until EOF or stop), with resync and error replies."""
    receiver = Receiver(protocol)
    while not stop_event.is_set():
        length: int | None = None
        while True:  # headers, up to the blank line after a Content-Length
            line = await reader.readline()
            if not line:
                return
            if not line.strip():
                if length is not None:
                    break
                continue
            match = HEADER.search(line)
            if match:
                length = int(match.group(1))
                if length > MAX_MESSAGE_BYTES:
                    log.warning("announced message of %d bytes ignored (limit %d)", length, MAX_MESSAGE_BYTES)
                    length = None
            elif not line.lower().startswith(b"content-type"):
                log.warning("unexpected header line skipped: %.120r", line)
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError:  # TCP: the client went away mid-message
            return
        if len(body) < length:  # stdio: end of input mid-message
            return
        receiver.receive(body)


@contextlib.contextmanager
def framing() -> Iterator[None]:
    """Run pygls' stdio/TCP servers on `read_loop` (both call `pygls.server.run_async`)."""
    import pygls.server

    original = pygls.server.run_async
    pygls.server.run_async = read_loop  # type: ignore[assignment]
    try:
        yield
    finally:
        pygls.server.run_async = original
