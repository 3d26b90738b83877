"""What the connected client can do, and the one way we send it requests.

Capabilities are read once, at initialize, into plain booleans so features ask `caps.show_document`
instead of walking optional lsprotocol fields. `ask()` sends a server->client request shielded from
cancellation: pygls 2.1.1 (bug #621) raises InvalidStateError when a reply arrives for a request whose
awaiting task was cancelled, which a cancelled job would otherwise trigger.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientCaps:
    name: str = ""
    encoding: str = types.PositionEncodingKind.Utf16
    work_done_progress: bool = False
    show_document: bool = False
    configuration: bool = False
    apply_edit: bool = False
    document_changes: bool = False
    show_message_actions: bool = True
    markdown_hover: bool = True
    code_action_literals: bool = False
    diagnostic_data: bool = False
    watch_files: bool = False
    """The client watches files for us when asked (workspace/didChangeWatchedFiles, dynamic registration)."""
    result_panel: bool = False
    """The bundled VS Code/Neovim plugins render `cadre/result` themselves (experimental.cadre.resultPanel):
    then explain does not also open a document, which would show the answer twice."""
    pattern_picker: bool = False
    """The client runs `cadre.runWithPattern` itself, asking for the action and pattern
    (experimental.cadre.patternPicker): the light bulb then offers one "cadre: With pattern…" entry."""

    @classmethod
    def read(cls, caps: types.ClientCapabilities, client_info: types.ClientInfo | None,
             encoding: str | None) -> ClientCaps:
        def cap(path: str, default: Any = None) -> Any:
            return get_capability(caps, path, default)

        resource_ops = cap("workspace.workspace_edit.resource_operations") or []
        hover_formats = cap("text_document.hover.content_format") or []
        return cls(
            name=(client_info.name if client_info else "") or "",
            encoding=encoding or types.PositionEncodingKind.Utf16,
            work_done_progress=bool(cap("window.work_done_progress", False)),
            show_document=bool(cap("window.show_document.support", False)),
            configuration=bool(cap("workspace.configuration", False)),
            apply_edit=bool(cap("workspace.apply_edit", False)),
            # Neovim 0.7 applies documentChanges without advertising them; resourceOperations imply them.
            document_changes=bool(cap("workspace.workspace_edit.document_changes", False)) or bool(resource_ops),
            show_message_actions=True,
            markdown_hover=not hover_formats or types.MarkupKind.Markdown in hover_formats,
            code_action_literals=cap("text_document.code_action.code_action_literal_support") is not None,
            diagnostic_data=bool(cap("text_document.publish_diagnostics.data_support", False)),
            watch_files=bool(cap("workspace.did_change_watched_files.dynamic_registration", False)),
            result_panel=_experimental_flag(caps, "resultPanel"),
            pattern_picker=_experimental_flag(caps, "patternPicker"),
        )


def _experimental_flag(caps: types.ClientCapabilities, name: str) -> bool:
    exp = caps.experimental
    if isinstance(exp, dict):
        cadre = exp.get("cadre")
        return isinstance(cadre, dict) and bool(cadre.get(name))
    return False


async def ask(ls: LanguageServer, method: str, params: Any, *, timeout: float | None = None) -> Any:
    """Send a request to the client and await its answer, shielded (see module docstring).

    Cancelling the caller stops the wait, not the request: the reply is then dropped quietly.
    """
    fut = ls.protocol.send_request_async(method, params)
    if timeout is None:
        return await asyncio.shield(fut)
    return await asyncio.wait_for(asyncio.shield(fut), timeout)


def notify(ls: LanguageServer, method: str, params: Any) -> None:
    """Send a notification, never raising (a closed transport at shutdown is not worth a traceback)."""
    try:
        ls.protocol.notify(method, params)
    except Exception:
        log.debug("could not send %s", method, exc_info=True)


def show_message(ls: LanguageServer, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
    try:
        ls.window_show_message(types.ShowMessageParams(type=kind, message=message))
    except Exception:
        log.debug("could not show message", exc_info=True)


def log_message(ls: LanguageServer, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
    try:
        ls.window_log_message(types.LogMessageParams(type=kind, message=message))
        if ls.protocol.trace != types.TraceValue.Off:
            ls.log_trace(types.LogTraceParams(message=message))
    except Exception:
        log.debug("could not log message", exc_info=True)


class LogForwarder(logging.Handler):
    """Sends the server's own log records (INFO and up, `cadre_lsp.*`) to the client as logMessages,
    so an editor's LSP log shows what the server did; records from other threads are skipped."""

    def __init__(self, ls: LanguageServer) -> None:
        super().__init__(logging.INFO)
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        if threading.current_thread() is not threading.main_thread() or self.ls.protocol.writer is None:
            return
        kind = next((v for k, v in _LEVELS if record.levelno >= k), types.MessageType.Log)
        try:
            text = self.format(record)
            if record.exc_info:
                text = f"{record.getMessage()} ({record.exc_info[1]!r})"
            self.ls.window_log_message(types.LogMessageParams(type=kind, message=f"{record.name}: {text}"))
        except Exception:  # never let logging break the server
            pass

    @classmethod
    def install(cls, ls: LanguageServer) -> None:
        """Forward to the client, and keep warnings with tracebacks on stderr (editors log it too)."""
        logger = logging.getLogger("cadre_lsp")
        logger.setLevel(logging.INFO)
        logger.addHandler(cls(ls))
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.WARNING)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(stderr)


_LEVELS = ((logging.ERROR, types.MessageType.Error), (logging.WARNING, types.MessageType.Warning),
           (logging.INFO, types.MessageType.Info))
