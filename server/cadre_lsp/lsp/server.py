"""The cadre language server: its state, and every LSP method and command registered in one place.

Handlers stay thin (unpack params, call one function, convert the answer); the work lives in the
modules named after it: action_jobs (start, run, deliver by action), actions, deliver, diagnostics, hover, progress, settings.
Model work never happens in a handler: commands start jobs and return `{jobId}` at once, codeAction
only formats, and hover waits at most its configured budget.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..config import WORKSPACE_FILE
from ..core import Span, position_of
from .actions import (
    ADVERTISED_KINDS,
    CANCEL,
    COMMANDS,
    STATUS,
    BadArguments,
    CommandArgs,
    finding_fix,
    kind_allowed,
    list_actions,
)
from .actions import resolve as resolve_action
from .client import ClientCaps, LogForwarder, log_message, notify, show_message
from .diagnostics import FindingStore, finding_range, to_diagnostics
from .hover import HoverCache, definition_key
from .jobs import JobManager
from .open_documents import OpenDocuments
from .settings import SECTION, Settings, from_init_options, from_push
from .transport import framing

if TYPE_CHECKING:
    from ..pipeline import Engine

log = logging.getLogger(__name__)

JOBS_NOTIFICATION = "cadre/jobs"
HEALTH_TTL_S = 10.0


class CadreServer(LanguageServer):
    """pygls server plus the session state every feature shares."""

    def __init__(self, *, config_path: str | None = None) -> None:
        super().__init__("cadre-lsp", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings(cli_config=config_path)
        self.caps = ClientCaps()
        self._engine: Engine | None = None
        self.docs = OpenDocuments(store_source=lambda: self.engine.documents)
        self.jobs = JobManager(self._role_limit, self.notify_jobs)
        self.findings = FindingStore()
        self.hovers = HoverCache(self.jobs.spawn)
        self.ready = asyncio.Event()
        self.pending_config_error: str | None = None
        self._health: tuple[float, dict[str, bool]] | None = None
        self._tracker: Any = None

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        with framing():  # malformed input is answered, never fatal (transport.py)
            super().start_io(stdin, stdout)

    def start_tcp(self, host: str, port: int) -> None:
        with framing():
            super().start_tcp(host, port)

    # -- configuration ------------------------------------------------------------------------------
    def _role_limit(self, role: str) -> int:
        return self.engine.config.jobs_per_role.get(role, 1)

    @property
    def engine(self) -> Engine:
        """Configured on first use: `initialized` does it right after the InitializeResult has gone out,
        so the editor is not kept waiting on TOML and cattrs; any earlier handler just does it sooner."""
        if self._engine is None:
            self.load_initial()
        assert self._engine is not None
        return self._engine

    def load_initial(self) -> None:
        """First configuration: every layer, else the files alone, else the shipped defaults."""
        from ..config import ConfigError, shipped_config
        from ..pipeline import Engine

        try:
            config = self.settings.load()
        except ConfigError as exc:
            self.pending_config_error = f"cadre: {exc}"
            try:
                config = Settings(self.settings.workspace_root, self.settings.cli_config).load()
            except ConfigError:
                config = shipped_config()
        self._engine = Engine(config, workspace_root=self.settings.workspace_root)

    async def apply_settings(self) -> bool:
        """Rebuild the configuration from every layer; a bad value is shown and the old config stays."""
        from ..config import ConfigError

        try:
            config = self.settings.load()
        except ConfigError as exc:
            show_message(self, f"cadre: {exc} (keeping the previous configuration)", types.MessageType.Error)
            return False
        if config != self.engine.config:
            await self.engine.reconfigure(config)
            self.hovers.clear()
            self._health = None
            await self.jobs.limits_changed()
            log_message(self, "cadre: configuration applied")
        return True

    async def pull_settings(self) -> None:
        """workspace/configuration, section "cadre" (only for clients that support it)."""
        if not self.caps.configuration:
            return
        try:
            items = [types.ConfigurationItem(section=SECTION, scope_uri=self.workspace.root_uri)]
            reply = await asyncio.wait_for(asyncio.shield(
                self.workspace_configuration_async(types.ConfigurationParams(items=items))), 10)
        except Exception as exc:  # no answer means no editor settings
            log.info("workspace/configuration failed: %s", exc)
            return
        value = reply[0] if reply else None
        self.settings.live = from_push(value) or {}

    # -- notifications to the client ------------------------------------------------------------------
    def notify_jobs(self) -> None:
        models = {role: info.get("model", "?") for role, info in self.engine.pool.roles_dict().items()}
        notify(self, JOBS_NOTIFICATION, {"running": [j.as_dict() for j in self.jobs.jobs()], "models": models})

    def publish_findings(self, uri: str) -> None:
        doc = self.docs.get(uri)
        if doc is None:
            return
        diagnostics = to_diagnostics(uri, doc.text, self.findings.get(uri), self.caps.encoding)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version))

    # -- status ----------------------------------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        healthy = await self._endpoint_health()
        roles = {}
        for role, info in self.engine.pool.roles_dict().items():
            known = [healthy[e] for e in info.get("endpoints", []) if e in healthy]
            roles[role] = {"endpoints": info.get("endpoints", []), "model": info.get("model", "?"),
                           "healthy": any(known) if known else None}
        from .action_jobs import status_jobs  # loads with the first job (with deliver, explain, progress)

        return {"roles": roles, "jobs": status_jobs(self), "queue": self.jobs.queued,
                "stats": self.engine.pool.stats_dict(), **self.engine.pool.hosts_dict(),
                "debug": self.debug_counts()}

    def debug_counts(self) -> dict[str, int]:
        """What must return to its idle value once jobs end (the load test checks for leaks with it)."""
        return {"pid": os.getpid(), "asyncio_tasks": len(asyncio.all_tasks()), "helper_tasks": self.jobs.helpers,
                "progress_tokens": len(self.work_done_progress.tokens), "model_calls_in_flight": self.engine.pool.active}

    async def _endpoint_health(self) -> dict[str, bool]:
        if self._health is not None and time.monotonic() - self._health[0] < HEALTH_TTL_S:
            return self._health[1]
        try:
            results = await asyncio.wait_for(self.engine.pool.health(), 3)
        except Exception as exc:  # unknown health is reported as null, not an error
            log.info("health check failed: %s", exc)
            return {}
        health = {h.endpoint: h.ok for h in results}
        self._health = (time.monotonic(), health)
        return health

    # -- review on save ------------------------------------------------------------------------------
    @property
    def tracker(self) -> Any:
        if self._tracker is None:
            from ..context import ReviewTracker

            self._tracker = ReviewTracker()
        return self._tracker

    def review_changed(self, uri: str) -> int:
        """Start a review for each definition changed since the last review; returns how many."""
        doc = self.docs.get(uri)
        if doc is None:
            return 0
        from .action_jobs import start_action

        changed = self.tracker.changed_definitions(uri, doc.text, doc.language)
        for definition in changed[:MAX_SAVE_REVIEWS]:
            table = doc.lines
            end = len(doc.text) if definition.end_line >= table.line_count - 1 else table.starts[definition.end_line + 1]
            rng = table.range(table.starts[min(definition.start_line, table.line_count - 1)], end, self.caps.encoding)
            args = CommandArgs(uri, rng, doc.version)
            start_action(self, "review", args,
                         on_done=lambda _r, d=definition: self.tracker.mark_reviewed(uri, [d]))
        return min(len(changed), MAX_SAVE_REVIEWS)


MAX_SAVE_REVIEWS = 5
"""Definitions reviewed per save at most (the rest wait for the next save)."""


def _change_tuple(change: Any) -> tuple[tuple[int, int, int, int] | None, str]:
    rng = getattr(change, "range", None)
    if rng is None:
        return None, change.text
    return (rng.start.line, rng.start.character, rng.end.line, rng.end.character), change.text


def build_server(config_path: str | None = None) -> CadreServer:
    """A server with every feature registered (the single registration point)."""
    server = CadreServer(config_path=config_path)

    # -- lifecycle -------------------------------------------------------------------------------------
    @server.feature(types.INITIALIZE)
    def initialize(ls: CadreServer, params: types.InitializeParams) -> None:
        root = ls.workspace.root_path or None
        if not root and params.workspace_folders:
            root = to_fs_path(params.workspace_folders[0].uri)
        ls.settings.workspace_root = root
        ls.caps = ClientCaps.read(params.capabilities, params.client_info, ls.workspace.position_encoding)
        ls.docs.encoding = ls.caps.encoding
        ls.settings.init = from_init_options(params.initialization_options, ls.workspace.root_uri)
        if ls._engine is not None:  # something ran before initialize: redo it with the workspace known
            ls.load_initial()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CadreServer, params: types.InitializedParams) -> None:
        try:
            ls.engine  # noqa: B018 -- load the configuration now (see CadreServer.engine)
            if ls.pending_config_error:
                show_message(ls, f"{ls.pending_config_error} (using the configuration without it)",
                             types.MessageType.Error)
            if ls.caps.configuration:
                await ls.pull_settings()
                if ls.settings.live:
                    await ls.apply_settings()
            if ls.caps.watch_files:  # edits to .cadre.toml apply without a restart
                ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                    id="cadre-config-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                        types.FileSystemWatcher(glob_pattern=f"**/{WORKSPACE_FILE}")]))]))
            ls.notify_jobs()  # status bars learn the active models before the first job
            log_message(ls, f"cadre-lsp {__version__}: roles {sorted(ls.engine.config.roles)}, "
                            f"encoding {ls.caps.encoding}, client {ls.caps.name or '?'}")
        finally:
            ls.ready.set()

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CadreServer, params: None) -> None:
        await ls.jobs.shutdown()
        await ls.engine.aclose()

    @server.feature(types.EXIT)
    def exit_(ls: CadreServer, params: None) -> None:
        # Over TCP, pygls' own sys.exit() is swallowed by asyncio's connection callback and the process
        # would keep listening; closing the listener ends `serve_forever` (stdio exits on its own).
        if getattr(ls, "_server", None) is not None:
            ls.shutdown()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: CadreServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = from_push(params.settings)
        if pushed is None:
            if not ls.caps.configuration:
                return
            await ls.pull_settings()
        else:
            ls.settings.live = pushed
        await ls.apply_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: CadreServer, params: types.DidChangeWatchedFilesParams) -> None:
        """The workspace's .cadre.toml was created, changed or deleted: reload every layer (a bad value is
        shown naming its key and file, and the previous configuration stays)."""
        if any((to_fs_path(c.uri) or "").endswith(f"/{WORKSPACE_FILE}") for c in params.changes):
            await ls.apply_settings()

    # -- document sync (plain defs: they run in arrival order, before any later request) ------------
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CadreServer, params: types.DidOpenTextDocumentParams) -> None:
        d = params.text_document
        ls.docs.open(d.uri, d.text, d.version, d.language_id)
        if ls.engine.config.review.on_save:
            ls.tracker.mark_all_reviewed(d.uri, d.text, ls.docs.get(d.uri).language)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CadreServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        before = ls.docs.get(uri)
        old_text = before.text if before is not None else ""
        applied = ls.docs.change(uri, params.text_document.version,
                                 [_change_tuple(c) for c in params.content_changes])
        if applied and ls.findings.on_change(uri, old_text, applied):
            ls.publish_findings(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: CadreServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.engine.config.review.on_save:
            ls.review_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CadreServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.docs.close(uri)
        if ls.findings.clear(uri):
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- code actions (never call a model) -----------------------------------------------------------
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=ADVERTISED_KINDS, resolve_provider=True))
    def code_action(ls: CadreServer, params: types.CodeActionParams) -> list[types.CodeAction | types.Command]:
        uri = params.text_document.uri
        doc = ls.docs.get(uri)
        version = doc.version if doc else None
        only = params.context.only
        specs = _finding_fixes(ls, uri, params) if doc is not None else []
        specs = [s for s in specs if kind_allowed(s.kind, only)]
        specs += list_actions(uri, params.range, version, patterns=_patterns(ls),
                              default_patterns=ls.engine.config.action_patterns, only=only,
                              show_patterns=ls.settings.show_patterns(), picker=ls.caps.pattern_picker,
                              others=len(specs))
        if not ls.caps.code_action_literals:  # pre-3.8 clients take bare Commands only
            return [s.command() for s in specs]
        return [s.to_lsp() for s in specs]

    @server.feature(types.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: CadreServer, params: types.CodeAction) -> types.CodeAction:
        spec = resolve_action(params.data)
        if spec is not None and params.command is None:
            spec.title = params.title
            params.command = spec.command()
        return params

    # -- hover (bounded by the configured budget) ------------------------------------------------------
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: CadreServer, params: types.HoverParams) -> types.Hover | None:
        await ls.ready.wait()
        cfg = ls.engine.config.hover
        doc = ls.docs.get(params.text_document.uri)
        if not cfg.enabled or doc is None:
            return None
        offset = doc.lines.offset(params.position.line, params.position.character, ls.caps.encoding)
        key = definition_key(ls.engine.documents.get(doc.uri), doc.text, offset)
        request = _hover_request(ls, doc, offset)
        engine = ls.engine
        text = await ls.hovers.get(key, lambda: engine.hover_text(request), cfg.budget_ms / 1000)
        if not text:
            return None
        kind = types.MarkupKind.Markdown if ls.caps.markdown_hover else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind=kind, value=text))

    # -- progress cancel (the Cancel button) ----------------------------------------------------------
    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def progress_cancel(ls: CadreServer, params: types.WorkDoneProgressCancelParams) -> None:
        job = ls.jobs.by_token(params.token)
        if job is not None:
            ls.jobs.cancel(job.id)

    # -- commands ----------------------------------------------------------------------------------------
    def register_action(action: str) -> None:
        @server.command(COMMANDS[action])  # type: ignore[index]
        async def run_action(ls: CadreServer, *args: Any) -> dict[str, Any]:
            from .action_jobs import NotReadable, start_action

            await ls.ready.wait()
            try:
                job = start_action(ls, action, CommandArgs.parse(args))  # type: ignore[arg-type]
            except (BadArguments, NotReadable) as exc:
                raise JsonRpcInvalidParams(f"{COMMANDS[action]}: {exc}") from None  # type: ignore[index]
            return {"jobId": job.id}

    for action in COMMANDS:
        register_action(action)

    @server.command(CANCEL)
    def cancel(ls: CadreServer, *args: Any) -> dict[str, Any]:
        job_id = args[0].get("jobId") if args and isinstance(args[0], dict) else None
        return {"cancelled": ls.jobs.cancel(job_id)}

    @server.command(STATUS)
    async def status(ls: CadreServer, *args: Any) -> dict[str, Any]:
        return await ls.status()

    return server


def _patterns(ls: CadreServer) -> list[str]:
    from ..router import pattern_names

    return pattern_names(ls.engine.config)


def _finding_fixes(ls: CadreServer, uri: str, params: types.CodeActionParams) -> list[Any]:
    """A quick fix per stored finding on the requested lines; the finding comes from our store (by the
    diagnostic's `data` id where the client sent it), never from the echoed range."""
    doc = ls.docs.get(uri)
    assert doc is not None
    if not ls.findings.get(uri):  # the common case: nothing reviewed here, no line table needed
        return []
    start, end = doc.lines.range_offsets(params.range, ls.caps.encoding)
    first, last = position_of(doc.text, start)[0], position_of(doc.text, end)[0]
    echoed: dict[str, types.Diagnostic] = {}
    for d in params.context.diagnostics or []:
        if isinstance(d.data, dict) and isinstance(d.data.get("id"), str):
            echoed[d.data["id"]] = d
    stored = {f.id: f for f in ls.findings.overlapping(uri, first, last)}
    for fid in echoed:
        found = ls.findings.find(uri, fid)
        if found is not None:
            stored[fid] = found
    out = []
    table = doc.lines
    for f in stored.values():
        rng = finding_range(doc.text, table, f.finding, ls.caps.encoding)
        diagnostics = [echoed[f.id]] if f.id in echoed else []
        out.append(finding_fix(uri, rng, doc.version, f.finding, diagnostics))
    return out


def _hover_request(ls: CadreServer, doc: Any, offset: int) -> Any:
    from ..context import language_for, normalize_language
    from ..core import Request

    path = to_fs_path(doc.uri) or doc.uri
    line, col = position_of(doc.text, offset)
    return Request(action="explain", path=path, text=doc.text, span=Span(line, col, line, col),
                   version=doc.version, language=normalize_language(doc.language) or language_for(path),
                   workspace_root=ls.settings.workspace_root)


def serve(*, tcp: str | None = None, config_path: str | None = None) -> int:
    """Run the server on stdio (default) or on TCP "HOST:PORT"; returns the exit status."""
    server = build_server(config_path)
    LogForwarder.install(server)
    if tcp:
        host, _, port = tcp.rpartition(":")
        try:
            port_no = int(port)
        except ValueError:
            raise SystemExit(f"--tcp expects HOST:PORT, got {tcp!r}") from None
        server.start_tcp(host or "127.0.0.1", port_no)
    else:
        server.start_io()
    return 0
