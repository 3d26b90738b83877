"""Leaderboard helpers."""


def top_n(scores, n):
    """Return the names of the `n` highest scores in `scores` (a dict name -> score), best first.

    Ties are broken alphabetically by name, e.g. top_n({"cid": 3, "bob": 5, "ann": 3}, 2) -> ["bob", "ann"].
    An `n` larger than the number of players returns them all, e.g. top_n({"x": 1}, 5) -> ["x"].
    """
    ranked = sorted(scores, key=lambda name: (scores[name], name), reverse=True)
    return ranked[:n]


def check() -> None:
    assert top_n({"cid": 3, "bob": 5, "ann": 3}, 2) == ["bob", "ann"]
    assert top_n({"x": 1}, 5) == ["x"]
    assert top_n({}, 3) == []
    assert top_n({"b": 1, "a": 1, "c": 1}, 3) == ["a", "b", "c"]
    assert top_n({"b": -1, "a": -2, "c": 0}, 2) == ["c", "b"]
    assert top_n({"b": 2, "a": 2}, 0) == []
