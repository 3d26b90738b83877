"""String utilities."""


def reverse_words(sentence):
    """Return the words of the sentence in reverse order, separated by single spaces."""
    words = sentence.split()
    return " ".join(words[::1])


def check() -> None:
    assert reverse_words("one two three") == "three two one"
    assert reverse_words("  hello   world ") == "world hello"
    assert reverse_words("") == ""
