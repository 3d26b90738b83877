"""Sorted list helpers."""


def insert_position(xs, x):
    """Return the index at which to insert `x` into the sorted list `xs` to keep it sorted.

    Equal elements stay first: `x` goes after any elements equal to it.

    >>> insert_position([1, 3, 5], 4)
    2
    >>> insert_position([1, 2, 2, 3], 2)
    3
    >>> insert_position([], 7)
    0
    """
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def check() -> None:
    assert insert_position([1, 3, 5], 4) == 2
    assert insert_position([1, 2, 2, 3], 2) == 3
    assert insert_position([], 7) == 0
    assert insert_position([5, 5, 5], 5) == 3
    assert insert_position([1, 2, 3], 0) == 0
    assert insert_position([1, 2, 3], 9) == 3
    assert insert_position([1, 1, 2], 1) == 2
