"""Fix rate per pattern on real models: small buggy functions (bench/bugs/), each with a `check()`.

Each bug file is fixed with `fix` (cursor on the function's `def` line) through the engine with the
shipped embedded profile (coding on the 1.5B, validator on the 0.5B); the edit is applied and the file's
`check()` run in a fresh interpreter. A fix counts only if the edited file passes its check. The buggy
originals must fail their checks (bench/bugs/fixes.json holds the reference fix for the smoke test).

The corpus has an easy half and a hard half (`hard_*.py`: subtler bugs whose docstrings state their edge
cases, so execution-based verification has evidence to check a fix against). Each pattern gets its fix rate
on all bugs, on each half, and its mean seconds per bug (`sfix_*`); the judged comparisons are
validated >= primary + 10 points on the hard half, validated >= primary on the easy half, compete >=
validated overall, and validated at most twice primary's seconds per bug.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .metrics import Metric, Op, failed
from .model_bench import BUGS, bug_request

PATTERNS = ("primary", "validated", "compete")
HARD_PREFIX = "hard_"
HARD_GAIN = 10.0
"""Points by which validated must beat primary on the hard half."""
SFIX_RATIO = 2.0
"""Validated may take at most this many times primary's seconds per bug."""


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


def _config(root: Path, speculative: str | None = None) -> Path:
    """The shipped embedded profile as is, with temperature 0 so runs are repeatable (and the coder's
    `speculative` setting when one is given).

    `CADRE_BENCH_THREADS=1` runs llama.cpp on one thread: on a machine shared with other work, its
    threads spin-wait at every barrier for a descheduled sibling (measured here: 2 threads under load
    ran ~20x slower than on a quiet machine; one thread degrades in proportion). Ratios within one run
    stay comparable either way."""
    import os

    threads = os.environ.get("CADRE_BENCH_THREADS")
    extra = ""
    for ep in ("coder", "fast"):
        lines = ([f"n_threads = {int(threads)}"] if threads else []) + (
            [f'speculative = "{speculative}"'] if speculative and ep == "coder" else [])
        extra += f"\n[endpoints.{ep}]\n" + "\n".join(lines) + "\n" if lines else ""
    path = root / (f"fixrate-{speculative.replace(':', '-')}.toml" if speculative else "fixrate.toml")
    path.write_text('profile = "embedded"\n\n[generation]\ntemperature = 0.0\n\n[validated]\nrounds = 2\n' + extra,
                    encoding="utf-8")
    return path


async def _fix_all(root: Path, pattern: str, bugs: list[str], speculative: str | None = None) -> list[dict[str, Any]]:
    from .recording import recorded_engine

    ws = root / (pattern + (f"-{speculative.replace(':', '-')}" if speculative else ""))
    ws.mkdir()
    engine, log = recorded_engine(_config(root, speculative), ws)
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
            calls = log.since(n)
            row = {"bug": name, "fixed": fixed, "edit": bool(result.edits), "seconds": round(seconds, 1),
                   "calls": len(calls), "note": (result.error or result.summary)[:160],
                   "generated": sum(c.completion.usage.completion_tokens for c in calls if c.completion),
                   "drafted": sum(c.completion.timings.draft_tokens or 0 for c in calls if c.completion),
                   "accepted": sum(c.completion.timings.draft_accepted or 0 for c in calls if c.completion)}
            if result.edits:
                row["fix"] = result.edits[0].apply()
            verification = getattr(result, "verification", None)
            if verification is not None:
                row["verification"] = str(verification)
            rows.append(row)
    finally:
        await engine.aclose()
    return rows


def is_hard(name: str) -> bool:
    return name.startswith(HARD_PREFIX)


def _rate(rows: list[dict[str, Any]]) -> float | None:
    return 100.0 * sum(r["fixed"] for r in rows) / len(rows) if rows else None


def _sfix(rows: list[dict[str, Any]]) -> float | None:
    return sum(r["seconds"] for r in rows) / len(rows) if rows else None


def _plus(x: float | None, y: float) -> float | None:
    return None if x is None else x + y


def _times(x: float | None, y: float) -> float | None:
    return None if x is None else x * y


