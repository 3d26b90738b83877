"""Shopping cart totals."""


def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total


def check() -> None:
    assert total_price([]) == 0
    assert total_price([1, 2, 3.5]) == 6.5
