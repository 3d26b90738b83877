"""A scripted cadre workspace for the editor tests: a copy of examples/shop.py plus a config whose every
role is one scripted endpoint, with replies keyed on the prompt kind and the function's name.

Both editor tests drive the real server (`python -m cadre_lsp serve`) over stdio; only the model is
scripted. The environment isolates XDG dirs so no user config, cache or Neovim state leaks in.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop.py"
MODEL = "shop-script"
ROLES = ("reasoning", "coding", "validator", "competitor", "judge", "tools", "summarizer")

FIXED_TOTAL = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total += p
    return total
'''

REVIEW_FINDING = {
    "start_line": 16, "end_line": 16, "severity": "warning",
    "message": "The comparison is inverted: this keeps the smallest value, not the largest.",
    "suggestion": "Use `if v > best:`.",
}

EXPLANATION = "`count_vowels` counts the characters of `text` that are **not** vowels - the test is inverted."

SCRIPT = [
    {"match": {"contains": ["has a bug", "```python\ndef total_price"]},
     "reply": f"```python\n{FIXED_TOTAL}```", "tokens_per_s": 400},
    {"match": {"contains": ["Review this code", "| def largest(values):"]},
     "reply": json.dumps({"findings": [REVIEW_FINDING]}), "tokens_per_s": 400},
    {"match": {"contains": ["Explain this", "def count_vowels"]}, "reply": EXPLANATION},
    {"match": {"contains": ["In one or two sentences"]}, "reply": "Adds things up."},
    # Slow on purpose: the job is still running when the test cancels it.
    {"match": {"contains": ["Implement this", "def factorial"]}, "reply": "never delivered", "latency_s": 120},
]


@dataclass
class ScriptedWorkspace:
    root: Path
    file: Path
    config: Path
    env: dict[str, str]
    fixed_total: str = FIXED_TOTAL
    review_finding: dict = None  # type: ignore[assignment]
    explanation: str = EXPLANATION
    model: str = MODEL

    def __post_init__(self) -> None:
        self.review_finding = dict(REVIEW_FINDING)

    def server_command(self, *, with_config: bool = True) -> list[str]:
        cmd = [sys.executable, "-m", "cadre_lsp", "serve"]
        return cmd + (["--config", str(self.config)] if with_config else [])

    def original(self) -> str:
        return SHOP.read_text(encoding="utf-8")


def config_toml(script_name: str) -> str:
    roles = "".join(f'{r} = ["s"]\n' for r in ROLES)
    return (f'[endpoints.s]\nkind = "scripted"\nmodel = "{MODEL}"\nscript = "{script_name}"\nretries = 0\n\n'
            f"[roles]\n{roles}")


def make_scripted_ws(base: Path) -> ScriptedWorkspace:
    """base/ws with shop.py and `.cadre.toml` (the workspace config a user would commit) + script.json;
    XDG dirs under base so no user config, cache or editor state is read or written."""
    root = base / "ws"
    root.mkdir()
    target = root / "shop.py"
    target.write_text(SHOP.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "script.json").write_text(json.dumps(SCRIPT, indent=1), encoding="utf-8")
    config = root / ".cadre.toml"
    config.write_text(config_toml("script.json"), encoding="utf-8")
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        d = base / name.lower()
        d.mkdir()
        env[name] = str(d)
    env.pop("CADRE_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "server"), env.get("PYTHONPATH")) if p)
    return ScriptedWorkspace(root=root, file=target, config=config, env=env)


@pytest.fixture
def scripted_ws(tmp_path: Path) -> ScriptedWorkspace:
    return make_scripted_ws(tmp_path)


@pytest.fixture(scope="session")
def scripted_ws_factory() -> Callable[[Path], ScriptedWorkspace]:
    """For module-scoped fixtures: make_scripted_ws(base) on a directory of their own."""
    return make_scripted_ws


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vscode: drives the VS Code extension in a real VS Code (code-server + chromium)")
