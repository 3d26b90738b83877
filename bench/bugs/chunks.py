"""List helpers."""


def chunks(items, size):
    """Split `items` into consecutive lists of `size` elements (the last one may be shorter)."""
    return [items[i:i + size] for i in range(0, len(items) - size, size)]


def check() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([1, 2], 2) == [[1, 2]]
    assert chunks([], 3) == []
