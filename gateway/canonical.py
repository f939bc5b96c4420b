"""Canonical spellings of numbers and codes, applied before any check or look-up.

One document is one file however it is typed: fullwidth (全角) digits and letters, Arabic-Indic
or other Unicode decimal digits, spaces and dashes of any width all fold to one ASCII spelling,
and anything that still is not ASCII is refused, so no check can be dodged by a look-alike.
"""

from __future__ import annotations

import unicodedata

# every dash NFKC leaves alone (‐ ‑ ‒ – — ― − ﹣ and the ASCII one) and every kind of space
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63")


def fold(value: str) -> str:
    """NFKC, Unicode decimal digits as ASCII digits, separators (spaces, dashes) removed, upper case."""
    out = []
    for char in unicodedata.normalize("NFKC", value):
        if char.isspace() or char in _SEPARATORS or unicodedata.category(char) == "Cf":
            continue  # Cf: zero-width spaces and joiners, invisible in a form
        if not char.isascii() and unicodedata.category(char) == "Nd":
            char = str(unicodedata.decimal(char))
        out.append(char)
    return "".join(out).upper()
