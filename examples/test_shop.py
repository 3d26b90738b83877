"""The behaviour examples/shop.py promises; each test fails until its function is fixed."""

from shop import count_vowels, factorial, largest, to_fahrenheit, total_price


def test_total_price():
    assert total_price([1, 2, 3.5]) == 6.5


def test_largest():
    assert largest([3, 9, 2]) == 9


def test_factorial():
    assert factorial(5) == 120 and factorial(0) == 1


def test_to_fahrenheit():
    assert to_fahrenheit(100) == 212


def test_count_vowels():
    assert count_vowels("Hello World") == 3
