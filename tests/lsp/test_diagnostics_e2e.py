"""Review diagnostics: published with data, quick fix from data (not the echoed range), kept on the code."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp.harness import PROFILES, SHOP, session, wait_for

BUG_LINE = SHOP.split("\n").index("        total -= p")


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


def diags(s, uri) -> list[types.Diagnostic]:
    return list(s.client.diagnostics.get(uri, []))


async def reviewed(s, uri) -> types.Diagnostic:
    job = await s.run("review", uri, s.line_range(uri, 3, 9))
    await s.wait_result(job)
    await wait_for(lambda: diags(s, uri), 5, "diagnostics")
    (d,) = diags(s, uri)
    return d


@pytest.mark.parametrize("profile", PROFILES)
async def test_review_publishes_findings_with_a_quick_fix_that_fixes(ws, profile):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        d = await reviewed(s, uri)
        assert d.source == "cadre" and d.severity == types.DiagnosticSeverity.Error
        assert d.range.start == types.Position(line=BUG_LINE, character=8)
        assert d.range.end.line == BUG_LINE
        assert d.message.startswith("subtracts instead of adding")
        assert d.data["finding"]["start_line"] == BUG_LINE and d.data["lineText"] == "        total -= p"
        actions = await s.code_actions(uri, d.range, diagnostics=[d])
        fix = actions[0]
        assert fix.title == "cadre: Fix: subtracts instead of adding (unproven)"  # model-only: says so
        assert fix.kind == "quickfix.cadre" and fix.is_preferred
        assert fix.diagnostics and fix.diagnostics[0].data["id"] == d.data["id"]
        (args,) = fix.command.arguments
        assert "subtracts instead of adding" in args["instruction"]
        reply = await s.command(fix.command.command, *fix.command.arguments)
        await s.wait_result(reply["jobId"])
        await wait_for(lambda: "total += p" in s.text(uri), 5, "fix applied")
        # The finding's text is gone, so is the diagnostic.
        await wait_for(lambda: diags(s, uri) == [], 5, "diagnostic dropped")


async def test_quick_fix_uses_data_even_when_the_client_echoes_byte_columns(ws):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "neovim@v0.7", config=cfg) as s:
        s.open(uri, SHOP)
        d = await reviewed(s, uri)
        mangled = types.Diagnostic(range=types.Range(start=types.Position(line=0, character=99),
                                                     end=types.Position(line=0, character=120)),
                                   message=d.message, source="cadre", data=d.data)
        actions = await s.code_actions(uri, d.range, diagnostics=[mangled])
        fix = actions[0]
        assert fix.title.startswith("cadre: Fix: ")
        assert fix.command.arguments[0]["range"]["start"]["line"] == BUG_LINE


async def test_findings_move_with_typing_and_go_with_their_text_and_on_close(ws):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg) as s:
        s.open(uri, SHOP)
        await reviewed(s, uri)
        s.insert(uri, '"""A tiny shop."""\n', "import os\nimport sys\n")
        await wait_for(lambda: diags(s, uri) and diags(s, uri)[0].range.start.line == BUG_LINE + 2, 5, "moved")
        # Code actions on the old line no longer offer the finding's fix; on the new line they do.
        old = await s.code_actions(uri, s.line_range(uri, BUG_LINE, BUG_LINE), only=["quickfix"])
        assert not [a for a in old if a.title.startswith("cadre: Fix: ")]
        new = await s.code_actions(uri, s.line_range(uri, BUG_LINE + 2, BUG_LINE + 2), only=["quickfix"])
        assert new[0].title == "cadre: Fix: subtracts instead of adding (unproven)"  # model-only: says so
        s.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await wait_for(lambda: diags(s, uri) == [], 5, "cleared on close")


async def test_review_on_save_reviews_only_changed_definitions(ws):
    cfg = ws.configure(extra="[review]\non_save = true\n")
    uri = uri_of(ws)
    async with session(ws, "helix", config=cfg) as s:
        s.open(uri, SHOP)
        s.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        st = await s.status()
        assert st["jobs"] == []  # nothing changed since open
        s.insert(uri, "total = 0", "  # start")
        s.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await wait_for(lambda: diags(s, uri), 10, "diagnostics after save")
        assert (await s.status())["stats"]["s"]["calls"] == 1  # one definition reviewed, not the file
        assert [r["action"] for r in s.results] == ["review"]
