"""Delivering edits while the user types: rebased when untouched, refused (with Retry) when touched."""

from __future__ import annotations

import pytest

from lsp.harness import FIX, GREET_FIXED, PROFILES, SHOP, TOTAL_FIXED, exchange, fenced, session, wait_for

# The fix takes ~1.5 s, long enough to type while it runs.
SLOW = [exchange(FIX, "def total_price", reply=fenced(TOTAL_FIXED), latency_s=1.5),
        exchange(FIX, "def greet", reply=fenced(GREET_FIXED))]


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


async def started(s) -> None:
    """Wait until the job is in its model call (so what we type next happens 'meanwhile')."""
    async def drafting() -> bool:
        st = await s.status()
        return st["stats"]["s"]["running"] == 1
    for _ in range(200):
        if await drafting():
            return
    raise AssertionError("the model call never started")


@pytest.mark.parametrize("profile", PROFILES)
async def test_typing_elsewhere_rebases_the_edit_onto_the_new_version(ws, profile):
    cfg = ws.configure(SLOW)
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await started(s)
        s.insert(uri, '"""A tiny shop."""\n', "import math  # ✓ typed above\n")
        s.insert(uri, "return best", "  # typed below")
        typed_version = s.buffers[uri].version
        result = await s.wait_result(job)
        assert "rebased" in result["summary"]
        (applied,) = s.edits
        assert applied.edit.document_changes[0].text_document.version == typed_version
        expected = (SHOP.replace('"""A tiny shop."""\n', '"""A tiny shop."""\nimport math  # ✓ typed above\n')
                    .replace("return best", "return best  # typed below")
                    .replace("total -= p", "total += p"))
        assert s.text(uri) == expected


@pytest.mark.parametrize("profile", PROFILES)
async def test_typing_inside_the_edited_region_refuses_the_edit_and_offers_retry(ws, profile):
    cfg = ws.configure(SLOW)
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await started(s)
        at = s.text(uri).index("-= p")
        s.replace(uri, at, at + 2, "= total -")  # the user rewrites the very characters the fix changes
        typed = s.text(uri)
        result = await s.wait_result(job)
        assert result["summary"].startswith("not applied: the code changed while Fix was running")
        await wait_for(lambda: s.message_requests, 5, "Retry prompt")
        prompt = s.message_requests[0]
        assert prompt.message == "cadre: the code changed while Fix was running — Retry?"
        assert [a.title for a in prompt.actions] == ["Retry"]
        assert s.edits == [] and s.text(uri) == typed  # nothing typed was lost


async def test_retry_reruns_the_job_on_the_current_text(ws):
    cfg = ws.configure(SLOW)
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg, answer="Retry") as s:
        s.open(uri, SHOP)
        first = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await started(s)
        at = s.text(uri).index("-= p")
        s.replace(uri, at, at + 1, "*")  # touches the fixed characters: refused, then retried
        await s.wait_result(first)
        await wait_for(lambda: len(s.results) >= 2, 15, "the retried job")
        retry = s.results[1]
        assert retry["jobId"] != first and retry["action"] == "fix"
        await wait_for(lambda: s.edits, 5, "edit")
        assert "total += p" in s.text(uri) and s.message_requests


@pytest.mark.parametrize("profile", PROFILES)
async def test_non_ascii_line_is_edited_at_the_right_columns(ws, profile):
    # utf-16 (VS Code, Neovim 0.7) and utf-8 (Helix) count the emoji and é differently.
    cfg = ws.configure(SLOW)
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        assert s.encoding == ("utf-8" if profile == "helix" else "utf-16")
        s.open(uri, SHOP)
        line = SHOP.split("\n").index('    return "👋 héllo " + nam')
        job = await s.run("fix", uri, s.line_range(uri, line, line))
        await s.wait_result(job)
        assert s.text(uri) == SHOP.replace('"👋 héllo " + nam\n', '"👋 héllo " + name\n')
        (applied,) = s.edits
        (edit,) = applied.edit.document_changes[0].edits
        assert edit.new_text == "e"
        assert edit.range.start.character == len('    return "👋 héllo " + nam'.encode(
            "utf-8" if profile == "helix" else "utf-16-le")) // (1 if profile == "helix" else 2)
