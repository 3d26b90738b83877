"""Unit conversions."""


def celsius_to_fahrenheit(c):
    """Convert a temperature from degrees Celsius to degrees Fahrenheit."""
    return c * 9 / 5 - 32


def check() -> None:
    assert celsius_to_fahrenheit(0) == 32
    assert celsius_to_fahrenheit(100) == 212
    assert celsius_to_fahrenheit(-40) == -40
