"""A minimal editor for the benches: pygls' LanguageClient over stdio, with arrival times recorded.

It answers every server->client request the cadre server may send (progress tokens, applyEdit,
configuration, showMessageRequest, showDocument) the way a cooperative editor does, and keeps the
`perf_counter()` of each `$/progress` so latency can be measured from the client's side of the pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from . import SERVER


@dataclass
class Arrivals:
    progress: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, token, kind) of every `$/progress` (kind: begin, report, end)."""
    created: list[tuple[float, str]] = field(default_factory=list)
    edits: int = 0
    began: asyncio.Event = field(default_factory=asyncio.Event)
    """Set on every `begin`, so a waiter wakes the moment one arrives (no polling error)."""

    def first_progress_after(self, t0: float, seen: set[str]) -> tuple[float, str] | None:
        """The first `begin` at or after t0 for a token not in `seen`."""
        for t, token, kind in self.progress:
            if t >= t0 and kind == "begin" and token not in seen:
                return t, token
        return None


def capabilities() -> types.ClientCapabilities:
    """What VS Code offers for the features the benches use (work-done progress, code action literals)."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(apply_edit=True, configuration=False),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["quickfix", "refactor"])))))


PYCACHE = Path.home() / ".cache" / "cadre-bench" / "pycache"
"""Bytecode cache for the processes the benches start (outside the source tree)."""


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


@contextlib.asynccontextmanager
async def session(root: Path, home: Path, config: Path) -> AsyncIterator[tuple[LanguageClient, Arrivals]]:
    """Start the server, initialize, yield (client, arrivals), then shut down and reap the process."""
    client = LanguageClient("cadre-bench", "1")
    arrivals = Arrivals()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def _create(params: types.WorkDoneProgressCreateParams) -> None:
        arrivals.created.append((time.perf_counter(), str(params.token)))

    @client.feature(types.PROGRESS)
    def _progress(params: Any) -> None:
        value = params.value
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", "")
        arrivals.progress.append((time.perf_counter(), str(params.token), str(kind)))
        if kind == "begin":
            arrivals.began.set()

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def _apply(_params: Any) -> types.ApplyWorkspaceEditResult:
        arrivals.edits += 1
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def _configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def _message_request(_params: Any) -> None:
        return None

    @client.feature(types.WINDOW_SHOW_DOCUMENT)
    def _show_document(_params: Any) -> types.ShowDocumentResult:
        return types.ShowDocumentResult(success=False)

    for method in ("cadre/result", "cadre/jobs", types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_MESSAGE,
                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS):
        client.feature(method)(lambda _params: None)

    await client.start_io(*server_command(config), env=server_env(home), cwd=str(root))
    drain = asyncio.create_task(_drain(client))
    try:
        await client.initialize_async(types.InitializeParams(
            capabilities=capabilities(), root_uri=root.as_uri(), process_id=os.getpid(),
            client_info=types.ClientInfo(name="cadre-bench"),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        client.initialized(types.InitializedParams())
        yield client, arrivals
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_async(None), 15)
            client.exit(None)
        server = getattr(client, "_server", None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 10)
        if server is not None and server.returncode is None:
            server.kill()
            await server.wait()
        drain.cancel()


async def _drain(client: LanguageClient) -> None:
    """Read the server's stderr so a chatty server can never block on a full pipe."""
    server = getattr(client, "_server", None)
    stream = getattr(server, "stderr", None)
    if stream is None:
        return
    while await stream.read(65536):
        pass
