"""Quick end-to-end smoke: list actions, run Fix, see the edit."""

from __future__ import annotations

import pytest

from lsp.harness import PROFILES, SHOP, TOTAL_FIXED, session, wait_for


@pytest.mark.parametrize("profile", PROFILES)
async def test_fix_applies(ws, profile):
    cfg = ws.configure()
    uri = (ws.root / "shop.py").as_uri()
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        rng = s.line_range(uri, 7, 7)
        actions = await s.code_actions(uri, rng)
        assert [a.title for a in actions][:4] == ["cadre: Explain", "cadre: Implement", "cadre: Fix", "cadre: Review"]
        job = await s.run("fix", uri, rng)
        await s.wait_result(job)
        await wait_for(lambda: s.edits, 5, "edit")
        assert TOTAL_FIXED in s.text(uri)
