"""Hover: an explanation of the enclosing definition, bounded by the budget, cached by content."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from lsp.harness import HOVER, PROFILES, SHOP, exchange, session


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


async def calls(s) -> int:
    return (await s.status())["stats"]["s"]["calls"]


def text_of(hover: types.Hover | None) -> str:
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


@pytest.mark.parametrize("profile", PROFILES)
async def test_hover_explains_and_repeats_from_the_cache(ws, profile):
    cfg = ws.configure([exchange(HOVER, "def total_price", reply="Adds up the prices.", latency_s=0.2)])
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        first = await s.hover(uri, s.pos(uri, "total -= p"))
        assert text_of(first) == "Adds up the prices."
        assert first.contents.kind == types.MarkupKind.Markdown
        assert await calls(s) == 1
        again = await s.hover(uri, s.pos(uri, "total -= p"))
        assert text_of(again) == "Adds up the prices." and await calls(s) == 1
        # An edit elsewhere does not change the definition: still cached.
        s.insert(uri, "return best", "  # tweak")
        assert text_of(await s.hover(uri, s.pos(uri, "total -= p"))) == "Adds up the prices."
        assert await calls(s) == 1
        # An edit inside the definition changes its hash: asked again.
        s.insert(uri, "total = 0", "  # start")
        assert text_of(await s.hover(uri, s.pos(uri, "total -= p"))) == "Adds up the prices."
        assert await calls(s) == 2


async def test_slow_model_says_thinking_and_finishes_in_the_background(ws):
    cfg = ws.configure([exchange(HOVER, reply="Slow but sure.", latency_s=1.0)],
                       extra="[hover]\nbudget_ms = 100\n")
    uri = uri_of(ws)
    async with session(ws, "neovim@v0.7", config=cfg) as s:
        s.open(uri, SHOP)
        pos = s.pos(uri, "total -= p")
        assert "thinking" in text_of(await s.hover(uri, pos))
        await asyncio.sleep(1.3)  # the model answers after 1.0 s, in the background
        assert text_of(await s.hover(uri, pos)) == "Slow but sure."
        assert await calls(s) == 1


async def test_hover_off_in_config_and_model_errors_give_no_hover(ws):
    cfg = ws.configure([exchange(HOVER, error="http500")])
    uri = uri_of(ws)
    async with session(ws, "helix", config=cfg) as s:
        s.open(uri, SHOP)
        assert await s.hover(uri, s.pos(uri, "total -= p")) is None
    async with session(ws, "helix", config=cfg, init_options={"hover": {"enabled": False}}) as s:
        s.open(uri, SHOP)
        assert await s.hover(uri, s.pos(uri, "total -= p")) is None
        assert (await s.status())["stats"]["s"]["calls"] == 0
