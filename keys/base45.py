"""Base45 (RFC 9285): the QR alphanumeric-mode friendly encoding of the pass."""

from __future__ import annotations

import struct
from itertools import repeat
from operator import add, mul

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
# byte -> value for bytes.translate; 0xFF marks a byte outside the alphabet
_TABLE = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else 0xFF for b in range(256))


class Base45Error(ValueError):
    """The text is not valid Base45."""


def encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = divmod(n, 45 * 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[d], ALPHABET[e], ALPHABET[c])
    if len(data) % 2:
        e, d = divmod(data[-1], 45)
        out += (ALPHABET[d], ALPHABET[e])
    return "".join(out)


def decode(text: str) -> bytes:
    """Decode Base45; raise Base45Error (and nothing else) on any invalid text."""
    if not isinstance(text, str):
        raise Base45Error("Base45 input must be text")
    if len(text) % 3 == 1:
        raise Base45Error("Base45 text length leaves a dangling character")
    # the per-character work runs in C (encode + translate); Python only touches each triplet
    try:
        values = text.encode("ascii").translate(_TABLE)
    except UnicodeEncodeError:
        values = b"\xff"
    if 0xFF in values:
        bad = next(c for c in text if c not in _VALUES)
        raise Base45Error(f"character {bad!r} is not in the Base45 alphabet")
    full = len(values) - len(values) % 3
    # a + 45 b + 2025 c for every triplet, iterated by map() in C rather than by bytecode
    words = list(map(add, map(add, values[0:full:3], map(mul, values[1:full:3], repeat(45))),
                     map(mul, values[2:full:3], repeat(2025))))
    if words and max(words) > 0xFFFF:
        raise Base45Error("Base45 triplet exceeds 16 bits")
    out = struct.pack(f">{len(words)}H", *words)
    if full != len(values):
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise Base45Error("Base45 pair exceeds 8 bits")
        out += bytes((n,))
    return out
