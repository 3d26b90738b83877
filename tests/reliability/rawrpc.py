"""The one raw JSON-RPC client over the real server's stdio: for the reliability tests and the benches.

No client library sits in between. pytest-lsp only sends well-formed, typed messages; the fuzzer needs
to write arbitrary bytes (broken headers, invalid JSON, wrong types) and still tell afterwards whether
the server crashed (process exit), hung (a request got no answer) or answered wrongly. The benches time
requests from the client's side of the pipe: a response is "answered" when its JSON has been read and
decoded, as an editor sees it, and nothing is converted into typed objects (that would add the client's
own CPU to every figure on a 2-core machine the server shares).

It is synchronous on purpose, so hypothesis can drive it from a plain test function and a bench from a
plain loop: a reader thread parses the server's frames, records responses by id and `$/progress`
arrival times, and answers server->client requests the way a cooperative editor does, through a writer
thread, so the reader never blocks on a full pipe (a server blocked writing its replies stops reading;
a reader blocked writing an answer stops draining them: both waiting would deadlock). The caller writes
its own messages itself, so a timed request pays for no thread hop on its way out.

Tests import it as `reliability.rawrpc` (pyproject's pytest pythonpath), the benches as
`tests.reliability.rawrpc` (the checkout's root is on the path whenever `python -m bench` runs).
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "server"
PYCACHE = Path.home() / ".cache" / "cadre-bench" / "pycache"
"""Bytecode cache for the servers started here (outside the source tree)."""
DEFAULT_TIMEOUT_S = 15.0
"""A request unanswered this long counts as a hang (generous: 2 shared cores)."""

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
"""What VS Code offers for the features used here (work-done progress, code action literals)."""


class Hang(AssertionError):
    """A request got no response in time."""


class Crash(AssertionError):
    """The server process exited."""


class RpcError(Exception):
    """The server answered a request with an error (raised by `RawServer.call`)."""


def frame(obj: Any) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def server_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: our checkout first on the path, no user config, a private cache.

    Bytecode is cached (in PYCACHE) even where PYTHONDONTWRITEBYTECODE is set: an installed server has
    compiled .pyc files, and without them every start would recompile cadre_lsp from source while
    pygls and lsprotocol load theirs, which is not what an editor's user waits for."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "xdg-config"), "XDG_CACHE_HOME": str(home / "cache"),
           "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env["PYTHONPATH"] = os.pathsep.join([str(SERVER), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("CADRE_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**env, **(extra or {})}


def server_command(config: Path | None = None) -> list[str]:
    """`cadre-lsp serve`, the command the editor integrations run."""
    cmd = [sys.executable, "-m", "cadre_lsp", "serve"]
    return cmd + (["--config", str(config)] if config else [])


def initialize_params(root: Path, client: str = "cadre-rawrpc",
                      capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": capabilities or CAPABILITIES,
            "clientInfo": {"name": client},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]}


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
    config: Path | None = None
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] = field(init=False)
    replies: dict[Any, Reply] = field(default_factory=dict)
    notifications: list[tuple[str, Any]] = field(default_factory=list)
    progress: list[tuple[float, str, str]] = field(default_factory=list)
    """(time.perf_counter() on arrival, token, kind) of every `$/progress` (kind: begin, report, end)."""
    server_requests: list[str] = field(default_factory=list)
    applied_edits: int = 0
    stray_replies: list[dict[str, Any]] = field(default_factory=list)
    """Responses whose id we never sent (e.g. parse errors with id null)."""
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _out: queue.SimpleQueue[bytes | None] = field(default_factory=queue.SimpleQueue)
    _broken: bool = False
    _pending: set[Any] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._stderr = open(self.home / f"server-{time.monotonic_ns()}.log", "wb")
        self.proc = subprocess.Popen(server_command(self.config), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=server_env(self.home, self.env), cwd=str(self.root))
        assert self.proc.stdin is not None
        self._stdin = self.proc.stdin
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, name="rawrpc reader", daemon=True)
        self._reader.start()
        self._writer = threading.Thread(target=self._write_loop, name="rawrpc writer", daemon=True)
        self._writer.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    # -- writing ------------------------------------------------------------------------------------
    def send_bytes(self, data: bytes) -> None:
        """Write bytes to the server. The caller writes them itself (no thread hop in a timed request):
        it may block on a full pipe, but the reader thread goes on draining the server's output, so the
        server goes on reading. The reader thread's answers go through the writer thread instead: were
        the reader blocked on a full stdin, a server blocked writing its replies would wait for it."""
        if self._broken:
            raise Crash(f"the server's stdin is closed (exit status {self.proc.poll()})")
        if threading.get_ident() == self._reader.ident:
            self._out.put(data)
        else:
            self._write(data)

    def _write(self, data: bytes) -> bool:
        """One whole frame at a time (the lock keeps the caller's and the writer thread's apart); a
        closed pipe marks the server broken, as later calls will report."""
        with self._write_lock:
            try:
                self._stdin.write(data)
                self._stdin.flush()
                return True
            except (BrokenPipeError, OSError, ValueError):
                self._broken = True
                return False

    def _write_loop(self) -> None:
        while (data := self._out.get()) is not None and self._write(data):
            pass

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

    def call(self, method: str, params: Any = None, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        """The result of a request; RpcError when the server answers with an error."""
        reply = self.request(method, params, timeout)
        if reply.error is not None:
            raise RpcError(f"{method}: {reply.error}")
        return reply.result

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
            now = time.perf_counter()
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
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": self._answer(method, msg.get("params"))})
            else:
                with self._cond:
                    if method == "$/progress":
                        params = msg.get("params")
                        params = params if isinstance(params, dict) else {}
                        value = params.get("value")
                        kind = str(value.get("kind", "")) if isinstance(value, dict) else ""
                        self.progress.append((now, str(params.get("token")), kind))
                    self.notifications.append((method, msg.get("params")))
                    if len(self.notifications) > 5000:
                        del self.notifications[:2500]
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _answer(self, method: str, params: Any) -> Any:
        if method == "workspace/applyEdit":
            self.applied_edits += 1
            return {"applied": True}
        if method == "workspace/configuration":
            items = params.get("items", []) if isinstance(params, dict) else []
            return [None for _ in items]
        if method == "window/showDocument":
            return {"success": False}
        return None  # workDoneProgress/create, showMessageRequest, registerCapability, ...

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

    def wait_progress_begin(self, since: float, seen: set[str], timeout: float = DEFAULT_TIMEOUT_S,
                            ) -> tuple[float, str]:
        """(arrival time, token) of the first progress `begin` at or after `since` (a perf_counter time)
        for a token not in `seen`; woken by the reader the moment one arrives (no polling error)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, token, kind in self.progress:
                    if t >= since and kind == "begin" and token not in seen:
                        return t, token
                left = deadline - time.monotonic()
                if left <= 0 or not self.alive:
                    raise Hang(f"no new $/progress begin within {timeout}s")
                self._cond.wait(min(left, 0.5))

    # -- session ------------------------------------------------------------------------------------
    def initialize(self, capabilities: dict[str, Any] | None = None, *, client: str = "cadre-fuzz",
                   timeout: float = 60) -> Reply:
        reply = self.request("initialize", initialize_params(self.root, client, capabilities), timeout=timeout)
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


@contextlib.contextmanager
def session(root: Path, home: Path, config: Path | None = None, *, client: str = "cadre-bench",
            ) -> Iterator[RawServer]:
    """Start the server, initialize, yield it, then shut down and reap the process."""
    server = RawServer(root, home, config)
    try:
        reply = server.initialize(client=client, timeout=120)
        if reply.error is not None:
            raise RpcError(f"initialize: {reply.error}")
        yield server
    finally:
        server.stop()


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
