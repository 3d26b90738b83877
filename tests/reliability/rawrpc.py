"""A raw JSON-RPC client over the real server's stdio, for sending what no well-behaved client would.

pytest-lsp only sends well-formed, typed messages; the fuzzer needs to write arbitrary bytes (broken
headers, invalid JSON, wrong types) and still tell afterwards whether the server crashed (process
exit), hung (a request got no answer) or answered wrongly. It is synchronous on purpose, so hypothesis
can drive it from a plain test function: a reader thread parses the server's frames, records
responses by id and answers server->client requests the way a cooperative editor does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT_S = 15.0
"""A request unanswered this long counts as a hang (generous: 2 shared cores)."""


class Hang(AssertionError):
    """A request got no response in time."""


class Crash(AssertionError):
    """The server process exited."""


def frame(obj: Any) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def server_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "server"), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "xdg-config"), **(extra or {})}
    env.pop("CADRE_CONFIG", None)
    return env


@dataclass
class Reply:
    id: Any
    result: Any = None
    error: dict[str, Any] | None = None


@dataclass
class RawServer:
    """One server process; `request` waits for the reply, `send_bytes` writes anything at all."""

    root: Path
    home: Path
    config: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] = field(init=False)
    replies: dict[Any, Reply] = field(default_factory=dict)
    notifications: list[tuple[str, Any]] = field(default_factory=list)
    server_requests: list[str] = field(default_factory=list)
    stray_replies: list[dict[str, Any]] = field(default_factory=list)
    """Responses whose id we never sent (e.g. parse errors with id null)."""
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _out: queue.Queue[bytes | None] = field(default_factory=queue.Queue)
    _broken: bool = False
    _pending: set[Any] = field(default_factory=set)

    def __post_init__(self) -> None:
        cmd = [sys.executable, "-m", "cadre_lsp.lsp", "--config", str(self.config)]
        self._stderr = open(self.home / f"server-{time.monotonic_ns()}.log", "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=server_env(self.home, self.env), cwd=str(self.root))
        self._reader = threading.Thread(target=self._read_loop, name="rawrpc reader", daemon=True)
        self._reader.start()
        self._writer = threading.Thread(target=self._write_loop, name="rawrpc writer", daemon=True)
        self._writer.start()

    # -- writing ------------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def send_bytes(self, data: bytes) -> None:
        """Queue bytes for the writer thread: neither the test nor the reader thread ever blocks on a
        full pipe (a server blocked writing its replies stops reading; both waiting would deadlock)."""
        if self._broken:
            raise Crash(f"the server's stdin is closed (exit status {self.proc.poll()})")
        self._out.put(data)

    def _write_loop(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        while (data := self._out.get()) is not None:
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._broken = True
                return

    def send(self, obj: Any) -> None:
        self.send_bytes(frame(obj))

    def next_id(self) -> int:
        return next(self._ids)

    def request_nowait(self, method: str, params: Any = None, *, msg_id: Any = None) -> Any:
        msg_id = self.next_id() if msg_id is None else msg_id
        with self._cond:
            self._pending.add(msg_id)
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return msg_id

    def wait_reply(self, msg_id: Any, timeout: float = DEFAULT_TIMEOUT_S) -> Reply:
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.replies:
                left = deadline - time.monotonic()
                if not self.alive:
                    raise Crash(f"the server exited (status {self.proc.poll()}) before answering {msg_id!r}")
                if left <= 0:
                    raise Hang(f"no answer to request {msg_id!r} within {timeout}s")
                self._cond.wait(min(left, 0.5))
            self._pending.discard(msg_id)
            return self.replies.pop(msg_id)

    def request(self, method: str, params: Any = None, timeout: float = DEFAULT_TIMEOUT_S) -> Reply:
        return self.wait_reply(self.request_nowait(method, params), timeout)

    def notify(self, method: str, params: Any = None) -> None:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    # -- reading ------------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            msg = _read_frame(out)
            if msg is None:
                break
            if not isinstance(msg, dict):
                continue
            method = msg.get("method")
            if method is None:
                with self._cond:
                    if msg.get("id") in self._pending:
                        self.replies[msg["id"]] = Reply(msg["id"], msg.get("result"), msg.get("error"))
                    else:
                        self.stray_replies.append(msg)
                    self._cond.notify_all()
            elif "id" in msg:
                self.server_requests.append(method)
                with contextlib.suppress(Crash):
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": _answer(method, msg.get("params"))})
            else:
                with self._cond:
                    self.notifications.append((method, msg.get("params")))
                    if len(self.notifications) > 5000:
                        del self.notifications[:2500]
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_notification(self, predicate: Any, timeout: float = DEFAULT_TIMEOUT_S) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for note in self.notifications:
                    if predicate(*note):
                        return note
                left = deadline - time.monotonic()
                if left <= 0 or not self.alive:
                    raise Hang(f"no matching notification within {timeout}s")
                self._cond.wait(min(left, 0.5))

    # -- session ------------------------------------------------------------------------------------
    def initialize(self, capabilities: dict[str, Any] | None = None) -> Reply:
        reply = self.request("initialize", {
            "processId": os.getpid(), "rootUri": self.root.as_uri(), "capabilities": capabilities or CAPABILITIES,
            "clientInfo": {"name": "cadre-fuzz"},
            "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}]}, timeout=60)
        self.notify("initialized", {})
        return reply

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                              "version": version, "text": text}})

    def stop(self) -> int | None:
        """shutdown + exit when still alive, then reap; returns the exit status."""
        if self.alive:
            with contextlib.suppress(Crash, Hang):
                self.request("shutdown", timeout=15)
                self.notify("exit")
            self._out.put(None)
            self._writer.join(10)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.put(None)
        self._reader.join(5)
        self._stderr.close()
        return self.proc.returncode

    def stderr_text(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return Path(self._stderr.name).read_text(errors="replace")


CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "window": {"workDoneProgress": True},
    "workspace": {"applyEdit": True, "configuration": False,
                  "workspaceEdit": {"documentChanges": True}},
    "textDocument": {
        "hover": {"contentFormat": ["markdown"]},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "refactor"]}}},
    },
}


def _answer(method: str, params: Any) -> Any:
    if method == "workspace/applyEdit":
        return {"applied": True}
    if method == "workspace/configuration":
        items = params.get("items", []) if isinstance(params, dict) else []
        return [None for _ in items]
    if method == "window/showDocument":
        return {"success": False}
    return None


def _read_frame(stream: IO[bytes]) -> Any:
    """One message from the server, or None at end of stream."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            if length is None:
                continue
            break
        name, _, value = line.decode(errors="replace").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    body = stream.read(length)
    if len(body) < length:
        return None
    return json.loads(body)
