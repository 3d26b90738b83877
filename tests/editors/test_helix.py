"""Helix against the real server: Helix's own capabilities and request handling, the shipped languages.toml.

The client is pytest-lsp's (real JSON-RPC over stdio to `python -m cadre_lsp serve`), set up the way
Helix sets itself up (helix_capabilities.py): its initialize params, the `config` table of
editors/helix/languages.toml as initializationOptions and as the answer to workspace/configuration,
applyEdit applied to the buffer and echoed back as didChange, no handler for cadre's custom
notification (Helix drops it) and none for showMessageRequest. The flow is what a user does with
Space-a: list the actions, Fix a function, Review another, Explain a third, hover.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from cadre_lsp.lsp.settings import from_init_options

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LANGUAGES_TOML = REPO / "editors" / "helix" / "languages.toml"

_spec = importlib.util.spec_from_file_location("helix_capabilities", HERE / "helix_capabilities.py")
assert _spec is not None and _spec.loader is not None
helix = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("helix_capabilities", helix)
_spec.loader.exec_module(helix)


WAIT_S = 20.0
ACTIONS = ("cadre: Explain", "cadre: Implement", "cadre: Fix", "cadre: Review")


def shipped_config() -> dict[str, Any]:
    return tomllib.loads(LANGUAGES_TOML.read_text(encoding="utf-8"))


# -- a Helix buffer: the text, its version, edits applied the way Helix applies them ----------------

def _offset(text: str, pos: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: pos.line])
    if pos.line >= len(lines):
        return len(text)
    line, units, i = lines[pos.line], 0, 0
    while i < len(line) and units < pos.character:
        ch = line[i]
        units += len(ch.encode("utf-8")) if encoding == "utf-8" else (
            2 if encoding == "utf-16" and ord(ch) > 0xFFFF else 1)
        i += 1
    return start + i


class HelixBuffer:
    def __init__(self, client: LanguageClient, path: Path, encoding: str) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.text = path.read_text(encoding="utf-8")
        self.version = 0  # Helix numbers a document's versions from 0
        self.encoding = encoding
        self.applied: list[types.ApplyWorkspaceEditParams] = []
        self.edited = asyncio.Event()

    def open(self) -> None:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=self.version,
                                                 text=self.text)))

    def edits_for_us(self, edit: types.WorkspaceEdit) -> list[types.TextEdit]:
        out: list[types.TextEdit] = []
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit), f"unexpected resource operation {change}"
            assert change.text_document.uri == self.uri
            assert change.text_document.version in (None, self.version), "edit made for another version"
            out.extend(e for e in change.edits if isinstance(e, types.TextEdit))
        for uri, edits in (edit.changes or {}).items():
            assert uri == self.uri
            out.extend(edits)
        return out

    def apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits = self.edits_for_us(params.edit)
        spans = [(_offset(self.text, e.range.start, self.encoding), _offset(self.text, e.range.end, self.encoding),
                  e) for e in edits]
        spans.sort(key=lambda s: s[0], reverse=True)  # back to front: earlier offsets stay valid
        for start, end, e in spans:
            self.text = self.text[:start] + e.new_text + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                             for _, _, e in spans]))
        self.applied.append(params)
        self.edited.set()
        return types.ApplyWorkspaceEditResult(applied=True)


def line_range(text: str, first: int, last: int) -> types.Range:
    """Lines first..last (1-based, inclusive) as Helix sends a line selection (x): to the next line start."""
    count = text.count("\n")
    end = types.Position(line=last, character=0) if last <= count else types.Position(line=last - 1, character=0)
    return types.Range(start=types.Position(line=first - 1, character=0), end=end)


def helix_converter() -> Any:
    """pygls's converter, but reading `(Command | CodeAction)[]` the way Helix's serde does.

    lsprotocol's hook takes any object with a "command" key for a Command, so a CodeAction that carries
    a command would come back as a Command with a dict for its name; Helix (lsp-types, untagged enum)
    only takes it for a Command when "command" is a string.
    """
    converter = default_converter()

    def command_or_action(obj: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], command_or_action)  # noqa: UP007
    return converter


# -- fixture -------------------------------------------------------------------------------------------

class Session:
    def __init__(self, client: LanguageClient, buffer: HelixBuffer, profile: str, init: types.InitializeResult):
        self.client, self.buffer, self.profile, self.init = client, buffer, profile, init

    async def actions(self, rng: types.Range) -> list[types.CodeAction]:
        diagnostics = [d for d in self.client.diagnostics.get(self.buffer.uri, [])
                       if d.range.start.line <= rng.end.line and d.range.end.line >= rng.start.line]
        result = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.buffer.uri), range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics,
                                            trigger_kind=types.CodeActionTriggerKind.Invoked)))
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    async def run(self, action: types.CodeAction) -> Any:
        """What Helix does on choosing an action: resolve it if it has neither edit nor command, then
        execute its command."""
        if action.command is None and action.edit is None:
            action = await self.client.code_action_resolve_async(action)
        assert action.command is not None, f"{action.title} has no command"
        return await self.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments))


@pytest_asyncio.fixture(params=helix.PROFILES)
async def helix_session(request: pytest.FixtureRequest, scripted_ws: Any) -> AsyncIterator[Session]:
    profile: str = request.param
    cadre = shipped_config()["language-server"]["cadre"]
    config = cadre.get("config")
    client = LanguageClient(converter_factory=helix_converter)
    register_lsp_features(client, {m: f for m, f in DEFAULT_CLIENT_FEATURES.items()
                                   if m != types.WORKSPACE_CONFIGURATION})

    # Helix does not answer showMessageRequest (MethodNotFound) and ignores custom notifications: the
    # test client has no handler for either, like Helix.
    @client.feature(types.WORKSPACE_CONFIGURATION)
    def configuration(params: types.ConfigurationParams) -> list[Any]:
        return helix.configuration_answer(config, params.items)

    buffer_box: dict[str, HelixBuffer] = {}

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return buffer_box["buffer"].apply(params)

    assert cadre["command"] == "cadre-lsp" and cadre["args"] == ["serve"]
    await client.start_io(sys.executable, "-m", "cadre_lsp", *cadre["args"], env=scripted_ws.env,
                          cwd=str(scripted_ws.root))
    init = await client.initialize_session(helix.initialize_params(profile, scripted_ws.root, config))
    encoding = init.capabilities.position_encoding or "utf-16"
    buffer = HelixBuffer(client, scripted_ws.file, encoding)
    buffer_box["buffer"] = buffer
    buffer.open()
    try:
        yield Session(client, buffer, profile, init)
    finally:
        await client.shutdown_session()
        await client.stop()


# -- the shipped languages.toml --------------------------------------------------------------------------

def test_languages_toml_adds_cadre_next_to_helix_defaults() -> None:
    data = shipped_config()
    server = data["language-server"]["cadre"]
    assert server["command"] == "cadre-lsp" and server["args"] == ["serve"]
    languages = {lang["name"]: lang["language-servers"] for lang in data["language"]}
    assert set(languages) >= {"python", "javascript", "typescript", "tsx", "jsx", "rust", "go", "lua", "c", "cpp"}
    defaults = {"python": "pylsp", "rust": "rust-analyzer", "go": "gopls", "lua": "lua-language-server",
                "c": "clangd", "cpp": "clangd", "javascript": "typescript-language-server",
                "typescript": "typescript-language-server"}
    for name, entries in languages.items():
        servers = [e if isinstance(e, str) else e["name"] for e in entries]
        assert servers[-1] == "cadre", name
        assert len(servers) >= 2, f"{name}: the default server must stay in the list"
        if name in defaults:
            assert defaults[name] in servers, name
        # Helix shows hover only once every server asked has answered: cadre (a model call, up to its
        # hover budget) is left out of hover by default, and only of hover.
        for feature in helix.FEATURES:
            asked = helix.language_servers_with_feature(entries, feature)
            assert ("cadre" in asked) == (feature != "hover"), (name, feature)
            assert [s for s in servers if s != "cadre"] == [s for s in asked if s != "cadre"], (name, feature)
    # The settings the server reads from initializationOptions, in the shape Helix sends them.
    settings = from_init_options(server["config"], None)
    assert settings["hover"]["enabled"] is True
    assert helix.configuration_answer(server["config"], [types.ConfigurationItem(section="cadre")]) == [settings]


# -- the flow ----------------------------------------------------------------------------------------------

async def wait_for(predicate: Any, what: str, timeout: float = WAIT_S) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def progress_titles(client: LanguageClient) -> list[tuple[str, list[str]]]:
    """(title, kinds) per progress token the server created."""
    out = []
    for reports in client.progress_reports.values():
        begins = [r for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
        kinds = [type(r).__name__ for r in reports]
        out.append((begins[0].title if begins else "", kinds))
    return out


async def test_helix_lists_actions_fixes_reviews_and_explains(helix_session: Session,
                                                               scripted_ws: Any) -> None:
    s, client, buffer = helix_session, helix_session.client, helix_session.buffer
    original = scripted_ws.original()

    # Space-a on the body of total_price (lines 4-9).
    actions = await s.actions(line_range(buffer.text, 6, 8))
    titles = [a.title for a in actions]
    for title in ACTIONS:
        assert title in titles, f"{title} missing from {titles}"
    helix_kinds = set(helix.raw_profile(s.profile)["capabilities"]["textDocument"]["codeAction"]
                      ["codeActionLiteralSupport"]["codeActionKind"]["valueSet"])
    for a in actions:  # Helix groups the menu by kind; every kind must fall under one Helix knows
        assert a.kind and any(a.kind == k or a.kind.startswith(k + ".") for k in helix_kinds if k), a.kind

    # Fix: the command answers at once with a job id; the edit arrives through workspace/applyEdit.
    fix = next(a for a in actions if a.title == "cadre: Fix")
    reply = await s.run(fix)
    assert isinstance(reply, dict) and reply.get("jobId"), reply
    await asyncio.wait_for(buffer.edited.wait(), WAIT_S)
    expected = original.replace(original[original.index("def total_price"):original.index("\n\n\ndef largest")],
                                scripted_ws.fixed_total.rstrip("\n"))
    assert buffer.text == expected
    assert "total -= p" not in buffer.text and buffer.version == 1

    # Review of largest (lines 12-18): diagnostics with source cadre on the compared line.
    actions = await s.actions(line_range(buffer.text, 12, 18))
    review = next(a for a in actions if a.title == "cadre: Review")
    reply = await s.run(review)
    assert reply.get("jobId")
    await wait_for(lambda: any(d.source == "cadre" for d in client.diagnostics.get(buffer.uri, [])),
                   "cadre diagnostics")
    diags = [d for d in client.diagnostics[buffer.uri] if d.source == "cadre"]
    assert len(diags) == 1
    d = diags[0]
    assert d.range.start.line == scripted_ws.review_finding["start_line"] - 1
    assert d.severity == types.DiagnosticSeverity.Warning
    assert "inverted" in d.message
    assert buffer.text.split("\n")[d.range.start.line].strip() == "if v < best:"

    # The diagnostic brings its own quick fix into Helix's menu on that line.
    on_line = await s.actions(line_range(buffer.text, 16, 16))
    assert any(a.title.startswith("cadre: Fix: ") and a.kind and a.kind.startswith("quickfix") for a in on_line)

    # Progress: Helix advertises window.workDoneProgress, so every job got a token with begin .. end.
    await wait_for(lambda: sum(1 for _, kinds in progress_titles(client)
                               if kinds and kinds[-1] == "WorkDoneProgressEnd") >= 2, "progress ends")
    titles_seen = [t for t, _ in progress_titles(client)]
    assert "cadre: Fix" in titles_seen and "cadre: Review" in titles_seen
    for title, kinds in progress_titles(client):
        if title:
            assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd", (title, kinds)


def _explanation_in(message: str, explanation: str) -> bool:
    """A showMessage carries the explanation if it quotes it or names the markdown file holding it."""
    if explanation in message:
        return True
    for word in message.split():
        path = Path(word.strip("`'\"()[]<>,;"))
        if path.suffix == ".md" and path.is_file() and explanation in path.read_text(encoding="utf-8"):
            return True
    return False


async def test_helix_explain_reaches_the_user(helix_session: Session, scripted_ws: Any) -> None:
    """Helix drops `cadre/result`: the explanation must arrive through something Helix shows."""
    s, client, buffer = helix_session, helix_session.client, helix_session.buffer
    actions = await s.actions(line_range(buffer.text, 34, 36))
    explain = next(a for a in actions if a.title == "cadre: Explain")
    assert (await s.run(explain)).get("jobId")
    await wait_for(lambda: any(kinds and kinds[-1] == "WorkDoneProgressEnd"
                               for _, kinds in progress_titles(client)), "explain to finish")
    if helix.has_show_document(s.profile):
        await wait_for(lambda: bool(client.shown_documents), "window/showDocument")
        shown = Path(to_fs_path(client.shown_documents[0].uri) or "")
        assert shown.suffix == ".md" and _explanation_in(str(shown), scripted_ws.explanation)
    else:
        assert not client.shown_documents  # never sent to a client that did not advertise it
        await wait_for(lambda: any(_explanation_in(m.message, scripted_ws.explanation) for m in client.messages),
                       "the explanation (or its file) in a window/showMessage", timeout=3)


async def test_helix_hover_answers_within_budget(helix_session: Session) -> None:
    """For users who list plain "cadre" (hover on, as the languages.toml header says): the server's hover."""
    hover = await helix_session.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=helix_session.buffer.uri),
        position=types.Position(line=3, character=6)))
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "Adds things up." in hover.contents.value
