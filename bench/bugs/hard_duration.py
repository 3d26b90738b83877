"""Configuration parsing."""

UNITS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(text):
    """Parse a duration such as "1h30m" or "45s" into seconds.

    Each number is followed by its unit (h, m or s); any other character raises ValueError.

    >>> parse_duration("2h")
    7200
    >>> parse_duration("1h30m")
    5400
    >>> parse_duration("45s")
    45
    """
    total = 0
    num = 0
    for ch in text:
        if ch.isdigit():
            num = int(ch)
        elif ch in UNITS:
            total += num * UNITS[ch]
            num = 0
        else:
            raise ValueError(f"bad duration: {text!r}")
    return total


def check() -> None:
    assert parse_duration("2h") == 7200
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert parse_duration("1h5m7s") == 3907
    assert parse_duration("120m") == 7200
    assert parse_duration("0s") == 0
    try:
        parse_duration("5 min")
    except ValueError:
        pass
    else:
        raise AssertionError("no ValueError")
