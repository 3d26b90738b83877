"""The real embedded default model behind the server: Fix a buggy function, hover, with progress.

Slow (a 1.5B model on CPU); marked `model`, skipped where the bundled models are not installed.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types

from lsp.harness import SHOP, session, wait_for

pytest.importorskip("xllamacpp")


def _installed() -> bool:
    from cadre_lsp.models.bundled import model_status

    return all(model_status(m)["cached"] or model_status(m)["parts_installed"]
               for m in ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"))


pytestmark = [pytest.mark.model, pytest.mark.skipif(not _installed(), reason="bundled models not installed")]


async def test_fix_and_hover_on_the_embedded_default_model(ws):
    uri = (ws.root / "shop.py").as_uri()
    # The default configuration (no --config): the shipped embedded profile. Use the real model cache.
    real_cache = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    async with session(ws, "neovim@v0.7", env={"XDG_CACHE_HOME": real_cache}) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        result = await s.wait_result(job, timeout=600)
        assert result["action"] == "fix"
        (token,) = s.progress().keys()
        values = s.progress()[token]
        assert isinstance(values[0], types.WorkDoneProgressBegin) and isinstance(values[-1], types.WorkDoneProgressEnd)
        assert any(isinstance(v, types.WorkDoneProgressReport) and "qwen2.5-coder-1.5b" in (v.message or "")
                   for v in values)
        await wait_for(lambda: s.edits, 10, "the fix applied")
        assert "total += p" in s.text(uri)
        # The first hover may outrun the 1.5 s budget ("thinking…"); the answer lands in the cache.
        text = ""
        for _ in range(240):
            hover = await s.hover(uri, s.pos(uri, "best = values[0]"))
            assert hover is not None
            text = hover.contents.value
            if "thinking" not in text:
                break
            await asyncio.sleep(0.5)
        assert text.strip() and "thinking" not in text
        print("hover:", text)
