"""Report helpers."""


def average(numbers):
    """Return the arithmetic mean of a non-empty list of numbers."""
    total = sum(numbers)
    return total / (len(numbers) - 1)


def check() -> None:
    assert average([2, 4, 6]) == 4
    assert average([5]) == 5
