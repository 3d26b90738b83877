"""`python -m bench [--quick | --full] [--only GROUP,...]`: run the benchmarks, print a table, write JSON.

--quick (the default) runs on the scripted backend with simulated latency and tokens/s, in well under
three minutes; --full adds the real embedded models (minutes: they load and generate on the CPU).
Results go to bench/results/<quick|full>.json (or --out). Exit status 1 when a judged metric fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .metrics import Metric, from_dict
from .report import RESULTS, conditions, print_table, write_json


def _pipeline(repeats: int, only: set[str]) -> list[Metric]:
    import asyncio
    import tempfile

    from . import pipeline_bench as pb

    async def go(root: Path) -> list[Metric]:
        out: list[Metric] = []
        if "overhead" in only:
            out.append(await pb.bench_overhead(root, repeats))
        if "compete" in only:
            out.extend(await pb.bench_compete(root, max(3, repeats - 2)))
        return out

    with tempfile.TemporaryDirectory(prefix="cadre-bench-") as tmp:
        return asyncio.run(go(Path(tmp)))


def _lsp(repeats: int) -> list[Metric]:
    from . import lsp_bench

    return lsp_bench.run(rounds=3 if repeats >= 3 else 1)


def _lsp_real(repeats: int) -> list[Metric]:
    from . import lsp_bench

    return lsp_bench.run(rounds=3 if repeats >= 3 else 1, real=True)


def _startup(repeats: int) -> list[Metric]:
    from . import startup_bench

    return startup_bench.run(repeats=max(3, repeats))


def _context(_repeats: int) -> list[Metric]:
    from . import context_bench

    rows = context_bench.run()
    ids = ["context"] + [f"context_{i}" for i in range(1, len(rows))]
    return [from_dict(r, i) for r, i in zip(rows, ids)]


def _model(repeats: int) -> list[Metric]:
    from . import model_bench

    return model_bench.run(repeats=repeats)


def _fixrate(_repeats: int) -> list[Metric]:
    from . import fix_rate

    return fix_rate.run()


def _speculative(repeats: int) -> list[Metric]:
    from . import fix_rate, speculative_bench

    return speculative_bench.run(repeats) + fix_rate.speculative_ab()


def _review(_repeats: int) -> list[Metric]:
    from . import review_bench

    return review_bench.run()


GROUPS: dict[str, tuple[str, Callable[[int], list[Metric]]]] = {
    "overhead": ("quick", lambda r: _pipeline(r, {"overhead"})),
    "compete": ("quick", lambda r: _pipeline(r, {"compete"})),
    "lsp": ("quick", _lsp),
    "startup": ("quick", _startup),
    "context": ("quick", _context),
    "model": ("full", _model),
    "lsp_real": ("full", _lsp_real),
    "fixrate": ("full", _fixrate),
    "review": ("full", _review),
    "speculative": ("full", _speculative),
}
"""Group -> (the mode that includes it, runner taking the repeat count)."""
ALIASES = {"codeaction": "lsp", "hover": "lsp", "progress": "lsp", "rss": "startup", "pipeline": "overhead",
           "kv": "model", "model_compete": "model", "model_overhead": "model", "bugs": "fixrate",
           "explain": "review", "codeaction_real": "lsp_real", "hover_real": "lsp_real",
           "progress_real": "lsp_real", "host_kill": "model", "spec": "speculative"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="scripted backend only (default; < 3 minutes)")
    mode.add_argument("--full", action="store_true", help="also the real embedded models (minutes)")
    p.add_argument("--only", help=f"comma-separated groups: {', '.join(GROUPS)} (aliases: {', '.join(ALIASES)})")
    p.add_argument("--repeats", type=int, default=7, help="repeats per timed figure (median reported)")
    p.add_argument("--out", type=Path, help="JSON file to write (default bench/results/<mode>.json)")
    args = p.parse_args(argv)
    name = "full" if args.full else "quick"
    if args.only:
        wanted = [ALIASES.get(g.strip(), g.strip()) for g in args.only.split(",") if g.strip()]
        unknown = [g for g in wanted if g not in GROUPS]
        if unknown:
            p.error(f"unknown group(s): {', '.join(unknown)} (known: {', '.join(GROUPS)})")
        groups = list(dict.fromkeys(wanted))
    else:
        groups = [g for g, (m, _) in GROUPS.items() if m == "quick" or name == "full"]
    started, before = time.time(), conditions()
    metrics: list[Metric] = []
    for g in groups:
        t0 = time.perf_counter()
        print(f"bench: {g} …", file=sys.stderr, flush=True)
        metrics.extend(GROUPS[g][1](args.repeats))
        print(f"bench: {g} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    out = args.out or RESULTS / f"{name}.json"
    write_json(out, name, metrics, started=started, before=before)
    print_table(metrics, f"cadre-lsp bench ({name}, {time.time() - started:.0f} s, load {before['loadavg']})")
    print(f"wrote {out}")
    return 0 if all(m.passed is not False for m in metrics) else 1


if __name__ == "__main__":
    sys.exit(main())
