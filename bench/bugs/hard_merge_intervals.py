"""Calendar helpers."""


def merge_intervals(intervals):
    """Merge overlapping closed intervals given as (start, end) pairs, in any order; return them sorted.

    Intervals that only touch are merged too: `merge_intervals([(1, 2), (2, 3)]) == [(1, 3)]`.
    Others: `merge_intervals([(8, 10), (1, 3), (2, 6)]) == [(1, 6), (8, 10)]` and
    `merge_intervals([]) == []`.
    """
    out = []
    for start, end in sorted(intervals):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def check() -> None:
    assert merge_intervals([(1, 2), (2, 3)]) == [(1, 3)]
    assert merge_intervals([(8, 10), (1, 3), (2, 6)]) == [(1, 6), (8, 10)]
    assert merge_intervals([]) == []
    assert merge_intervals([(1, 10), (2, 3)]) == [(1, 10)]
    assert merge_intervals([(5, 5), (5, 7), (9, 9)]) == [(5, 7), (9, 9)]
    assert merge_intervals([(-3, -1), (-1, 0), (2, 4)]) == [(-3, 0), (2, 4)]
