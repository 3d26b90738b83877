"""One benchmark figure (`Metric`) and the statistics every bench uses to make one.

A metric carries its target and the direction of the comparison, so the table, the JSON file and the
exit status all judge it the same way. `op="report"` marks figures that are shown but not judged.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Op = Literal["<=", ">=", "report"]


@dataclass
class Metric:
    id: str
    """Short key (for `--only` and the JSON file)."""
    name: str
    value: float | None
    unit: str
    target: float | None = None
    op: Op = "report"
    detail: dict[str, Any] = field(default_factory=dict)
    """Raw samples and side measurements, so a surprising value can be understood from the JSON alone."""
    error: str | None = None
    """Set when the measurement itself failed (the metric then fails, it is not silently skipped)."""

    @property
    def passed(self) -> bool | None:
        if self.error is not None:
            return False
        if self.op == "report" or self.target is None or self.value is None:
            return None
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    @property
    def target_text(self) -> str:
        if self.op == "report" or self.target is None:
            return "reported"
        return f"{self.op} {self.target:g}"

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["pass"] = self.passed
        out["value"] = None if self.value is None else round(self.value, 4)
        return out


def failed(id: str, name: str, unit: str, error: str, *, target: float | None = None, op: Op = "report") -> Metric:
    """A metric whose measurement could not be made (e.g. the server did not start)."""
    return Metric(id, name, None, unit, target, op, error=error)


def from_dict(d: dict[str, Any], id: str) -> Metric:
    """Adopt a metric dict from another bench module ({"name", "value", "unit", "target", "pass"}; `<=`)."""
    target = d.get("target")
    return Metric(id, d["name"], d.get("value"), d.get("unit", ""), target, "<=" if target is not None else "report")


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def percentile(xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): p99 of 300 samples is the 297th smallest, a real sample."""
    if not xs:
        raise ValueError("no samples")
    s = sorted(xs)
    k = max(1, math.ceil(q / 100.0 * len(s)))
    return s[k - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def rounded(xs: Sequence[float], digits: int = 4) -> list[float]:
    return [round(x, digits) for x in xs]
