"""The rotating code of a holder-bound pass: `QG2:` + Base45(CBOR [pass, time, holder signature]).

The phone makes one every 30 s, offline, with its non-exportable key; the gate checks the issuer
signature of the pass, then the holder signature with the key in the pass's `cnf`, then the time.
Byte layout, signature input and clock rules: docs/pass-format.md, "QG2".
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import cbor2

from . import base45, cose
from .holderkey import SIGNATURE_LEN

PREFIX = "QG2:"
DOMAIN = b"qrgate/QG2/v1"  # separates these signatures from any other use of the same key
DEFAULT_PERIOD = 30       # seconds between two codes on the phone
DEFAULT_MAX_AGE = 90      # a code may be this old at the gate: 30 s on screen, scanning, clock skew
DEFAULT_MAX_AHEAD = 60    # ... and this far ahead of the gate's clock (a phone running fast)
MAX_CODE_TIME = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Code:
    """A QG2 code whose layout is right; nothing in it is verified yet."""

    pass_bytes: bytes  # the issuer's COSE_Sign1 exactly as signed: the holder signature covers its hash
    sign1: cose.Sign1
    time: int          # seconds since 1970-01-01T00:00Z, the phone's corrected clock
    signature: bytes   # the holder's, over signing_input(pass_bytes, time)

    @property
    def code_id(self) -> bytes:
        """What a gate remembers of an admitted code: the pass serial is not known yet here."""
        return hashlib.sha256(self.pass_bytes).digest()[:12] + self.time.to_bytes(8, "big")


def signing_input(pass_bytes: bytes, time: int) -> bytes:
    """DOMAIN || SHA-256(pass) || time as 8 bytes big-endian: fixed layout, no CBOR on the phone."""
    if not 0 <= time <= MAX_CODE_TIME:
        raise ValueError("code time must fit 64 bits")
    return DOMAIN + hashlib.sha256(pass_bytes).digest() + time.to_bytes(8, "big")


def encode_code(pass_bytes: bytes, time: int, signature: bytes) -> str:
    return PREFIX + base45.encode(cbor2.dumps([pass_bytes, time, signature]))


def make_code(pass_text: str, time: int, sign: Callable[[bytes], bytes]) -> str:
    """The code a phone shows at `time` for a holder-bound pass (its Base45 text), `sign` its key."""
    pass_bytes = base45.decode(pass_text)
    return encode_code(pass_bytes, time, sign(signing_input(pass_bytes, time)))


def read_code(text: str) -> Code | None:
    """Parse strictly (one encoding per code: canonical Base45 and CBOR); None if it is not one."""
    body = text[len(PREFIX):]
    try:
        raw = base45.decode(body)
        if base45.encode(raw) != body:
            return None
        obj = cbor2.loads(raw)
    except (ValueError, binascii.Error):
        return None
    except Exception:  # cbor2 raises many types on hostile input
        return None
    if not isinstance(obj, list) or len(obj) != 3:
        return None
    pass_bytes, time, signature = obj
    if not isinstance(pass_bytes, bytes) or not isinstance(signature, bytes) \
            or len(signature) != SIGNATURE_LEN:
        return None
    if not isinstance(time, int) or isinstance(time, bool) or not 0 <= time <= MAX_CODE_TIME:
        return None
    if cbor2.dumps(obj) != raw:  # shortest forms, definite lengths, nothing after the array
        return None
    try:
        sign1 = cose.parse_pass(pass_bytes)  # the pass inside, too, in its one encoding (docs/pass-format.md)
    except ValueError:
        return None
    return Code(pass_bytes, sign1, time, signature)


def code_age(code: Code, now: datetime) -> float:
    """The gate's corrected time minus the code's time, in seconds (negative: from the future)."""
    return now.timestamp() - code.time
