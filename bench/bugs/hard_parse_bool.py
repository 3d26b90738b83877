"""Settings parsing."""

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def parse_bool(text):
    """Read a boolean setting: 1, true, yes and on mean True; 0, false, no and off mean False.

    Letter case and surrounding whitespace do not matter. Any other value, the empty string
    included, raises ValueError.
    """
    word = text.strip()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def check() -> None:
    expected = {"yes": True, " off\n": False, "TRUE": True, "No": False, "1": True, "\tOn ": True}
    got = {}
    for text in expected:
        try:
            got[text] = parse_bool(text)
        except ValueError:
            got[text] = "ValueError"
    assert got == expected, got
    for bad in ("", "maybe", "y"):
        try:
            parse_bool(bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"no ValueError for {bad!r}")
