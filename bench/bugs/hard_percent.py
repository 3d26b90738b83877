"""Report formatting."""


def percent(part, whole):
    """Format part/whole as a percentage with one decimal, rounded to the nearest tenth.

    e.g. percent(1, 3) -> "33.3%", percent(2, 3) -> "66.7%", percent(1, 8) -> "12.5%".
    A zero `whole` gives "0.0%" instead of raising, e.g. percent(5, 0) -> "0.0%".
    """
    if whole == 0:
        return "0.0%"
    ratio = part / whole
    value = int(ratio * 1000) / 10
    return f"{value:.1f}%"


def check() -> None:
    assert percent(1, 3) == "33.3%"
    assert percent(2, 3) == "66.7%"
    assert percent(1, 8) == "12.5%"
    assert percent(5, 0) == "0.0%"
    assert percent(3, 3) == "100.0%"
    assert percent(5, 6) == "83.3%"
    assert percent(1, 6) == "16.7%"
    assert percent(-2, 3) == "-66.7%"
