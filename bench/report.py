"""Show the metrics as a table (rich) and write them, with the conditions of the run, as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from .metrics import Metric

RESULTS = Path(__file__).resolve().parent / "results"


def conditions() -> dict[str, Any]:
    """What the numbers depend on: cores, load (other people share these machines), interpreter."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {"cpus": os.cpu_count(), "loadavg": load, "python": platform.python_version(),
            "platform": platform.platform(terse=True)}


def write_json(path: Path, mode: str, metrics: list[Metric], *, started: float, before: dict[str, Any]) -> None:
    data = {
        "mode": mode,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "conditions": {"start": before, "end": conditions()},
        "passed": all(m.passed is not False for m in metrics),
        "metrics": [m.as_json() for m in metrics],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _value(m: Metric) -> str:
    if m.value is None:
        return "-"
    if m.unit == "%":
        return f"{m.value:.1f}"
    return f"{m.value:.3f}" if abs(m.value) < 10 else f"{m.value:.1f}"


def print_table(metrics: list[Metric], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("id", style="dim")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("target", justify="right")
    table.add_column("result")
    for m in metrics:
        verdict = {True: "[green]pass[/green]", False: "[red]FAIL[/red]", None: "[dim]-[/dim]"}[m.passed]
        name = m.name if m.error is None else f"{m.name}\n[red]{m.error}[/red]"
        table.add_row(m.id, name, _value(m), m.unit, m.target_text, verdict)
    Console(file=sys.stdout, width=max(120, Console().width)).print(table)
