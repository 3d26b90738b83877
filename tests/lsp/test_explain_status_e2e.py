"""Explain opens a markdown document (where the client can) and always notifies cadre/result; status."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.uris import to_fs_path

from lsp.harness import SHOP, session


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


@pytest.mark.parametrize("profile", ["visual_studio_code", "neovim@v0.7", "helix"])
async def test_explain_shows_a_markdown_document_outside_the_workspace(ws, profile):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("explain", uri, s.line_range(uri, 3, 3))
        result = await s.wait_result(job)
        assert result["action"] == "explain" and result["title"] == "cadre: Explain"
        assert "**subtracts**" in result["markdown"] and result["uri"] == uri
        if profile == "neovim@v0.7":  # showDocument.support = false
            assert s.client.shown_documents == []
            return
        (shown,) = s.client.shown_documents
        path = Path(to_fs_path(shown.uri))
        assert path.suffix == ".md" and path.is_relative_to(ws.cache) and not path.is_relative_to(ws.root)
        assert "**subtracts**" in path.read_text()


async def test_status_reports_roles_health_jobs_queue_and_stats(ws):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await s.wait_result(job)
        st = await s.status()
        assert set(st) == {"roles", "jobs", "queue", "stats", "debug", "hosts", "replicas"}
        assert not st["hosts"] and not st["replicas"]  # scripted: no model host, no replicas
        assert st["roles"]["coding"] == {"endpoints": ["s"], "model": "scripted-model", "healthy": True}
        assert st["jobs"] == [] and st["queue"] == 0
        assert st["stats"]["s"]["calls"] == 1
