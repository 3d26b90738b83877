"""Statistics helpers."""


def median(values):
    """Return the median of a non-empty list of numbers (the mean of the two middle ones if even)."""
    n = len(values)
    return values[n // 2]


def check() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
