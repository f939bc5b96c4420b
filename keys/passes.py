"""The QR pass: `QG1:` + Base45(COSE_Sign1(CWT claims)). See docs/pass-format.md."""

from __future__ import annotations

import io
import secrets
import struct
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeGuard

import cbor2

from . import base45, cose
from .holderkey import HolderKey
from .keystore import IssuerKey

PREFIX = "QG1:"
MAX_QR_TEXT = 4096  # a version-40 QR holds at most 4,296 alphanumeric characters
SERIAL_LEN = 12     # 96 random bits
DEFAULT_ISSUER = "QG"  # short on purpose: every byte counts toward the QR version

# CWT claim keys (RFC 8392) and our private claim (private use: below -65536)
CWT_ISS, CWT_EXP, CWT_NBF, CWT_IAT, CWT_CTI, CWT_CNF = 1, 4, 5, 6, 7, 8
CLAIM_QRGATE = -65537
# keys inside the private claim
P_NAME, P_DOC, P_STATUS, P_QEND, P_CLEARED, P_COMMUNITY, P_EMPLOYER, P_SCHOOL = range(1, 9)
EPOCH_DAY = date(1970, 1, 1)
MAX_NAME = 64
MAX_CODE = 64
MAX_TIME = 253_402_300_800  # 10000-01-01T00:00Z: datetime cannot go further


class Status(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


_STATUS_CODES = {Status.GREEN: 0, Status.YELLOW: 1, Status.RED: 2}
_STATUS_BY_CODE = {v: k for k, v in _STATUS_CODES.items()}


def mask_document(number: str) -> str:
    """Keep only the last four characters of a document number."""
    return number.strip()[-4:]


@dataclass(frozen=True, slots=True)
class PassClaims:
    """What a gate needs to know about the holder, and nothing more."""

    name: str
    document: str  # masked: the last four characters only
    status: Status = Status.GREEN
    quarantine_end: date | None = None  # may pass from 00:00 of this day, site time
    cleared: bool = False  # cleared by medical observation
    community: str | None = None
    employer: str | None = None
    school: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 0 < len(self.name) <= MAX_NAME:
            raise ValueError(f"name must be 1..{MAX_NAME} characters")
        if not isinstance(self.document, str) or len(self.document) > 4:
            raise ValueError("document must be masked to at most four characters")
        if type(self.status) is not Status:  # a plain "green" given by a caller
            object.__setattr__(self, "status", Status(self.status))
        for code in (self.community, self.employer, self.school):
            if code is not None and (not isinstance(code, str) or not 0 < len(code) <= MAX_CODE):
                raise ValueError(f"affiliation codes must be 1..{MAX_CODE} characters")

    def to_cbor(self) -> dict[int, Any]:
        claim: dict[int, Any] = {P_NAME: self.name, P_DOC: self.document}
        if self.status is not Status.GREEN:  # absent means green: two bytes off the common case
            claim[P_STATUS] = _STATUS_CODES[self.status]
        if self.quarantine_end is not None:
            claim[P_QEND] = (self.quarantine_end - EPOCH_DAY).days
        if self.cleared:
            claim[P_CLEARED] = True
        for key, code in ((P_COMMUNITY, self.community), (P_EMPLOYER, self.employer),
                          (P_SCHOOL, self.school)):
            if code is not None:
                claim[key] = code
        return claim

    @classmethod
    def from_cbor(cls, claim: object) -> PassClaims:
        """Raise ValueError on any shape we did not write (a known key with a wrong type, too)."""
        if not isinstance(claim, dict):
            raise ValueError("private claim must be a map")
        _check_keys(claim)
        status_code = claim.get(P_STATUS, 0)  # passes issued before 2e4887a write green as 0
        status = _STATUS_BY_CODE.get(status_code) if _is_int(status_code) else None
        if status is None:
            raise ValueError("status must be 0, 1 or 2")
        qend = None
        if P_QEND in claim:
            day = claim[P_QEND]
            if not _is_int(day) or not 0 <= day <= 100_000:
                raise ValueError("quarantine end must be a day number")
            qend = EPOCH_DAY + timedelta(days=day)
        cleared = claim.get(P_CLEARED, False)
        if not isinstance(cleared, bool):
            raise ValueError("cleared must be a bool")
        name, document = claim.get(P_NAME), claim.get(P_DOC)
        community, employer, school = claim.get(P_COMMUNITY), claim.get(P_EMPLOYER), claim.get(P_SCHOOL)
        # name and document must be text; an affiliation, if present, too (written out: every decision)
        if not (isinstance(name, str) and isinstance(document, str)
                and (isinstance(community, str) or P_COMMUNITY not in claim)
                and (isinstance(employer, str) or P_EMPLOYER not in claim)
                and (isinstance(school, str) or P_SCHOOL not in claim)):
            for key in (P_NAME, P_DOC, P_COMMUNITY, P_EMPLOYER, P_SCHOOL):
                if (key in claim or key in (P_NAME, P_DOC)) and not isinstance(claim.get(key), str):
                    raise ValueError(f"holder field {key} must be text")
        return cls(name=name, document=document, status=status,  # type: ignore[arg-type]
                   quarantine_end=qend, cleared=cleared,
                   community=community, employer=employer, school=school)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "document": self.document, "status": self.status.value,
                "quarantine_end": self.quarantine_end.isoformat() if self.quarantine_end else None,
                "cleared": self.cleared, "community": self.community, "employer": self.employer,
                "school": self.school}


