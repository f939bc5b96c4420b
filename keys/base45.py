"""Base45 (RFC 9285): the QR alphanumeric-mode friendly encoding of the pass."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
# byte -> value for bytes.translate; 0xFF marks a byte outside the alphabet
_TABLE = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else 0xFF for b in range(256))
_TRIPLET = 2025 << 48 | 45 << 24 | 1


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
    words = full // 3
    # a + 45 b + 2025 c for every triplet at once, in C: each value goes into a 24-bit digit of one
    # big integer, and multiplying by 2025 X^2 + 45 X + 1 (X = 2^24) sums each triplet into the
    # digit of its first value; no digit reaches 2^24 (at most 91,124), so none carries
    digits = bytearray(3 * full)
    digits[2::3] = values[:full]
    summed = (int.from_bytes(digits, "big") * _TRIPLET).to_bytes(3 * full + 6, "big")
    if summed[6::9].count(0) != words:  # bit 16 of a triplet's sum
        raise Base45Error("Base45 triplet exceeds 16 bits")
    out = bytearray(2 * words)
    out[0::2] = summed[7::9]
    out[1::2] = summed[8::9]
    if full != len(values):
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise Base45Error("Base45 pair exceeds 8 bits")
        out.append(n)
    return bytes(out)
