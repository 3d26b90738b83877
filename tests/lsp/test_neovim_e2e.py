"""A real headless Neovim 0.7 drives the server: list actions, Review, its quick fix, Fix on non-ASCII text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp.harness import GREET_FIXED, REPO, SHOP, TOTAL_FIXED

pytestmark = [pytest.mark.neovim, pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim not installed")]


def test_headless_neovim_review_quickfix_and_fix(ws):
    cfg = ws.configure()
    out = ws.home / "out.json"
    env = {**os.environ, "CADRE_PYTHON": sys.executable, "CADRE_CONFIG_FILE": str(cfg), "CADRE_ROOT": str(ws.root),
           "CADRE_FILE": str(ws.root / "shop.py"), "CADRE_OUT": str(out), "PYTHONPATH": str(REPO / "server"),
           "XDG_CACHE_HOME": str(ws.cache), "XDG_CONFIG_HOME": str(ws.home / "xdg-config"),
           "XDG_STATE_HOME": str(ws.home / "xdg-state"), "XDG_DATA_HOME": str(ws.home / "xdg-data")}
    env.pop("CADRE_CONFIG", None)
    script = Path(__file__).parent / "nvim" / "e2e.lua"
    proc = subprocess.run(["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {script}"],
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    assert out.exists(), f"nvim wrote nothing (rc {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text())
    assert proc.returncode == 0 and "error" not in result, result.get("error")
    assert result["steps"] == ["initialized", "listed", "reviewed", "quickfixed", "fixed-non-ascii"]
    assert result["diagnostic"]["source"] == "cadre"
    assert result["progress"] > 0  # $/progress reached Neovim's LspProgressUpdate
    expected = SHOP.replace("total -= p", "total += p").replace('+ nam\n', '+ name\n')
    assert result["text"] + "\n" == expected
    assert TOTAL_FIXED in expected and GREET_FIXED in expected
