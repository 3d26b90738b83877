"""Per-endpoint statistics : calls, failures, fallbacks, latency, tokens/s."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


@dataclass
class EndpointStats:
    calls: int = 0
    failures: int = 0
    retries: int = 0
    fallbacks: int = 0
    """Times this endpoint failed and a later endpoint in the chain answered instead."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    decode_s: float = 0.0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=500))
    waiting: int = 0
    running: int = 0

    def record(self, seconds: float, prompt: int, completion: int, cached: int, tps: float | None) -> None:
        self.calls += 1
        self.latencies.append(seconds)
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.cached_tokens += cached
        if tps and completion:
            self.decode_s += completion / tps

    def as_dict(self) -> dict[str, Any]:
        lat = list(self.latencies)
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        return {
            "calls": self.calls,
            "failures": self.failures,
            "retries": self.retries,
            "fallbacks": self.fallbacks,
            "p50_s": round(p50, 3) if p50 is not None else None,
            "p95_s": round(p95, 3) if p95 is not None else None,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "tokens_per_s": round(self.completion_tokens / self.decode_s, 1) if self.decode_s else None,
            "waiting": self.waiting,
            "running": self.running,
        }