def _metrics(details: dict[str, list[dict[str, Any]]], bugs: list[str]) -> list[Metric]:
    """The rows for the patterns that ran; a comparison whose other side did not run is only reported."""
    n, n_hard = len(bugs), sum(map(is_hard, bugs))
    n_easy = n - n_hard
    rate = {p: _rate(rows) for p, rows in details.items()}
    easy = {p: _rate([r for r in rows if not is_hard(r["bug"])]) for p, rows in details.items()}
    hard = {p: _rate([r for r in rows if is_hard(r["bug"])]) for p, rows in details.items()}
    sfix = {p: _sfix(rows) for p, rows in details.items()}

    def judged(id: str, name: str, value: float | None, unit: str, target: float | None, op: Op,
               detail: dict[str, Any] | None = None) -> Metric:
        if target is None:
            return Metric(id, name, value, unit, detail=detail or {})
        return Metric(id, name, value, unit, target, op, detail=detail or {})

    out: list[Metric] = []
    if "primary" in details:
        out.append(Metric("fixrate_primary",
                          f"fix rate, primary pattern ({n} buggy functions, embedded profile)",
                          rate["primary"], "%", detail={"bugs": details["primary"]}))
    if "validated" in details:
        out.append(judged("fixrate_validated",
                          f"fix rate, validated pattern ({n} buggy functions; target: >= primary)",
                          rate["validated"], "%", rate.get("primary"), ">=", {"bugs": details["validated"]}))
    if "compete" in details:
        out.append(judged("fixrate_compete",
                          f"fix rate, compete pattern ({n} buggy functions; target: >= validated)",
                          rate["compete"], "%", rate.get("validated"), ">=", {"bugs": details["compete"]}))
    for p in details:
        is_v = p == "validated"
        easy_t = easy.get("primary") if is_v else None
        hard_t = _plus(hard.get("primary"), HARD_GAIN) if is_v else None
        sfix_t = _times(sfix.get("primary"), SFIX_RATIO) if is_v else None
        out += [
            judged(f"fixrate_{p}_easy", f"fix rate, {p}, easy half ({n_easy} bugs"
                   + ("; target: >= primary)" if easy_t is not None else ")"), easy[p], "%", easy_t, ">="),
            judged(f"fixrate_{p}_hard", f"fix rate, {p}, hard half ({n_hard} hard_* bugs"
                   + (f"; target: >= primary + {HARD_GAIN:g} points)" if hard_t is not None else ")"),
                   hard[p], "%", hard_t, ">="),
            judged(f"sfix_{p}", f"mean seconds per bug, {p} ({n} bugs"
                   + (f"; target: <= {SFIX_RATIO:g}x primary)" if sfix_t is not None else ")"),
                   sfix[p], "s", sfix_t, "<="),
        ]
    return out


async def _run(root: Path, bugs: list[str], patterns: tuple[str, ...]) -> list[Metric]:
    details: dict[str, list[dict[str, Any]]] = {}
    for pattern in patterns:
        details[pattern] = await _fix_all(root, pattern, bugs)
    return _metrics(details, bugs)


def run(bugs: list[str] | None = None, patterns: tuple[str, ...] | list[str] | None = None) -> list[Metric]:
    bugs = bugs or bug_files()
    patterns = tuple(patterns or PATTERNS)
    with tempfile.TemporaryDirectory(prefix="cadre-bench-fix-") as tmp:
        try:
            return asyncio.run(_run(Path(tmp), bugs, patterns))
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
            return [failed(f"fixrate_{p}", f"fix rate, {p} pattern", "%", why) for p in patterns]


SPEC_AB = ("off", "ngram")


def speculative_ab(bugs: list[str] | None = None) -> list[Metric]:
    """primary on every bug with the coder's speculation off, then with the shipped n-gram setting, one
    after the other in one run: seconds per bug off / on, and whether the same bugs got the same fixes."""
    bugs = bugs or bug_files()

    async def go(root: Path) -> dict[str, list[dict[str, Any]]]:
        return {s: await _fix_all(root, "primary", bugs, s) for s in SPEC_AB}

    with tempfile.TemporaryDirectory(prefix="cadre-bench-spec-fix-") as tmp:
        rows = asyncio.run(go(Path(tmp)))
    off, on = rows["off"], rows["ngram"]
    pairs = list(zip(off, on))
    differ = [{"bug": a["bug"], "fixed_off": a["fixed"], "fixed_ngram": b["fixed"]}
              for a, b in pairs if a.get("fix") != b.get("fix") or a["fixed"] != b["fixed"]]
    same = len(pairs) - len(differ)
    s_off, s_on = _sfix(off) or 0.0, _sfix(on) or 0.0
    drafted, accepted = sum(r["drafted"] for r in on), sum(r["accepted"] for r in on)
    for r in off + on:
        r.pop("fix", None)
    detail = {"sfix_off": round(s_off, 2), "sfix_ngram": round(s_on, 2), "fixed_off": sum(r["fixed"] for r in off),
              "fixed_ngram": sum(r["fixed"] for r in on), "same_fix": same, "differ": differ,
              "drafted": drafted, "accepted": accepted, "bugs_off": off, "bugs_ngram": on}
    return [Metric("spec_sfix", f"primary, s/fix with speculation off / with the shipped n-gram ({len(bugs)} bugs)",
                   s_off / max(1e-9, s_on), "x", 1.5, ">=", detail=detail),
            Metric("spec_fixed", "bugs fixed with n-gram speculation - bugs fixed without it",
                   float(detail["fixed_ngram"] - detail["fixed_off"]), "bugs", 0.0, ">=")]