@dataclass(frozen=True, slots=True)
class IssuedPass:
    serial: bytes
    qr_text: str
    kid: bytes
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    holder_key: HolderKey | None = None  # a holder-bound pass: qr_text is then Base45 alone, never a QR

    @property
    def serial_hex(self) -> str:
        return self.serial.hex()


@dataclass(frozen=True, slots=True)
class VerifiedPass:
    serial: bytes
    kid: bytes
    issuer: str
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    holder: PassClaims
    holder_key: HolderKey | None = None


def new_serial() -> bytes:
    return secrets.token_bytes(SERIAL_LEN)


def issue_pass(key: IssuerKey, claims: PassClaims, *, now: datetime, valid_for: timedelta,
               issuer: str = DEFAULT_ISSUER, serial: bytes | None = None,
               holder_key: HolderKey | None = None) -> IssuedPass:
    """Sign a pass; `now` must be timezone-aware.

    With `holder_key` the pass is holder-bound (`cnf`): only a QG2 code made with that key
    shows it (keys/holder.py), so its text is Base45 without a prefix and never a QR of its own.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not timedelta(minutes=1) <= valid_for <= timedelta(days=366):
        raise ValueError("valid_for must be between one minute and one year")
    serial = serial or new_serial()
    if len(serial) != SERIAL_LEN:
        raise ValueError(f"serial must be {SERIAL_LEN} bytes")
    iat = int(now.timestamp())
    exp = iat + int(valid_for.total_seconds())
    cwt: dict[int, Any] = {CWT_ISS: issuer, CWT_IAT: iat, CWT_NBF: iat, CWT_EXP: exp,
                           CWT_CTI: serial, CLAIM_QRGATE: claims.to_cbor()}
    if holder_key is not None:
        cwt[CWT_CNF] = holder_key.to_cnf()
    # deterministic encoding (RFC 8949 4.2.1): the same claims always give the same bytes
    payload = cbor2.dumps(cwt, canonical=True)
    protected = cose.encode_protected(key.kid)
    signature = key.sign(cose.sig_structure(protected, payload))
    text = base45.encode(cose.assemble(protected, payload, signature))
    qr_text = text if holder_key is not None else PREFIX + text
    return IssuedPass(serial, qr_text, key.kid, _ts(iat), _ts(iat), _ts(exp), holder_key)


def _ts(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_PLAIN_KEYS = frozenset((int, str))


class _Encoder(threading.local):
    """One cbor2 encoder per thread: making one costs more than encoding a pass's claims with it."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.buffer = io.BytesIO()
        self.cbor = cbor2.CBOREncoder(self.buffer)


_ENCODER = _Encoder()


