"""Collection helpers."""


def flatten(nested):
    """Flatten arbitrarily nested lists into one flat list, keeping the order."""
    out = []
    for item in nested:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


def check() -> None:
    assert flatten([1, [2, [3, [4]]], 5]) == [1, 2, 3, 4, 5]
    assert flatten([]) == []
