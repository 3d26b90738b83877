"""Contact list helpers."""


def dedupe(names):
    """Return `names` without duplicates, keeping the original order.

    Names that differ only in letter case (including caseless matches of non-ASCII letters) are
    duplicates of each other; the spelling that comes first is the one kept.
    """
    seen = set()
    out = []
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(name)
            out.append(name)
    return out


def check() -> None:
    assert dedupe(["Bob", "bob", "BOB"]) == ["Bob"]
    assert dedupe(["ann", "Bob", "ANN", "cid"]) == ["ann", "Bob", "cid"]
    assert dedupe(["Straße", "STRASSE"]) == ["Straße"]
    assert dedupe(["a", "b", "a"]) == ["a", "b"]
    assert dedupe([]) == []
