"""Review recall and Explain grounding on bench/bugs, with the real embedded models.

Each bug file (one buggy function, a docstring saying what it must do, and a `check()`) is reviewed
whole (`cadre-lsp run review FILE`'s request) through the engine with the shipped embedded profile at
temperature 0. `fixes.json` gives the buggy substring, so the buggy lines are known:

- `review_recall`: share of files with at least one finding whose lines touch the buggy lines;
- `review_noise`: findings that touch no buggy line, per file (every other finding is noise here: each
  file has exactly one bug);
- `review_sfile`: seconds per file (review only);
- `explain_actual`: share of files whose explanation states the code's actual behaviour where it differs
  from what it should do. The check: the explanation names a call and its outcome (`f(x)` returned y /
  raised E), and running that call in the sandbox shows the buggy code does exactly that while the
  reference fix (fixes.json) does something else. So a statement counts only if it is true and shows
  the bug; prose that merely says "counts vowels" does not.

A proven finding spans its whole definition unless a traceback points inside it (review_walk.py), so
it touches the buggy lines by construction; `detail` splits the findings that touch by kind (proven,
generated, model-only) so the recall can be read with that in mind.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from .metrics import Metric, failed
from .model_bench import BUGS

CLAIM = re.compile(r"`([A-Za-z_]\w*\(.*?\))` (returned|raised) (.+?)(?:, but | — |\.?$)", re.MULTILINE)


def buggy_lines(text: str, buggy: str) -> tuple[int, int]:
    """0-based first and last line of the buggy substring."""
    at = text.index(buggy)
    return text.count("\n", 0, at), text.count("\n", 0, at + len(buggy.rstrip("\n")))


def _config(root: Path) -> Path:
    path = root / "review.toml"
    path.write_text('profile = "embedded"\n\n[generation]\ntemperature = 0.0\n', encoding="utf-8")
    return path


def _kind(message: str) -> str:
    if message.startswith("confirmed by running it"):
        return "proven"
    if message.startswith("generated example"):
        return "generated"
    return "model"


async def _explain_check(path: Path, fixed_text: str, explanation: str) -> tuple[bool, str]:
    """Whether the explanation states an outcome the buggy code has and the fix does not (see module doc)."""
    from cadre_lsp.verify import Example, run_examples
    from cadre_lsp.verify.literals import literal_call

    claims = []
    for call, verb, rest in CLAIM.findall(explanation):
        name = call.split("(", 1)[0]
        parsed = literal_call(call, name)
        if isinstance(parsed, str):
            continue
        fn, args, kwargs = parsed
        claims.append((Example(fn, args, kwargs, None, "NeverRaisedError", "generated"), verb, rest.strip()))
    if not claims:
        return False, "no call with its outcome in the explanation"
    examples = [c[0] for c in claims]
    buggy = await run_examples(path.read_text(encoding="utf-8"), examples)
    fixed = await run_examples(fixed_text, examples)

    def outcome(r: Any) -> str:
        return f"raised {(r.error or '').split(':', 1)[0]}" if r.status == "raised" else f"returned {r.actual}"

    for (ex, verb, rest), b, f in zip(claims, buggy.results, fixed.results):
        said = f"{verb} {rest.split(':', 1)[0] if verb == 'raised' else rest}"
        if outcome(b) == said and outcome(f) != said:
            return True, f"{ex.call} {said} (the fix: {outcome(f)})"
    return False, f"{len(claims)} claim(s), none shows the bug"


async def _one(engine: Any, log: Any, ws: Path, name: str, fixes: dict[str, list[str]],
               explain: bool) -> dict[str, Any]:
    from cadre_lsp.core import Request, Span

    path = ws / name
    path.write_text((BUGS / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    first, last = buggy_lines(text, fixes[name][0])
    n_lines = text.count("\n")
    req = Request(action="review", path=str(path), text=text, span=Span.lines(0, n_lines - 1), version=1,
                  language="python", workspace_root=str(ws))
    calls = len(log.calls)
    t0 = time.perf_counter()
    result = await engine.run(req)
    seconds = time.perf_counter() - t0
    touching, elsewhere = [], []
    for f in result.findings:
        (touching if f.start_line <= last and first <= f.end_line else elsewhere).append(
            {"lines": [f.start_line + 1, f.end_line + 1], "kind": _kind(f.message), "message": f.message[:160]})
    row: dict[str, Any] = {"bug": name, "found": bool(touching), "touching": touching, "elsewhere": elsewhere,
                           "seconds": round(seconds, 1), "calls": len(log.calls) - calls,
                           "error": result.error}
    if explain:
        line = next(i for i, ln in enumerate(text.split("\n")) if ln.startswith("def "))
        ereq = Request(action="explain", path=str(path), text=text, span=Span.lines(line, line), version=1,
                       language="python", workspace_root=str(ws))
        t0 = time.perf_counter()
        res = await engine.run(ereq)
        ok, why = await _explain_check(path, text.replace(fixes[name][0], fixes[name][1], 1), res.text or "")
        row["explain"] = {"states_actual": ok, "why": why, "seconds": round(time.perf_counter() - t0, 1),
                          "error": res.error}
    return row


async def _run_all(root: Path, names: list[str], explain: bool, rows_to: Path | None = None) -> list[dict[str, Any]]:
    from .recording import recorded_engine

    fixes = json.loads((BUGS / "fixes.json").read_text(encoding="utf-8"))
    ws = root / "review"
    ws.mkdir()
    engine, log = recorded_engine(_config(root), ws)
    rows = []
    try:
        for name in names:
            rows.append(await _one(engine, log, ws, name, fixes, explain))
            if rows_to is not None:  # a long run on a busy machine: each file's row as soon as it is known
                with rows_to.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(rows[-1]) + "\n")
    finally:
        await engine.aclose()
    return rows


def metrics(rows: list[dict[str, Any]]) -> list[Metric]:
    n = len(rows)
    found = sum(r["found"] for r in rows)
    noise = sum(len(r["elsewhere"]) for r in rows)
    by_kind: dict[str, int] = {}
    for r in rows:
        for f in r["touching"]:
            by_kind[f["kind"]] = by_kind.get(f["kind"], 0) + 1
    detail = {"files": n, "found": found, "touching_by_kind": by_kind,
              "missed": [r["bug"] for r in rows if not r["found"]], "rows": rows}
    out = [
        Metric("review_recall", "review: files with a finding on the buggy lines", 100.0 * found / n, "%",
               80.0, ">=", detail=detail),
        Metric("review_noise", "review: findings elsewhere per file", noise / n, "findings/file", 0.5, "<=",
               detail={"elsewhere": {r["bug"]: r["elsewhere"] for r in rows if r["elsewhere"]}}),
        Metric("review_sfile", "review: seconds per file", sum(r["seconds"] for r in rows) / n, "s",
               detail={"calls_per_file": sum(r["calls"] for r in rows) / n}),
    ]
    explained = [r for r in rows if "explain" in r]
    if explained:
        ok = sum(r["explain"]["states_actual"] for r in explained)
        out.append(Metric("explain_actual", "explain: states the actual behaviour where it differs",
                          100.0 * ok / len(explained), "%",
                          detail={"files": len(explained), "s_per_file": sum(r["explain"]["seconds"]
                                                                            for r in explained) / len(explained),
                                  "rows": {r["bug"]: r["explain"] for r in explained}}))
    return out


def run(names: list[str] | None = None, *, explain: bool = True, rows_to: Path | None = None) -> list[Metric]:
    names = names or sorted(p.name for p in BUGS.glob("*.py"))
    try:
        with tempfile.TemporaryDirectory(prefix="cadre-review-") as tmp:
            rows = asyncio.run(_run_all(Path(tmp), names, explain, rows_to))
    except Exception as exc:  # the models did not load: the row fails, it is not skipped
        return [failed("review_recall", "review: files with a finding on the buggy lines", "%", str(exc),
                       target=80.0, op=">=")]
    return metrics(rows)


if __name__ == "__main__":
    import sys

    from .report import conditions, print_table, write_json

    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    started, before = time.time(), conditions()
    ms = run(args or None, explain="--no-explain" not in sys.argv,
             rows_to=Path(__file__).resolve().parent / "results" / "review-rows.jsonl")
    out = Path(__file__).resolve().parent / "results" / "latest-review.json"
    write_json(out, "full", ms, started=started, before=before)
    print_table(ms, "review")
