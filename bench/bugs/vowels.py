"""Text statistics."""


def count_vowels(text):
    """Return how many vowels (a, e, i, o, u, either case) the text contains."""
    count = 0
    for ch in text.lower():
        if ch not in "aeiou":
            count += 1
    return count


def check() -> None:
    assert count_vowels("") == 0
    assert count_vowels("Hello World") == 3
    assert count_vowels("rhythm") == 0
