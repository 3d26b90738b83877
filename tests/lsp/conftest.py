"""Fixtures for the language-server tests: a workspace with a scripted model config."""

from __future__ import annotations

import pytest

from lsp.harness import SHOP, Workspace


@pytest.fixture
def ws(tmp_path) -> Workspace:
    root = tmp_path / "project"
    home = tmp_path / "home"
    root.mkdir()
    home.mkdir()
    w = Workspace(root=root, home=home)
    w.write("shop.py", SHOP)
    return w
