"""Combinatorics."""


def factorial(n):
    """Return n! for n >= 0."""
    result = 1
    for i in range(1, n):
        result *= i
    return result


def check() -> None:
    assert factorial(0) == 1
    assert factorial(1) == 1
    assert factorial(5) == 120
