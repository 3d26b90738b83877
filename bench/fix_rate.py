"""Fix rate per pattern on real models: small buggy functions (bench/bugs/), each with a `check()`.

Each bug file is fixed with `fix` (cursor on the function's `def` line) through the engine with the
shipped embedded profile (coding on the 1.5B, validator on the 0.5B); the edit is applied and the file's
`check()` run in a fresh interpreter. A fix counts only if the edited file passes its check. The buggy
originals must fail their checks (bench/bugs/fixes.json holds the reference fix for the smoke test).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .metrics import Metric, failed
from .model_bench import BUGS, bug_request

PATTERNS = ("primary", "validated")


def bug_files() -> list[str]:
    return sorted(p.name for p in BUGS.glob("*.py"))


def passes_check(path: Path, timeout_s: float = 20.0) -> bool:
    """Run the file's check() in a fresh interpreter (model-written code never runs in this process)."""
    code = "import runpy, sys; runpy.run_path(sys.argv[1])['check']()"
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=timeout_s,
                              cwd=path.parent)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def _config(root: Path) -> Path:
    """The shipped embedded profile as is, with temperature 0 so runs are repeatable."""
    path = root / "fixrate.toml"
    path.write_text('profile = "embedded"\n\n[generation]\ntemperature = 0.0\n\n[validated]\nrounds = 2\n',
                    encoding="utf-8")
    return path


async def _fix_all(root: Path, pattern: str, bugs: list[str]) -> list[dict[str, Any]]:
    from .recording import recorded_engine

    ws = root / pattern
    ws.mkdir()
    engine, log = recorded_engine(_config(root), ws)
    rows = []
    try:
        for name in bugs:
            n = len(log.calls)
            t0 = time.perf_counter()
            result = await engine.run(bug_request(ws, name, pattern=pattern))
            seconds = time.perf_counter() - t0
            fixed = False
            if result.edits:
                out = ws / f"fixed_{name}"
                out.write_text(result.edits[0].apply(), encoding="utf-8")
                fixed = passes_check(out)
            rows.append({"bug": name, "fixed": fixed, "edit": bool(result.edits), "seconds": round(seconds, 1),
                         "calls": len(log.calls) - n, "note": (result.error or result.summary)[:160]})
    finally:
        await engine.aclose()
    return rows


async def _run(root: Path, bugs: list[str]) -> list[Metric]:
    rates: dict[str, float] = {}
    details: dict[str, list[dict[str, Any]]] = {}
    for pattern in PATTERNS:
        rows = await _fix_all(root, pattern, bugs)
        details[pattern] = rows
        rates[pattern] = 100.0 * sum(r["fixed"] for r in rows) / max(1, len(rows))
    n = len(bugs)
    return [
        Metric("fixrate_primary", f"fix rate, primary pattern ({n} buggy functions, embedded profile)",
               rates["primary"], "%", detail={"bugs": details["primary"]}),
        Metric("fixrate_validated", f"fix rate, validated pattern ({n} buggy functions; target: >= primary)",
               rates["validated"], "%", rates["primary"], ">=", detail={"bugs": details["validated"]}),
    ]


def run(bugs: list[str] | None = None) -> list[Metric]:
    bugs = bugs or bug_files()
    with tempfile.TemporaryDirectory(prefix="cadre-bench-fix-") as tmp:
        try:
            return asyncio.run(_run(Path(tmp), bugs))
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
            return [failed("fixrate_primary", "fix rate, primary pattern", "%", why),
                    failed("fixrate_validated", "fix rate, validated pattern", "%", why)]
