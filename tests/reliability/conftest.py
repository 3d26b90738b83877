"""Shared plumbing for the reliability suite: figures printed at the end of the run, and the soak switch.

Each test records what it tried and what held (`figure("protocol fuzzing", tried=..., crashes=0)`);
the terminal summary prints one table so the numbers in docs/reliability.md can be read off a CI log.
Long runs sit behind CADRE_SOAK=1 so CI keeps a fast subset.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from lsp.harness import Workspace

SOAK = os.environ.get("CADRE_SOAK", "") not in ("", "0")
FIGURES: dict[str, dict[str, Any]] = {}


def scale(fast: int, soak: int) -> int:
    """How many cases to try: `fast` in CI, `soak` when CADRE_SOAK=1."""
    return soak if SOAK else fast


@pytest.fixture
def figure() -> Callable[..., None]:
    """Record figures under a name; repeated calls add numbers and overwrite other values."""

    def record(name: str, **values: Any) -> None:
        row = FIGURES.setdefault(name, {})
        for key, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key in row:
                row[key] += value
            else:
                row[key] = value

    return record


@pytest.fixture
def ws(tmp_path: Any) -> Workspace:
    """A workspace with shop.py and a home for the real server (tests/lsp/harness.py)."""
    return Workspace.create(tmp_path)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures" + (" (soak)" if SOAK else ""))
    width = max(len(name) for name in FIGURES)
    for name in sorted(FIGURES):
        cells = ", ".join(f"{k}={v}" for k, v in FIGURES[name].items())
        terminalreporter.write_line(f"{name.ljust(width)}  {cells}")
