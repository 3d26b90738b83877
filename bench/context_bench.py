"""Benchmarks of `cadre_lsp.context`: context extraction, incremental reparsing, workspace indexing.

`run()` returns metric dicts {"name", "value", "unit", "target", "pass"}; `python bench/context_bench.py`
prints them as a table. The 5,000-line Python file is generated (deterministically) so that the numbers do
not depend on what happens to be in the repository.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
try:
    import cadre_lsp  # noqa: F401
except ImportError:  # run as a script from a checkout
    sys.path.insert(0, str(REPO / "server"))

from cadre_lsp.context import DocumentStore, SymbolIndex, extract_context, parse_document  # noqa: E402
from cadre_lsp.core import Span  # noqa: E402

EXTRACT_TARGET_MS = 5.0


def generate_python(lines: int = 5000, seed: int = 7) -> str:
    """A plausible Python module of about `lines` lines: imports, constants, classes, functions calling each other."""
    rng = random.Random(seed)
    out = [
        '"""Generated module for benchmarks."""',
        "",
        "import os",
        "import re",
        "from collections import defaultdict",
        "from dataclasses import dataclass, field",
        "",
        "LIMIT = 100",
        "PATTERN = re.compile(r'[a-z]+')",
        "",
    ]
    functions: list[str] = []
    n = 0
    while len(out) < lines - 12:
        n += 1
        if n % 4 == 0:
            out += [
                "",
                "@dataclass",
                f"class Record{n}:",
                f'    """Record number {n}."""',
                "",
                "    name: str",
                "    values: list[int] = field(default_factory=list)",
                "",
                "    def total(self) -> int:",
                "        return sum(v for v in self.values if v < LIMIT)",
                "",
                "    def describe(self, prefix: str = '') -> str:",
                "        words = PATTERN.findall(self.name)",
                f"        return prefix + ' '.join(words) + str(self.total()) + '{n}'",
                "",
            ]
            continue
        callee = rng.choice(functions) if functions else "len"
        name = f"step_{n}"
        functions.append(name)
        out += [
            "",
            f"def {name}(items: list[str], depth: int = 0) -> dict[str, int]:",
            f'    """Count things, step {n}."""',
            "    counts: dict[str, int] = defaultdict(int)",
            "    for item in items:",
            "        if not item or depth > LIMIT:",
            "            continue",
            "        key = os.path.basename(item).lower()",
            "        counts[key] += 1",
            f"    extra = {callee}(items[:{rng.randint(1, 9)}], depth + 1) if depth < 3 else {{}}",
            "    for key, value in extra.items():",
            "        counts[key] += value",
            "    return dict(counts)",
        ]
    out.append("")
    return "\n".join(out)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def bench_extraction(text: str, requests: int = 300) -> dict[str, float]:
    store = DocumentStore()
    doc = store.open("file:///bench/generated.py", text)
    line_count = text.count("\n") + 1
    rng = random.Random(3)
    extract_context(doc, None, Span(10, 0, 10, 0))  # first request builds the line table and outline
    samples = []
    for _ in range(requests):
        line = rng.randrange(0, line_count)
        span = Span(line, 4, min(line + rng.randint(0, 3), line_count - 1), 0)
        started = time.perf_counter()
        ctx = extract_context(doc, None, span, budget_tokens=1200)
        ctx.render()
        samples.append(time.perf_counter() - started)
    after_edit = []
    for i in range(40):
        doc = store.change(doc.uri, 0, 0, "#" if i % 2 == 0 else "")
        line = rng.randrange(0, line_count)
        started = time.perf_counter()
        extract_context(doc, None, Span(line, 4, line, 4)).render()
        after_edit.append(time.perf_counter() - started)
    return {"cached": _median_ms(samples), "after_edit": _median_ms(after_edit)}


def bench_reparse(text: str, places: int = 30) -> dict[str, float]:
    """Keystrokes as an editor sends them: type a short word at the end of a random line, then delete it.

    Each keystroke is one `change` (one incremental reparse). The text goes through the half-typed states a
    real buffer does, without piling up thousands of random syntax errors no real file has.
    """
    store = DocumentStore()
    doc = store.open("file:///bench/generated.py", text)
    rng = random.Random(5)
    samples = []
    for _ in range(places):
        line_end = doc.text.find("\n", rng.randrange(0, len(doc.text)))
        if line_end < 0:
            continue
        word = rng.choice([" or x", "  # todo", "\n    y = (1, 2)"])
        for i, char in enumerate(word):
            started = time.perf_counter()
            doc = store.change(doc.uri, line_end + i, line_end + i, char)
            samples.append(time.perf_counter() - started)
        for i in reversed(range(len(word))):
            started = time.perf_counter()
            doc = store.change(doc.uri, line_end + i, line_end + i + 1, "")
            samples.append(time.perf_counter() - started)
    assert doc.text == text
    started = time.perf_counter()
    parse_document(text, "python")
    full = time.perf_counter() - started
    return {"incremental": _median_ms(samples), "full": full * 1000.0}


def bench_index(root: Path = REPO) -> dict[str, float]:
    index = SymbolIndex(str(root))
    started = time.perf_counter()
    index.build()
    return {
        "seconds": time.perf_counter() - started,
        "files": float(index.file_count),
        "symbols": float(index.symbol_count),
    }


def run() -> list[dict[str, Any]]:
    text = generate_python()
    extraction = bench_extraction(text)
    reparse = bench_reparse(text)
    index = bench_index()

    def metric(name: str, value: float, unit: str, target: float | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "value": round(value, 3),
            "unit": unit,
            "target": target,
            "pass": None if target is None else value <= target,
        }

    return [
        metric(
            "context: extraction median, 5,000-line Python file",
            extraction["cached"],
            "ms",
            EXTRACT_TARGET_MS,
        ),
        metric(
            "context: extraction median right after an edit (outline rebuilt)", extraction["after_edit"], "ms"
        ),
        metric("context: incremental change+reparse median, 5,000-line file", reparse["incremental"], "ms"),
        metric("context: full parse, 5,000-line file (reference)", reparse["full"], "ms"),
        metric(
            f"context: symbol index build, this repository ({int(index['files'])} files)",
            index["seconds"] * 1000.0,
            "ms",
        ),
        metric("context: symbols indexed in this repository", index["symbols"], "symbols"),
    ]


def main() -> int:
    rows = run()
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        verdict = "" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL")
        target = "" if r["target"] is None else f"<= {r['target']}"
        print(f"{r['name']:<{width}}  {r['value']:>10} {r['unit']:<8} {target:<8} {verdict}")
    return 0 if all(r["pass"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
