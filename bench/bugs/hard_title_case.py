"""Text formatting."""

SMALL_WORDS = {"a", "an", "and", "in", "of", "on", "the", "to"}


def title_case(text):
    """Return `text` in headline style, words separated by single spaces.

    Every word gets a capital first letter and lower case for the rest, except the small words
    (a, an, and, in, of, on, the, to), which stay all lower case. The first word is always
    capitalised, even when it is a small word.
    """
    words = []
    for word in text.lower().split():
        if word in SMALL_WORDS:
            words.append(word)
        else:
            words.append(word[:1].upper() + word[1:])
    return " ".join(words)


def check() -> None:
    assert title_case("the lord of the rings") == "The Lord of the Rings"
    assert title_case("A TALE OF TWO CITIES") == "A Tale of Two Cities"
    assert title_case("war and peace") == "War and Peace"
    assert title_case("  gone   with the wind ") == "Gone With the Wind"
    assert title_case("of") == "Of"
    assert title_case("") == ""
