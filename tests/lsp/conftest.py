"""Fixtures for the language-server tests: a workspace with a scripted model config."""

from __future__ import annotations

import pytest

from lsp.harness import Workspace


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace.create(tmp_path)
