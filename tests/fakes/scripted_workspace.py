"""A scripted workspace for pattern and pipeline tests: one script per endpoint, every role mapped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cadre_lsp.config import load_config
from cadre_lsp.core import ProgressEvent, Request, Span
from cadre_lsp.pipeline import Engine

SOURCE = '''import math


def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total


def area(r):
    """Area of a circle of radius r."""
    return math.pi * r * r
'''

FIXED = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total += p
    return total
'''

BROKEN = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices
        total += p
    return total
'''

WRONG = '''def total_price(prices):
    """Return the sum of all prices."""
    return 0
'''

ALL_ROLES = ("reasoning", "coding", "validator", "competitor", "judge", "tools", "summarizer")


def block(code: str) -> str:
    return f"Here you go:\n```python\n{code}```\n"


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.file = root / "shop.py"
        self.file.write_text(SOURCE)
        self.events: list[ProgressEvent] = []

    def engine(self, endpoints: dict[str, dict[str, Any]], roles: dict[str, str] | None = None,
               extra: str = "", verify: bool = False) -> Engine:
        """An engine on scripted endpoints. Running code on evidence is off unless `verify` (or `extra`
        has a [verify] section): most pattern tests script the model verdicts the no-evidence path asks for."""
        lines = []
        if not verify and "[verify]" not in extra:
            extra += "\n[verify]\nenabled = false\n"
        for name, spec in endpoints.items():
            spec = dict(spec)
            script = self.root / f"{name}.json"
            script.write_text(json.dumps(spec.pop("exchanges")))
            lines.append(f'[endpoints.{name}]\nkind = "scripted"\nscript = "{script}"\nretries = 0\n')
            lines.extend(f"{k} = {json.dumps(v)}\n" for k, v in spec.items())
        first = next(iter(endpoints))
        mapping = {r: first for r in ALL_ROLES} | (roles or {})
        lines.append("[roles]\n" + "".join(f'{r} = ["{e}"]\n' for r, e in mapping.items()))
        cfg_file = self.root / "cadre-test.toml"
        cfg_file.write_text(extra + "\n" + "".join(lines))
        return Engine(load_config(None, cfg_file), workspace_root=str(self.root))

    def request(self, action: str = "fix", line: int = 7, pattern: str | None = None, **kw: Any) -> Request:
        return Request(action=action, path=str(self.file), text=self.file.read_text(),  # type: ignore[arg-type]
                       span=Span.lines(line, line), version=1, language="python", pattern=pattern,
                       workspace_root=str(self.root), **kw)

    async def progress(self, ev: ProgressEvent) -> None:
        self.events.append(ev)

    def messages(self) -> list[str]:
        return [e.message for e in self.events]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CADRE_CONFIG", raising=False)
    return Workspace(tmp_path)


def requests_of(engine: Engine, endpoint: str) -> list[dict[str, Any]]:
    return engine.pool.backend(endpoint).requests  # type: ignore[attr-defined]


Verdict = Callable[[str], str]


def verdict(v: str, *reasons: str) -> str:
    return json.dumps({"verdict": v, "reasons": list(reasons)})
