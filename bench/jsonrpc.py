"""A small LSP client speaking raw JSON-RPC over the server's stdio, for timing from the client's side.

No client library sits in the timed path: a response is "answered" when its JSON has been read and
decoded, as an editor sees it, and nothing is converted into typed objects (that would add the
client's own CPU to every figure on a 2-core machine the server shares). Server->client requests are
answered the way a cooperative editor answers them; `$/progress` arrival times are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import SERVER

PYCACHE = Path.home() / ".cache" / "cadre-bench" / "pycache"
"""Bytecode cache for the processes the benches start (outside the source tree)."""

CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "window": {"workDoneProgress": True},
    "workspace": {"applyEdit": True, "configuration": False},
    "textDocument": {
        "hover": {"contentFormat": ["markdown"]},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "refactor"]}}},
    },
}
"""What VS Code offers for the features the benches use (work-done progress, code action literals)."""


def server_env(home: Path) -> dict[str, str]:
    """The server's environment: our checkout first on the path, no user config, a private cache.

    Bytecode is cached (in PYCACHE) even where PYTHONDONTWRITEBYTECODE is set: an installed server has
    compiled .pyc files, and without them every start would recompile cadre_lsp from source while
    pygls and lsprotocol load theirs, which is not what an editor's user waits for."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "xdg-config"), "XDG_CACHE_HOME": str(home / "cache"),
           "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env["PYTHONPATH"] = os.pathsep.join([str(SERVER), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("CADRE_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def server_command(config: Path | None = None) -> list[str]:
    """`cadre-lsp serve`, the command the editor integrations run."""
    cmd = [sys.executable, "-m", "cadre_lsp", "serve"]
    return cmd + (["--config", str(config)] if config else [])


def frame(obj: dict[str, Any]) -> bytes:
    body = json.dumps(obj).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def read_message(stream: asyncio.StreamReader) -> dict[str, Any]:
    length = 0
    while True:
        line = await stream.readline()
        if not line:
            raise EOFError("the server closed stdout")
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(await stream.readexactly(length))


class RpcError(Exception):
    pass


@dataclass
class Client:
    proc: asyncio.subprocess.Process
    progress: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, token, kind) of every `$/progress` (kind: begin, report, end)."""
    began: asyncio.Event = field(default_factory=asyncio.Event)
    """Set on every `begin`, so a waiter wakes the moment one arrives (no polling error)."""
    applied_edits: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame(obj))

    async def request(self, method: str, params: Any) -> Any:
        msg_id = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await fut

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def first_begin_after(self, t0: float, seen: set[str]) -> tuple[float, str] | None:
        """The first progress `begin` at or after t0 for a token not in `seen`."""
        for t, token, kind in self.progress:
            if t >= t0 and kind == "begin" and token not in seen:
                return t, token
        return None

    async def read_loop(self) -> None:
        assert self.proc.stdout is not None
        while True:
            try:
                msg = await read_message(self.proc.stdout)
            except (EOFError, asyncio.IncompleteReadError):
                break
            now = time.perf_counter()
            method = msg.get("method")
            if method is None:  # a response to one of our requests
                fut = self._pending.pop(msg.get("id"), None)
                if fut is not None and not fut.done():
                    if "error" in msg:
                        fut.set_exception(RpcError(str(msg["error"])))
                    else:
                        fut.set_result(msg.get("result"))
            elif method == "$/progress":
                params = msg.get("params") or {}
                kind = str((params.get("value") or {}).get("kind", ""))
                self.progress.append((now, str(params.get("token")), kind))
                if kind == "begin":
                    self.began.set()
            elif "id" in msg:  # a request from the server: answer as an editor would
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": self._answer(method, msg.get("params"))})
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(EOFError("the server exited"))

    def _answer(self, method: str, params: Any) -> Any:
        if method == "workspace/applyEdit":
            self.applied_edits += 1
            return {"applied": True}
        if method == "workspace/configuration":
            return [None for _ in (params or {}).get("items", [])]
        if method == "window/showDocument":
            return {"success": False}
        return None  # workDoneProgress/create, showMessageRequest, registerCapability, ...


async def start(root: Path, home: Path, config: Path | None = None) -> Client:
    proc = await asyncio.create_subprocess_exec(*server_command(config), stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                                                env=server_env(home), cwd=str(root))
    return Client(proc)


def initialize_params(root: Path) -> dict[str, Any]:
    return {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": CAPABILITIES,
            "clientInfo": {"name": "cadre-bench"},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]}


async def stop(client: Client, reader: asyncio.Task[None] | None = None) -> None:
    """shutdown + exit, then make sure the process is gone."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.request("shutdown", None), 15)
        client.notify("exit", None)
        await asyncio.wait_for(client.proc.wait(), 10)
    if client.proc.returncode is None:
        client.proc.kill()
        await client.proc.wait()
    if reader is not None:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


@contextlib.asynccontextmanager
async def session(root: Path, home: Path, config: Path) -> AsyncIterator[Client]:
    """Start the server, initialize, yield the client, then shut down and reap the process."""
    client = await start(root, home, config)
    reader = asyncio.create_task(client.read_loop())
    try:
        await asyncio.wait_for(client.request("initialize", initialize_params(root)), 120)
        client.notify("initialized", {})
        yield client
    finally:
        await stop(client, reader)
