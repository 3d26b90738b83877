"""Nested configuration lookups."""


def get_path(data, path, default=None):
    """Look up a dotted key path such as "db.port" in nested dicts.

    Returns `default` when a key is missing or a value on the way is not a dict. A stored value is
    returned as is even when it is false-ish: `get_path({"a": {"b": 0}}, "a.b", 5) == 0`,
    while `get_path({"a": {"b": 2}}, "a.b") == 2` and `get_path({"a": 1}, "a.b", "none") == "none"`.
    """
    node = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node or default


def check() -> None:
    assert get_path({"a": {"b": 0}}, "a.b", 5) == 0
    assert get_path({"a": {"b": 2}}, "a.b") == 2
    assert get_path({"a": 1}, "a.b", "none") == "none"
    assert get_path({"a": {"b": ""}}, "a.b", "x") == ""
    assert get_path({"a": {"b": None}}, "a.b", 3) is None
    assert get_path({"a": {"b": False}}, "a.b", True) is False
    assert get_path({}, "a", 1) == 1
    assert get_path({"a": {"b": {"c": [1]}}}, "a.b.c") == [1]
