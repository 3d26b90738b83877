"""A pytest-lsp session against the real server (subprocess, stdio) with a scripted model backend.

The test client behaves like an editor: it keeps its own buffers, applies `workspace/applyEdit` only
when the edit's version matches its buffer (as VS Code does), then sends the resulting didChange, and
converts positions with the negotiated encoding by its own (independent) code. Every server->client
request the server may send has a handler here; capability-check warnings from pytest-lsp fail the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient
from pytest_lsp.checks import LspSpecificationWarning
from pytest_lsp.client import make_test_lsp_client

REPO = Path(__file__).resolve().parents[2]
CLIENTS = Path(__file__).resolve().parent / "clients"
PROFILES = ["visual_studio_code", "neovim@v0.7", "helix"]
ALL_ROLES = ("reasoning", "coding", "validator", "competitor", "judge", "tools", "summarizer")

# Words that tell the prompts apart (patterns/prompts.py); kept here so a prompt rewording is one edit.
REVIEW = '"findings"'
FIX = "corrected"
HOVER = "one or two sentences"
EXPLAIN = "Explain this"

SHOP = '''"""A tiny shop."""


def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total


def greet(name):
    """Greet with a wave: 👋 héllo."""
    return "👋 héllo " + nam


def largest(values):
    """Return the largest value."""
    best = values[0]
    for v in values[1:]:
        if v < best:
            best = v
    return best
'''

TOTAL_FIXED = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total += p
    return total
'''

GREET_FIXED = '''def greet(name):
    """Greet with a wave: 👋 héllo."""
    return "👋 héllo " + name
'''


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def review_reply(*findings: tuple[int, str, str]) -> str:
    """A review answer; lines are 1-based file lines (as the numbered prompt shows them)."""
    return json.dumps({"findings": [
        {"start_line": line, "end_line": line, "severity": sev, "message": msg, "suggestion": "fix it"}
        for line, sev, msg in findings]})


def exchange(*contains: str, reply: Any = "", **extra: Any) -> dict[str, Any]:
    return {"match": {"contains": list(contains)}, "reply": reply, **extra}


def default_script() -> list[dict[str, Any]]:
    return [
        exchange(REVIEW, "def total_price", reply=review_reply((8, "error", "subtracts instead of adding"))),
        exchange(FIX, "def total_price", reply=fenced(TOTAL_FIXED)),
        exchange(FIX, "def greet", reply=fenced(GREET_FIXED)),
        exchange(HOVER, "def total_price", reply="Adds up the prices (but subtracts: a bug)."),
        exchange(HOVER, reply="A helper."),
        exchange(EXPLAIN, "def total_price", reply="## total_price\nSums `prices` — but **subtracts**."),
        exchange(EXPLAIN, reply="Some code."),
    ]


# -- capabilities ------------------------------------------------------------------------------------

def client_info(profile: str) -> types.ClientInfo:
    return types.ClientInfo(name=profile.split("@")[0], version=profile.partition("@")[2] or None)


def capabilities(profile: str) -> types.ClientCapabilities:
    """pytest-lsp's recorded profiles, Helix's (transcribed from its source), and a bare client."""
    from lsprotocol.converters import get_converter

    if profile == "helix":
        data = json.loads((CLIENTS / "helix_v25.07.json").read_text())
        return get_converter().structure(data["capabilities"], types.ClientCapabilities)
    if profile == "bare":
        # No window capabilities at all (no workDoneProgress, no showDocument), no configuration pull.
        return types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(apply_edit=True),
            text_document=types.TextDocumentClientCapabilities(code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["quickfix", "refactor"])))))
    return pytest_lsp.client_capabilities(profile)


# -- positions, computed independently of the server's code ------------------------------------------

def units(s: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(s.encode("utf-8"))
    if encoding == "utf-32":
        return len(s)
    return len(s.encode("utf-16-le")) // 2


def to_position(text: str, offset: int, encoding: str) -> types.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=units(text[start:offset], encoding))


def to_offset(text: str, pos: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    if pos.line >= len(lines):
        return len(text)
    start = sum(len(x) + 1 for x in lines[: pos.line])
    n = 0
    for i, ch in enumerate(lines[pos.line]):
        if n >= pos.character:
            return start + i
        n += units(ch, encoding)
    return start + len(lines[pos.line])


# -- workspace -----------------------------------------------------------------------------------------

@dataclass
class Workspace:
    root: Path
    home: Path

    @classmethod
    def create(cls, tmp_path: Path, files: dict[str, str] | None = None) -> Workspace:
        """`project/` (the workspace, with `files`; default: shop.py) and `home/` (HOME, config, cache)."""
        w = cls(root=tmp_path / "project", home=tmp_path / "home")
        w.root.mkdir()
        w.home.mkdir()
        for name, text in ({"shop.py": SHOP} if files is None else files).items():
            w.write(name, text)
        return w

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path.as_uri()

    def configure(self, exchanges: list[dict[str, Any]] | None = None, *, latency_s: float = 0.0,
                  tokens_per_s: float | None = None, extra: str = "") -> Path:
        """Write script.json and cadre.toml (every role on one scripted endpoint); returns the toml."""
        (self.home / "script.json").write_text(json.dumps(exchanges if exchanges is not None else default_script()))
        tps = f"tokens_per_s = {tokens_per_s}\n" if tokens_per_s else ""
        roles = "".join(f'{r} = ["s"]\n' for r in ALL_ROLES)
        toml = (f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\nmodel = "scripted-model"\n'
                f"latency_s = {latency_s}\n{tps}retries = 0\n\n[roles]\n{roles}\n{extra}\n")
        path = self.home / "cadre.toml"
        path.write_text(toml)
        return path

    @property
    def cache(self) -> Path:
        return self.home / "cache"


@dataclass
class Buffer:
    text: str
    version: int


@dataclass
class Session:
    client: LanguageClient
    profile: str
    encoding: str = "utf-16"
    buffers: dict[str, Buffer] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    job_notes: list[dict[str, Any]] = field(default_factory=list)
    edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    refused_edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    message_requests: list[types.ShowMessageRequestParams] = field(default_factory=list)
    registrations: list[types.Registration] = field(default_factory=list)
    answer: str | None = None
    """Title of the action to pick when the server asks (showMessageRequest); None dismisses."""

    # -- buffers ---------------------------------------------------------------------------------
    def open(self, uri: str, text: str, language: str = "python") -> None:
        self.buffers[uri] = Buffer(text, 1)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))

    def text(self, uri: str) -> str:
        return self.buffers[uri].text

    def pos(self, uri: str, needle: str, *, after: bool = False, nth: int = 0) -> types.Position:
        text = self.text(uri)
        i = -1
        for _ in range(nth + 1):
            i = text.index(needle, i + 1)
        return to_position(text, i + (len(needle) if after else 0), self.encoding)

    def line_range(self, uri: str, first: int, last: int) -> types.Range:
        """Whole lines first..last (0-based), in client units."""
        lines = self.text(uri).split("\n")
        return types.Range(start=types.Position(line=first, character=0),
                           end=types.Position(line=last, character=units(lines[last], self.encoding)))

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        """Type: replace text[start:end] (offsets) and send the incremental didChange."""
        buf = self.buffers[uri]
        rng = types.Range(start=to_position(buf.text, start, self.encoding),
                          end=to_position(buf.text, end, self.encoding))
        buf.text = buf.text[:start] + new_text + buf.text[end:]
        buf.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=buf.version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)]))

    def insert(self, uri: str, needle: str, new_text: str, *, after: bool = True) -> None:
        text = self.text(uri)
        i = text.index(needle) + (len(needle) if after else 0)
        self.replace(uri, i, i, new_text)

    def _apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edit = params.edit
        targets: list[tuple[str, int | None, list[types.TextEdit]]] = []
        for dc in edit.document_changes or []:
            assert isinstance(dc, types.TextDocumentEdit), dc
            targets.append((dc.text_document.uri, dc.text_document.version, list(dc.edits)))  # type: ignore[arg-type]
        for uri, edits in (edit.changes or {}).items():
            targets.append((uri, None, list(edits)))
        for uri, version, _ in targets:
            if version is not None and version != self.buffers[uri].version:
                self.refused_edits.append(params)
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="document version changed")
        self.edits.append(params)
        for uri, _, edits in targets:
            buf = self.buffers[uri]
            spans = [(to_offset(buf.text, e.range.start, self.encoding), to_offset(buf.text, e.range.end, self.encoding),
                      e.new_text) for e in edits]
            for start, end, new_text in sorted(spans, reverse=True):
                self.replace(uri, start, end, new_text)
        return types.ApplyWorkspaceEditResult(applied=True)

    # -- requests --------------------------------------------------------------------------------
    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args) or None))

    async def run(self, action: str, uri: str, rng: types.Range, **extra: Any) -> str:
        """Run a cadre action the way an editor does (the command of the listed code action)."""
        args = {"uri": uri, "range": _json_range(rng), "version": self.buffers[uri].version, **extra}
        reply = await self.command(f"cadre.{action}", args)
        return reply["jobId"]

    async def code_actions(self, uri: str, rng: types.Range, *, only: list[str] | None = None,
                           diagnostics: list[types.Diagnostic] | None = None) -> list[types.CodeAction]:
        result = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics or [], only=only)))
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    async def hover(self, uri: str, pos: types.Position) -> types.Hover | None:
        return await self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=pos))

    async def status(self) -> dict[str, Any]:
        return await self.command("cadre.status")

    def result_of(self, job_id: str) -> dict[str, Any] | None:
        return next((r for r in self.results if r.get("jobId") == job_id), None)

    async def wait_result(self, job_id: str, timeout: float = 20) -> dict[str, Any]:
        await wait_for(lambda: self.result_of(job_id) is not None, timeout, f"cadre/result for {job_id}")
        return self.result_of(job_id)  # type: ignore[return-value]

    def progress(self) -> dict[Any, list[Any]]:
        return self.client.progress_reports

    def message_texts(self) -> list[str]:
        return [m.message for m in self.client.messages]


async def wait_for(predicate: Callable[[], Any], timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def _json_range(r: types.Range) -> dict[str, Any]:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def _plain(value: Any) -> Any:
    """pygls hands params of unknown methods over as namedtuple-like `Object`s: make them plain JSON."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _fix_code_action_union(client: LanguageClient) -> None:
    """lsprotocol 2025.0.0 structures any `Command | CodeAction` that has a "command" key as a Command,
    so a CodeAction carrying a command arrives mangled; tell them apart by `command`'s type instead."""
    from typing import Union

    conv = client.protocol._converter

    def hook(obj: Any, _: type) -> Any:
        if isinstance(obj.get("command"), str):
            return conv.structure(obj, types.Command)
        return conv.structure(obj, types.CodeAction)

    conv.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


