"""Evidence read from one function's source: what is taken, what is dropped, and that nothing is run."""

from __future__ import annotations

from cadre_lsp.verify import Evidence, Example, signature_and_docstring, stated_examples

CHUNK = '''
# chunk([], 3) == []
def chunk(items, size):
    """Split items into lists of `size`.

    chunk(items, size) returns a list of lists.
    e.g. chunk([1, 2, 3], 2) gives [[1, 2], [3]]
    chunk([1], 0) raises ValueError
    other(1) == 2

    >>> chunk([1, 2, 3, 4], 2)
    [[1, 2], [3, 4]]
    >>> chunk([1], -1)
    Traceback (most recent call last):
      ...
    ValueError: size must be positive
    """
    out = []  # chunk([5], 1) -> [[5]].
    for i in range(0, len(items), size):
        out.append(items[i : i + size])
    return out
'''


def test_doctests_docstring_comments_and_raises() -> None:
    ev = stated_examples(CHUNK, "chunk")
    got = {(e.source, e.line, e.describe()) for e in ev.examples}
    assert got == {
        ("comment", 1, "chunk([], 3) == []"),
        ("docstring", 6, "chunk([1, 2, 3], 2) == [[1, 2], [3]]"),
        ("docstring", 7, "chunk([1], 0) raises ValueError"),
        ("doctest", 10, "chunk([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]"),
        ("doctest", 12, "chunk([1], -1) raises ValueError"),
        ("comment", 17, "chunk([5], 1) == [[5]]"),
    }
    assert ev.dropped == []  # the prose "chunk(items, size) returns a list" is no example
    assert ev.describe() == "2 doctest examples + 2 docstring examples + 2 comment examples"


def test_operator_spellings_and_kwargs() -> None:
    src = '''def f(x, y=0):
    """f(1) == 1, f(2) -> 2, f(3) => 3, f(4) returns 4. f(5, y=1) should return 6; f(-1) raise KeyError"""
'''
    ev = stated_examples(src, "f")
    assert [e.describe() for e in ev.examples] == [
        "f(1) == 1",
        "f(2) == 2",
        "f(3) == 3",
        "f(4) == 4",
        "f(5, y=1) == 6",
        "f(-1) raises KeyError",
    ]
    assert ev.examples[4].kwargs == (("y", 1),)


def test_method_indentation_and_staticmethod() -> None:
    src = '''    @staticmethod
    def norm(v):
        """Stack.norm([3, 4]) == 5.0

        >>> norm([0])
        0.0
        >>> self.norm([1])
        1.0
        """
        return sum(x * x for x in v) ** 0.5
'''
    ev = stated_examples(src, "norm")
    assert [(e.function, e.call, e.expected) for e in ev.examples] == [
        ("norm", "norm([0])", 0.0),
        ("Stack.norm", "Stack.norm([3, 4])", 5.0),
    ]
    assert len(ev.dropped) == 1 and "instance" in ev.dropped[0]


def test_unparsable_dropped_and_counted_never_evaluated(tmp_path) -> None:
    marker = tmp_path / "ran"
    src = f'''def f(x):
    """f(__import__('os').system('touch {marker}')) == 0
    f(open('{marker}', 'w')) -> 1
    f([1, 2) == 3
    f(1) == object()

    >>> f(y)
    2
    >>> f(2)
    <object at 0x1>
    >>> print(f(3))
    3
    """
'''
    ev = stated_examples(src, "f")
    assert ev.examples == []
    assert len(ev.dropped) == 6, ev.dropped  # `f([1, 2) == 3` is unbalanced: not recognised at all
    assert not marker.exists()


def test_doctest_without_output_expects_none_and_other_functions_ignored() -> None:
    src = '''def reset(xs):
    """
    >>> reset([1])
    >>> len([1]) == 1
    True
    >>> helper(3) == 3
    True
    """
'''
    ev = stated_examples(src, "reset")
    assert [e.describe() for e in ev.examples] == ["reset([1]) == None"]
    assert ev.dropped == []


def test_source_that_does_not_parse_still_yields_examples() -> None:
    src = '''def half(n):
    """half(4) == 2

    >>> half(3)
    1.5
    """
    return n /
'''
    ev = stated_examples(src, "half")
    assert sorted(e.call for e in ev.examples) == ["half(3)", "half(4)"]
    assert signature_and_docstring(src).endswith("...")
    assert "return n" not in signature_and_docstring(src)


def test_signature_and_docstring_hides_the_body() -> None:
    text = signature_and_docstring(CHUNK)
    assert text.startswith("def chunk(items, size):")
    assert "e.g. chunk([1, 2, 3], 2) gives" in text
    assert "append" not in text and text.rstrip().endswith("...")


def test_merged_keeps_first_statement_and_describe() -> None:
    stated = Evidence("f", [Example("f", (1,), expected=1)])
    generated = Evidence(
        "f",
        [
            Example("f", (1,), expected=9, source="generated"),
            Example("f", (2,), expected=2, source="generated"),
        ],
        ["example 3: not a literal"],
    )
    both = stated.merged(generated)
    assert [(e.call, e.expected) for e in both.examples] == [("f(1)", 1), ("f(2)", 2)]
    assert both.count("generated") == 1 and both.count() == 2
    assert both.describe() == "1 docstring example + 1 generated (1 unreadable dropped)"
    assert Evidence("f").describe() == "no executable evidence"
