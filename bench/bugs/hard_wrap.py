"""Text layout."""


def wrap(text, width):
    """Wrap the words of `text` into lines of at most `width` characters, words separated by one space.

    A line may be exactly `width` long, e.g. wrap("aaa bbb ccc", 7) -> ["aaa bbb", "ccc"].
    A word longer than `width` gets a line of its own, e.g. wrap("a abcdefgh b", 4) -> ["a", "abcdefgh", "b"].
    Empty text gives no lines: wrap("", 5) -> [].
    """
    lines = []
    line = ""
    for word in text.split():
        if not line:
            line = word
        elif len(line) + 1 + len(word) < width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def check() -> None:
    assert wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap("a abcdefgh b", 4) == ["a", "abcdefgh", "b"]
    assert wrap("", 5) == []
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]
    assert wrap("a b c d", 3) == ["a b", "c d"]
    assert wrap("one", 3) == ["one"]
