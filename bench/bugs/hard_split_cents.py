"""Billing helpers."""


def split_cents(total, parts):
    """Split `total` cents (>= 0) into `parts` whole-cent shares that differ by at most one cent.

    The shares add up to `total` and the larger shares come first:
    `split_cents(100, 3) == [34, 33, 33]`, `split_cents(90, 3) == [30, 30, 30]`,
    `split_cents(2, 4) == [1, 1, 0, 0]`. Raises ValueError if `parts` is not positive.
    """
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, rem = divmod(total, parts)
    return [base + (1 if i >= parts - rem else 0) for i in range(parts)]


def check() -> None:
    assert split_cents(100, 3) == [34, 33, 33]
    assert split_cents(90, 3) == [30, 30, 30]
    assert split_cents(2, 4) == [1, 1, 0, 0]
    assert split_cents(101, 4) == [26, 25, 25, 25]
    assert split_cents(0, 2) == [0, 0]
    assert split_cents(7, 1) == [7]
    try:
        split_cents(10, 0)
    except ValueError:
        pass
    else:
        raise AssertionError("no ValueError")
