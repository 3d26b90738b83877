"""Search helpers."""


def binary_search(xs, target):
    """Return the index of `target` in the sorted list `xs`, or -1 if it is absent."""
    lo, hi = 0, len(xs) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def check() -> None:
    xs = [1, 3, 5, 7, 9, 11]
    assert all(binary_search(xs, x) == i for i, x in enumerate(xs))
    assert binary_search(xs, 4) == -1
    assert binary_search([2], 2) == 0