@contextlib.asynccontextmanager
async def session(ws: Workspace, profile: str, *, config: Path | None = None, init_options: Any = None,
                  configuration: dict[str, Any] | None = None, answer: str | None = None,
                  env: dict[str, str] | None = None) -> AsyncIterator[Session]:
    """Start the server, initialize with `profile`'s capabilities, yield, then shut down cleanly."""
    client = make_test_lsp_client()
    _fix_code_action_union(client)
    s = Session(client, profile, answer=answer)
    if configuration is not None:
        client.set_configuration(configuration, section="cadre")

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def _apply_edit(_client: LanguageClient, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return s._apply(params)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def _message_request(_client: LanguageClient, params: types.ShowMessageRequestParams) -> Any:
        s.message_requests.append(params)
        return types.MessageActionItem(title=s.answer) if s.answer else None

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(_client: LanguageClient, params: types.RegistrationParams) -> None:
        s.registrations.extend(params.registrations)

    @client.feature("cadre/result")
    def _result(_client: LanguageClient, params: Any) -> None:
        s.results.append(_plain(params))

    @client.feature("cadre/jobs")
    def _jobs(_client: LanguageClient, params: Any) -> None:
        s.job_notes.append(_plain(params))

    server_env = {**os.environ, "PYTHONPATH": str(REPO / "server"), "XDG_CACHE_HOME": str(ws.cache),
                  "XDG_CONFIG_HOME": str(ws.home / "xdg-config"), **(env or {})}
    server_env.pop("CADRE_CONFIG", None)
    cmd = [sys.executable, "-m", "cadre_lsp.lsp"]
    if config is not None:
        cmd += ["--config", str(config)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LspSpecificationWarning)
        await client.start_io(*cmd, env=server_env)
        try:
            info = client_info(profile)
            result = await client.initialize_session(types.InitializeParams(
                capabilities=capabilities(profile), client_info=info, root_uri=ws.root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=ws.root.as_uri(), name=ws.root.name)],
                initialization_options=init_options))
            enc = result.capabilities.position_encoding
            s.encoding = str(getattr(enc, "value", enc) or "utf-16")
            yield s
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.shutdown_session(), 15)
            await client.stop()
    spec = [str(w.message) for w in caught if issubclass(w.category, LspSpecificationWarning)]
    assert not spec, f"server broke the client's stated capabilities: {spec}"
