"""Code actions over JSON-RPC: what each client is offered, `only`, resolve, and listing under load."""

from __future__ import annotations

import statistics
import time

import pytest
from lsprotocol import types

from lsp.harness import FIX, PROFILES, SHOP, TOTAL_FIXED, exchange, fenced, session, wait_for


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


CADRE_FOUR = ["cadre: Explain", "cadre: Implement", "cadre: Fix", "cadre: Review"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_listing_offers_one_entry_per_action_and_the_variants_on_request(ws, profile):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        s.insert(uri, "total = 0", " ")  # version 2: the listed commands carry the version
        rng = s.line_range(uri, 7, 7)
        actions = await s.code_actions(uri, rng)
        by_title = {a.title: a for a in actions}
        # The light bulb: the four actions on their configured patterns, nothing else (no finding here).
        assert [a.title for a in actions] == CADRE_FOUR
        assert [a.kind for a in actions] == ["refactor.cadre.explain", "refactor.rewrite.cadre", "quickfix.cadre",
                                             "refactor.cadre.review"]
        (args,) = by_title["cadre: Fix"].command.arguments
        assert args == {"uri": uri, "range": {"start": {"line": 7, "character": 0},
                                              "end": {"line": 7, "character": rng.end.character}}, "version": 2}
        assert by_title["cadre: Fix"].command.command == "cadre.fix"
        # The variants, when asked for by kind.
        variants = {a.title: a for a in await s.code_actions(uri, rng, only=["source.cadre"])}
        for pattern in ("validated", "compete", "hybrid"):
            fix = variants[f"cadre: Fix with {pattern}"]
            assert fix.kind == "source.cadre.fix" and fix.command.arguments[0]["pattern"] == pattern
        assert "cadre: Fix with primary" not in variants and not set(CADRE_FOUR) & set(variants)
        assert (await s.status())["stats"]["s"]["calls"] == 0  # listing never called a model
        quick = await s.code_actions(uri, rng, only=["quickfix"])
        assert [a.title for a in quick] == ["cadre: Fix"]
        refactor = {a.title for a in await s.code_actions(uri, rng, only=["refactor"])}
        assert "cadre: Implement" in refactor and "cadre: Explain" in refactor and "cadre: Fix" not in refactor
        # The listed commands run as they are.
        reply = await s.command("cadre.fix", *variants["cadre: Fix with validated"].command.arguments)
        assert reply["jobId"]
        await s.wait_result(reply["jobId"])
        reply = await s.command("cadre.fix", *by_title["cadre: Fix"].command.arguments)
        await s.wait_result(reply["jobId"])
        assert TOTAL_FIXED.replace("total = 0", "total = 0 ") in s.text(uri)


async def test_show_patterns_setting_lists_the_variants_in_the_everyday_menu(ws):
    """For clients without a picker (Helix): `code_actions.show_patterns` in the editor's settings."""
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "helix", config=cfg, init_options={"code_actions": {"show_patterns": True}}) as s:
        s.open(uri, SHOP)
        actions = await s.code_actions(uri, s.line_range(uri, 7, 7))
        titles = [a.title for a in actions]
        assert titles[:4] == CADRE_FOUR
        fix = next(a for a in actions if a.title == "cadre: Fix with validated")
        assert fix.kind == "quickfix.cadre" and fix.command.arguments[0]["pattern"] == "validated"
        assert len(titles) > 10


async def test_a_client_with_a_picker_gets_one_with_pattern_entry(ws, monkeypatch):
    """The bundled VS Code extension and Neovim plugin declare experimental.cadre.patternPicker."""
    from lsp import harness

    plain = harness.capabilities

    def with_picker(profile: str) -> types.ClientCapabilities:
        caps = plain(profile)
        caps.experimental = {"cadre": {"patternPicker": True, "resultPanel": True}}
        return caps

    monkeypatch.setattr(harness, "capabilities", with_picker)
    cfg = ws.configure(extra='[action_patterns]\nfix = "validated"\n')
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg) as s:
        s.open(uri, SHOP)
        actions = await s.code_actions(uri, s.line_range(uri, 7, 7))
        assert [a.title for a in actions] == ["cadre: Explain", "cadre: Implement", "cadre: Fix (validated)",
                                              "cadre: Review", "cadre: With pattern…"]
        picker = actions[-1]
        assert picker.kind == "refactor.cadre.pattern" and picker.command.command == "cadre.runWithPattern"
        (arg,) = picker.command.arguments
        assert {"validated", "compete", "hybrid", "primary"} <= set(arg["patterns"])
        assert arg["defaults"]["fix"] == "validated" and arg["uri"] == uri


async def test_code_action_resolve_fills_in_the_command(ws):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "helix", config=cfg) as s:
        s.open(uri, SHOP)
        (listed, *_) = await s.code_actions(uri, s.line_range(uri, 7, 7), only=["quickfix"])
        bare = types.CodeAction(title=listed.title, kind=listed.kind, data=listed.data)
        resolved = await s.client.code_action_resolve_async(bare)
        assert resolved.command.command == "cadre.fix"
        assert resolved.command.arguments == listed.command.arguments


async def test_listing_stays_model_free_with_twenty_jobs_running(ws, record_property):
    slow = exchange(FIX, reply=fenced(TOTAL_FIXED), latency_s=60)
    cfg = ws.configure([slow], extra="[jobs_per_role]\ncoding = 4\n")
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg) as s:
        s.open(uri, SHOP)
        lines = len(SHOP.split("\n")) - 1
        jobs = [await s.run("fix", uri, types.Range(start=types.Position(line=i % lines, character=i // lines),
                                                   end=types.Position(line=i % lines, character=i // lines)))
                for i in range(20)]
        st = await s.status()
        assert len(st["jobs"]) == 20 and st["queue"] == 16
        timings = []
        for _ in range(20):
            t0 = time.perf_counter()
            actions = await s.code_actions(uri, s.line_range(uri, 7, 7))
            timings.append(time.perf_counter() - t0)
            assert actions[2].title == "cadre: Fix"
        median_ms = statistics.median(timings) * 1000
        record_property("code_action_median_ms_20_jobs", round(median_ms, 2))
        print(f"codeAction listing with 20 jobs running: median {median_ms:.1f} ms, max {max(timings) * 1000:.1f} ms")
        reply = await s.command("cadre.cancel")
        assert sorted(reply["cancelled"]) == sorted(jobs)
        await wait_for(lambda: len(s.results) == 20, 10, "20 cancelled results")
        assert s.edits == []
