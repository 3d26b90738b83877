"""Compression helpers."""


def rle(text):
    """Run-length encode `text` as a list of (character, count) pairs, in order.

    >>> rle("aaabcc")
    [('a', 3), ('b', 1), ('c', 2)]
    >>> rle("")
    []
    >>> rle("abab")
    [('a', 1), ('b', 1), ('a', 1), ('b', 1)]
    """
    runs = []
    prev, count = None, 0
    for ch in text:
        if ch == prev:
            count += 1
        else:
            if count:
                runs.append((prev, count))
            prev, count = ch, 1
    return runs


def check() -> None:
    assert rle("aaabcc") == [("a", 3), ("b", 1), ("c", 2)]
    assert rle("") == []
    assert rle("x") == [("x", 1)]
    assert rle("zzzz") == [("z", 4)]
    assert rle("aAa") == [("a", 1), ("A", 1), ("a", 1)]
