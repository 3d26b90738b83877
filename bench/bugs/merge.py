"""Sorting helpers."""


def merge_sorted(a, b):
    """Merge two sorted lists into one sorted list containing every element of both."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out


def check() -> None:
    assert merge_sorted([1, 4, 9], [2, 3]) == [1, 2, 3, 4, 9]
    assert merge_sorted([], [1]) == [1]
