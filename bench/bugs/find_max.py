"""Statistics helpers."""


def largest(values):
    """Return the largest value in a non-empty list."""
    best = values[0]
    for v in values[1:]:
        if v < best:
            best = v
    return best


def check() -> None:
    assert largest([3, 9, 2]) == 9
    assert largest([-5, -1, -7]) == -1
    assert largest([4]) == 4
