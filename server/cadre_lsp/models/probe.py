"""The one-token probe behind `health(probe=True)`, written once so every backend asks the same question
and times it the same way (`doctor` compares their `probe_s` side by side)."""

from __future__ import annotations

import time

from .base import ChatBackend, Completion, Health, ModelError


async def timed_probe(backend: ChatBackend) -> tuple[float, Completion]:
    """Ask for one token; the seconds it took and the answer. The backend's `ModelError` passes through."""
    t0 = time.perf_counter()
    c = await backend.chat([{"role": "user", "content": "Say OK."}], max_tokens=1, temperature=0.0)
    return time.perf_counter() - t0, c


async def probe_into(health: Health, backend: ChatBackend) -> None:
    """Run the probe and record it in `health`: its time and decode rate, or, if it fails, not ok, with
    the error as the detail."""
    try:
        seconds, c = await timed_probe(backend)
    except ModelError as exc:
        health.ok = False
        health.detail = str(exc)
        return
    health.probe_s = seconds
    health.tokens_per_s = c.timings.tokens_per_s
