"""A tiny shop module with one bug per function, for trying cadre-lsp (see README)."""


def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total


def largest(values):
    """Return the largest value in a non-empty list."""
    best = values[0]
    for v in values[1:]:
        if v < best:
            best = v
    return best


def factorial(n):
    """Return n! for n >= 0."""
    result = 1
    for i in range(1, n):
        result *= i
    return result


def to_fahrenheit(celsius):
    """Convert degrees Celsius to Fahrenheit."""
    return celsius * 9 / 5 - 32


def count_vowels(text):
    """Count the vowels (a, e, i, o, u) in text, ignoring case."""
    return sum(1 for ch in text.lower() if ch not in "aeiou")
