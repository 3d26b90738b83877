"""How long to wait before retrying a transient model failure: full jitter, and the server's Retry-After.

Exponential backoff without jitter makes every client that failed together retry together (a restarted
llama.cpp or a rate-limited gateway gets the same burst again, `backoff_s` later, twice as big). Full
jitter (AWS Architecture Blog, "Exponential Backoff And Jitter") draws the wait uniformly from
[0, min(cap, base * 2**(attempt-1))]. A 429 or 503 that says `Retry-After` (seconds, or an HTTP date)
knows better than any formula, so its value is the floor of the wait; everything is capped, so a
server asking for an hour cannot stall an editor action for an hour.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

MAX_DELAY_S = 30.0
"""No retry waits longer than this, whatever the formula or the server says."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retry_after_of(exc: BaseException | None) -> float | None:
    """The Retry-After an error's HTTP response carried (searched along `__cause__`/`__context__`)."""
    seen = 0
    while exc is not None and seen < 8:
        explicit = getattr(exc, "retry_after", None)
        if isinstance(explicit, (int, float)):
            return max(0.0, float(explicit))
        response: Any = getattr(exc, "response", None)
        headers: Any = getattr(response, "headers", None) or getattr(exc, "headers", None)
        if headers is not None and hasattr(headers, "get"):
            parsed = parse_retry_after(headers.get("retry-after") or headers.get("Retry-After"))
            if parsed is not None:
                return parsed
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def retry_delay(attempt: int, base_s: float, *, retry_after: float | None = None, cap_s: float = MAX_DELAY_S,
                rand: Callable[[], float] = random.random) -> float:
    """Seconds to sleep before retry number `attempt` (1 = the first retry)."""
    ceiling = min(cap_s, max(0.0, base_s) * (2 ** max(0, attempt - 1)))
    delay = rand() * ceiling
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, cap_s)
