"""Numeral conversions."""

VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(s):
    """Convert a Roman numeral such as "XIV" or "MCMXC" to an integer."""
    total = 0
    for ch in s:
        total += VALUES[ch]
    return total


def check() -> None:
    assert roman_to_int("XIV") == 14
    assert roman_to_int("MCMXC") == 1990
    assert roman_to_int("III") == 3