def _reencode(obj: object) -> bytes:
    """Exactly `cbor2.dumps(obj)` (its default options), without building an encoder per call."""
    encoder = _ENCODER
    encoder.buffer.seek(0)
    encoder.buffer.truncate()
    try:
        encoder.cbor.encode(obj)
    except BaseException:
        encoder.reset()  # a failed encoding may leave state behind in the encoder: never reuse it
        raise
    return encoder.buffer.getvalue()


def _check_keys(claims: dict[Any, Any]) -> None:
    # True == 1 and 1.0 == 1 in Python: a map keyed by true or 1.0 would read as key 1
    # the common case in C (keys of exactly int or str), the exact rule only for anything else
    if not _PLAIN_KEYS.issuperset(map(type, claims)) \
            and not all(_is_int(k) or isinstance(k, str) for k in claims):
        raise ValueError("claim keys must be integers or text")


def parse_claims(payload: bytes, *, bound: bool = False) -> VerifiedPass:
    """Read the CWT claims of a payload whose signature was already checked.

    The payload must be one CBOR map in preferred serialization (shortest heads, definite
    lengths, no tags, no duplicate keys) with nothing after it; key order is the issuer's.
    `bound`: the pass came inside a QG2 code and must carry `cnf`; a QG1 pass must not.
    """
    fast = None if bound else parse_canonical_claims(payload)
    return fast if fast is not None else parse_claims_plain(payload, bound=bound)


class _Unusual(Exception):
    """Not the encoding `issue_pass` writes: the plain path gives the verdict."""


def _argument(data: bytes, pos: int, major: int) -> tuple[int, int]:
    """The argument of the CBOR head at `pos` and where its content starts.

    Raises _Unusual unless the head has major type `major` and is in its shortest form.
    """
    info = data[pos] - (major << 5)
    if 0 <= info < 24:
        return info, pos + 1
    if not 24 <= info <= 27:
        raise _Unusual
    width = 1 << (info - 24)  # 1, 2, 4 or 8 bytes
    end = pos + 1 + width
    value = int.from_bytes(data[pos + 1:end], "big")
    if end > len(data) or value < (24 if width == 1 else 1 << (4 * width)):
        raise _Unusual
    return value, end


def _text(data: bytes, pos: int) -> tuple[str, int]:
    head = data[pos]
    if 0x60 <= head < 0x78:  # under 24 bytes: the length is in the head
        start, end = pos + 1, pos + 1 + head - 0x60
    else:
        size, start = _argument(data, pos, 3)
        end = start + size
    if end > len(data):
        raise _Unusual
    return data[start:end].decode("utf-8"), end


# after the issuer: exp, nbf, iat as 4-byte unsigned ints (every time from 1970-01-01T18:12Z to 2106),
# the serial, the key -65537 and the head of the holder's map
_FIXED = struct.Struct(">BBIBBIBBI2s12s5sB")
_FIXED_HEADS = (CWT_EXP, 0x1A, CWT_NBF, 0x1A, CWT_IAT, 0x1A, bytes((CWT_CTI, 0x40 + SERIAL_LEN)),
                b"\x3a\x00\x01\x00\x00")
_EPOCH_ORDINAL = EPOCH_DAY.toordinal()
_TEXT_FIELDS = frozenset((P_NAME, P_DOC, P_COMMUNITY, P_EMPLOYER, P_SCHOOL))
_CBOR_FALSE, _CBOR_TRUE = 0xF4, 0xF5


