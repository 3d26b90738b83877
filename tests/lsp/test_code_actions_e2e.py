"""Code actions over JSON-RPC: what each client is offered, `only`, resolve, and listing under load."""

from __future__ import annotations

import statistics
import time

import pytest
from lsprotocol import types

from lsp.harness import FIX, PROFILES, SHOP, TOTAL_FIXED, exchange, fenced, session, wait_for


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


@pytest.mark.parametrize("profile", PROFILES)
async def test_listing_offers_the_four_actions_and_pattern_variants(ws, profile):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        s.insert(uri, "total = 0", " ")  # version 2: the listed commands carry the version
        rng = s.line_range(uri, 7, 7)
        actions = await s.code_actions(uri, rng)
        by_title = {a.title: a for a in actions}
        assert [a.title for a in actions[:4]] == ["cadre: Explain", "cadre: Implement", "cadre: Fix", "cadre: Review"]
        assert {by_title[t].kind for t in by_title} >= {"quickfix.cadre", "refactor.rewrite.cadre",
                                                         "refactor.cadre.explain", "refactor.cadre.review"}
        for pattern in ("validated", "compete", "hybrid"):
            fix = by_title[f"cadre: Fix with {pattern}"]
            assert fix.command.arguments[0]["pattern"] == pattern
        (args,) = by_title["cadre: Fix"].command.arguments
        assert args == {"uri": uri, "range": {"start": {"line": 7, "character": 0},
                                              "end": {"line": 7, "character": rng.end.character}}, "version": 2}
        assert by_title["cadre: Fix"].command.command == "cadre.fix"
        assert (await s.status())["stats"]["s"]["calls"] == 0  # listing never called a model
        quick = await s.code_actions(uri, rng, only=["quickfix"])
        assert quick and all(a.kind.startswith("quickfix") for a in quick)
        refactor = {a.title for a in await s.code_actions(uri, rng, only=["refactor"])}
        assert "cadre: Implement" in refactor and "cadre: Explain" in refactor and "cadre: Fix" not in refactor
        # The listed command runs as is.
        reply = await s.command("cadre.fix", *by_title["cadre: Fix"].command.arguments)
        await s.wait_result(reply["jobId"])
        assert TOTAL_FIXED.replace("total = 0", "total = 0 ") in s.text(uri)


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
