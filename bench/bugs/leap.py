"""Calendar helpers."""


def is_leap_year(year):
    """Return True if `year` is a leap year in the Gregorian calendar."""
    return year % 4 == 0 and year % 100 != 0


def check() -> None:
    assert is_leap_year(2024) and not is_leap_year(2023)
    assert not is_leap_year(1900)
    assert is_leap_year(2000)
