"""Checksum helpers."""


def digit_sum(n):
    """Return the sum of the decimal digits of the integer `n`.

    The sign is ignored: a negative `n` gives the same sum as its absolute value, and zero gives zero.
    """
    total = 0
    while n > 0:
        total += n % 10
        n //= 10
    return total


def check() -> None:
    assert digit_sum(123) == 6
    assert digit_sum(0) == 0
    assert digit_sum(-123) == 6
    assert digit_sum(-7) == 7
    assert digit_sum(1000) == 1
    assert digit_sum(99) == 18
