"""Pagination helpers."""


def page_count(total, per_page):
    """Return how many pages are needed to show `total` items, `per_page` items per page.

    A partly filled last page still counts, and no items need no pages:
    `page_count(25, 10) == 3`, `page_count(30, 10) == 3`, `page_count(0, 10) == 0`,
    `page_count(7, 10) == 1`. Raises ValueError if `per_page` is not positive or `total` is negative.
    """
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    if total < 0:
        raise ValueError("total must not be negative")
    return total // per_page + 1


def check() -> None:
    assert page_count(25, 10) == 3
    assert page_count(30, 10) == 3
    assert page_count(0, 10) == 0
    assert page_count(1, 1) == 1
    assert page_count(10, 3) == 4
    assert page_count(9, 3) == 3
    for bad in ((5, 0), (-1, 10)):
        try:
            page_count(*bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"no ValueError for {bad}")