def parse_canonical_claims(payload: bytes) -> VerifiedPass | None:
    """A QG1 pass's claims as `issue_pass` writes them, read in one pass that also proves the encoding.

    The shape: a map of six, keys 1, 4, 5, 6, 7, -65537 in that order, the times in four bytes,
    the holder's keys ascending, every head in its shortest form, nothing after. It gives what
    `parse_claims_plain` gives without cbor2 and the re-encoding (this is on every gate decision);
    None for anything else (another key order, unknown keys, any value the plain path refuses),
    which the plain path then reads (tests/keys/test_fast_paths.py).
    """
    try:
        if payload[0] != 0xA6 or payload[1] != CWT_ISS:
            return None
        issuer, pos = _text(payload, 2)
        k4, h4, exp, k5, h5, nbf, k6, h6, iat, cti, serial, k_qg, head = _FIXED.unpack_from(payload, pos)
        if (k4, h4, k5, h5, k6, h6, cti, k_qg) != _FIXED_HEADS or min(exp, nbf, iat) < 0x10000:
            return None  # another shape, or a time not in its shortest head
        count = head - 0xA0
        pos += _FIXED.size
        if not 2 <= count <= 8:
            return None
        fields: dict[int, Any] = {}
        last = 0
        for _ in range(count):
            key = payload[pos]
            if not last < key <= P_SCHOOL:  # ascending, so no key twice; the byte is the key 1..8
                return None
            last = key
            if key in _TEXT_FIELDS:
                fields[key], pos = _text(payload, pos + 1)
            elif key == P_CLEARED:
                if payload[pos + 1] not in (_CBOR_FALSE, _CBOR_TRUE):
                    return None
                fields[key], pos = payload[pos + 1] == _CBOR_TRUE, pos + 2
            else:
                fields[key], pos = _argument(payload, pos + 1, 0)
        if pos != len(payload) or P_NAME not in fields or P_DOC not in fields:
            return None
        status = _STATUS_BY_CODE.get(fields.get(P_STATUS, 0))
        day = fields.get(P_QEND)
        if status is None or (day is not None and day > 100_000):
            return None
        holder = PassClaims(name=fields[P_NAME], document=fields[P_DOC], status=status,
                            quarantine_end=None if day is None else date.fromordinal(_EPOCH_ORDINAL + day),
                            cleared=fields.get(P_CLEARED, False), community=fields.get(P_COMMUNITY),
                            employer=fields.get(P_EMPLOYER), school=fields.get(P_SCHOOL))
    except (_Unusual, IndexError, struct.error, UnicodeDecodeError, ValueError):
        return None
    issued_at = _ts(iat)
    return VerifiedPass(serial=serial, kid=b"", issuer=issuer, issued_at=issued_at,
                        not_before=issued_at if nbf == iat else _ts(nbf), expires_at=_ts(exp),
                        holder=holder)


def parse_claims_plain(payload: bytes, *, bound: bool = False) -> VerifiedPass:
    """`parse_claims` through cbor2 and a re-encoding: the reference, and the reader of every other shape."""
    claims = cbor2.loads(payload)
    if not isinstance(claims, dict):
        raise ValueError("CWT claims must be a map")
    # decoding then encoding again gives the same bytes only for the preferred serialization of
    # one item: trailing bytes, long heads, indefinite lengths, tags and duplicate keys all differ
    if _reencode(claims) != payload:
        raise ValueError("claims: trailing bytes or not the preferred CBOR serialization")
    _check_keys(claims)
    if (CWT_CNF in claims) is not bound:
        raise ValueError("holder-bound passes need a QG2 code" if not bound
                         else "a QG2 code must carry a holder-bound pass")
    holder_key = HolderKey.from_cnf(claims[CWT_CNF]) if bound else None
    times = iat, nbf, exp = claims.get(CWT_IAT), claims.get(CWT_NBF), claims.get(CWT_EXP)
    if not (type(iat) is type(nbf) is type(exp) is int and 0 <= iat < MAX_TIME and 0 <= nbf < MAX_TIME
            and 0 <= exp < MAX_TIME) and not all(_is_int(t) and 0 <= t < MAX_TIME for t in times):
        raise ValueError("iat, nbf and exp must be integer seconds")
    serial, issuer = claims.get(CWT_CTI), claims.get(CWT_ISS)
    if not isinstance(serial, bytes) or len(serial) != SERIAL_LEN:
        raise ValueError("cti must be a 12-byte serial")
    if not isinstance(issuer, str):
        raise ValueError("iss must be text")
    return VerifiedPass(serial=serial, kid=b"", issuer=issuer, issued_at=_ts(iat),  # type: ignore[arg-type]
                        not_before=_ts(nbf), expires_at=_ts(exp),  # type: ignore[arg-type]
                        holder=PassClaims.from_cbor(claims.get(CLAIM_QRGATE)), holder_key=holder_key)
