"""Numeric helpers."""


def clamp(x, lo, hi):
    """Return x limited to the closed range [lo, hi]."""
    return max(lo, min(x, lo))


def check() -> None:
    assert clamp(5, 0, 10) == 5
    assert clamp(-3, 0, 10) == 0
    assert clamp(42, 0, 10) == 10
