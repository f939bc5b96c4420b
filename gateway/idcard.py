"""GB 11643-1999 citizen identity numbers: region, birth date, sequence, then a check digit (0-9 or X).

`problem` expects the canonical spelling (gateway/canonical.py): ASCII digits and X only.
"""

from __future__ import annotations

import re
from datetime import date

from . import regions

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"  # indexed by the weighted sum modulo 11
SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: \d would take any script's digits
OLDEST_BIRTH = date(1870, 1, 1)  # the standard's own example was born in 1880


def check_digit(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def problem(number: str, *, today: date | None = None) -> str | None:
    """Why `number` is not a valid resident ID number, or None when it is."""
    if not SHAPE.match(number):
        return "a resident ID number is 17 digits followed by a digit or X"
    if not regions.is_id_region(number[:6]):
        return "the resident ID number does not start with a GB/T 2260 region code (one listed since 1981)"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the birth date inside the resident ID number is not a date"
    if not OLDEST_BIRTH <= born <= (today or date.today()):
        return "the birth date inside the resident ID number is not plausible (before 1870 or in the future)"
    if check_digit(number[:17]) != number[17]:
        return "the resident ID number's check digit (GB 11643) is wrong"
    return None


def make(first17: str) -> str:
    """A valid number from its first 17 digits (demo data and tests)."""
    return first17 + check_digit(first17)
