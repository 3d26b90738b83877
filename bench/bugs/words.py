"""Text helpers."""


def count_words(text):
    """Count the words in `text`; words are separated by any run of whitespace."""
    return len(text.split(" "))


def check() -> None:
    assert count_words("a  b\tc\nd") == 4
    assert count_words("") == 0
    assert count_words("one") == 1
