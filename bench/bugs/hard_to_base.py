"""Number formatting."""

DIGITS = "0123456789abcdef"


def to_base(n, base):
    """Write the integer `n` in `base` (2 to 16) with lower-case digits and a leading "-" if negative.

    >>> to_base(255, 16)
    'ff'
    >>> to_base(-5, 2)
    '-101'
    >>> to_base(0, 8)
    '0'
    """
    if not 2 <= base <= 16:
        raise ValueError("base must be between 2 and 16")
    sign = "-" if n < 0 else ""
    n = abs(n)
    digits = ""
    while n > 0:
        digits = DIGITS[n % base] + digits
        n //= base
    return sign + digits


def check() -> None:
    assert to_base(255, 16) == "ff"
    assert to_base(-5, 2) == "-101"
    assert to_base(0, 8) == "0"
    assert to_base(0, 2) == "0"
    assert to_base(10, 10) == "10"
    assert to_base(-255, 16) == "-ff"
    assert to_base(8, 8) == "10"
