"""Scripted workspaces for the quick bench: a small buggy module, one script per endpoint, a config file.

The same config file drives an in-process `Engine` (pipeline benches) and the language server
subprocess (`--config`), so both measure exactly the shipped code with simulated model time only.
Replies are chosen by what the prompt contains (patterns/prompts.py wording), so one long-lived engine
can run the validated pattern's full draft -> FAIL -> revise -> PASS loop again and again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cadre_lsp.core import Request, Span

ALL_ROLES = ("reasoning", "coding", "validator", "competitor", "judge", "tools", "summarizer")

SOURCE = '''"""A tiny shop."""

import math


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
BUG_LINE = 9
"""0-based line of `total -= p` (the line a user would put the cursor on)."""

WRONG = '''def total_price(prices):
    """Return the sum of all prices."""
    return 0
'''

FIXED = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total += p
    return total
'''

# Words that tell the prompts apart (cadre_lsp/patterns/prompts.py).
REVISE_WORDS = "rejected that answer"
VALIDATE_WORDS = "Check this proposed change"
JUDGE_WORDS = "Several solutions"
HOVER_WORDS = "one or two sentences"


def fenced(code: str) -> str:
    return f"Here is the corrected function:\n```python\n{code}```\n"


def verdict(v: str, *reasons: str) -> str:
    return json.dumps({"verdict": v, "reasons": list(reasons)})


def coder_script() -> list[dict[str, Any]]:
    """Drafts a wrong fix, and the right one when asked to revise."""
    return [
        {"match": REVISE_WORDS, "reply": fenced(FIXED)},
        {"match": HOVER_WORDS, "reply": "Adds up the prices (but subtracts them: a bug)."},
        {"reply": fenced(WRONG)},
    ]


def validator_script() -> list[dict[str, Any]]:
    """FAIL for the wrong draft (its diff adds `return 0`), PASS otherwise."""
    return [
        {"match": {"contains": [VALIDATE_WORDS], "regex": r"\n\+\s*return 0"},
         "reply": verdict("FAIL", "returns 0 instead of the sum")},
        {"reply": verdict("PASS")},
    ]


def competitor_script() -> list[dict[str, Any]]:
    return [{"reply": fenced(FIXED)}]


def judge_script() -> list[dict[str, Any]]:
    return [{"reply": json.dumps({"choice": "A", "reason": "correct and simple"})}]


def _toml_value(v: Any) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(v)


class ScriptedWorkspace:
    """A directory holding the module, the scripts and the config file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.file = root / "shop.py"
        self.file.write_text(SOURCE, encoding="utf-8")

    def write_config(self, endpoints: dict[str, dict[str, Any]], roles: dict[str, str], *,
                     name: str = "cadre-bench.toml", extra: dict[str, dict[str, Any]] | None = None) -> Path:
        """Endpoints: name -> {"exchanges": [...], **EndpointConfig fields} for a scripted one, else the
        EndpointConfig fields as they are (e.g. an embedded model); roles not named go to the first."""
        lines: list[str] = []
        for ep, spec in endpoints.items():
            spec = dict(spec)
            if "exchanges" in spec:
                script = self.root / f"{name.rsplit('.', 1)[0]}-{ep}.json"
                script.write_text(json.dumps(spec.pop("exchanges")), encoding="utf-8")
                fields = {"kind": "scripted", "script": str(script), "model": f"scripted-{ep}", "retries": 0} | spec
            else:
                fields = spec
            lines.append(f"[endpoints.{ep}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in fields.items()]
            lines.append("")
        first = next(iter(endpoints))
        mapping = {r: first for r in ALL_ROLES} | roles
        lines.append("[roles]")
        lines += [f'{r} = ["{e}"]' for r, e in mapping.items()]
        # The scripted rows measure the model-call machinery (draft, FAIL, revise, PASS); running code on
        # evidence has its own rows (fixrate), so it is off here unless a bench asks for it.
        for table, values in ({"verify": {"enabled": False}} | (extra or {})).items():
            lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
        path = self.root / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def request(self, action: str = "fix", *, pattern: str | None = None, line: int = BUG_LINE) -> Request:
        return Request(action=action, path=str(self.file), text=self.file.read_text(encoding="utf-8"),  # type: ignore[arg-type]
                       span=Span.lines(line, line), version=1, language="python", pattern=pattern,
                       workspace_root=str(self.root))


def load_bench_config(path: Path) -> Any:
    """The shipped defaults plus this file only: no user or workspace config can change a bench run."""
    from cadre_lsp.config.loader import SHIPPED_DIR, build, file_layer

    return build([file_layer(SHIPPED_DIR / "cadre.toml"), file_layer(path)])


def engine_for(path: Path, ws: ScriptedWorkspace) -> Any:
    from cadre_lsp.pipeline import Engine

    return Engine(load_bench_config(path), workspace_root=str(ws.root))
