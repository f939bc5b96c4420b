"""A gate's entry: one decision as the scanner logs it, uploads it and the gateway stores it.

The one definition of the record (docs/device-api.md, ENTRY): its fields, their types and bounds,
`to_json` / `from_json`, and its JSON Schema for the gateway's OpenAPI. The JSON form is what the
hash chain covers (keys/chain.py): `hash` is SHA-256 over the canonical JSON of every other field.

Untrusted JSON (an upload) gives an `Entry` or one `EntryError` naming the field; never another
exception. `to_json(from_json(x))` is `x` for every valid `x` a gate writes (integers stay integers,
an optional field the gate left out stays out), so the gateway verifies the bytes the gate hashed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .chain import GENESIS, entry_hash
from .errors import EntryError
from .policy import DIRECTIONS
from .reasons import Reason

__all__ = ["DECISIONS", "Entry", "EntryError", "OPTIONAL", "REQUIRED", "json_schema"]

REQUIRED = ("id", "seq", "device_id", "site", "scanned_at", "decision", "reason", "prev_hash", "hash")
OPTIONAL = ("serial", "text_hash", "temperature", "clock_offset", "direction", "latency_ms")
DECISIONS = ("allow", "deny")
REASONS = tuple(r.value for r in Reason)
MAX_SEQ = 2**53  # the largest integer every JSON reader keeps exact
TEMPERATURE = (-100.0, 200.0)  # any finite reading is kept: a gate's odd value is evidence
# a gate clock anywhere in FIRST_YEAR..LAST_YEAR may be corrected to now: a gate without a real-time
# clock that says 1970 sends an offset of ~1.6e9 s, which ±1e9 refused
CLOCK_OFFSET = (-1e10, 1e10)
LATENCY_MS = (0.0, 1e9)
FIRST_YEAR, LAST_YEAR = 1900, 2200  # a gate without a real-time clock says 1970
MAX_NAME = 64  # device ids and site codes

FIELDS = frozenset(REQUIRED + OPTIONAL)
_REQUIRED = frozenset(REQUIRED)
_OPTIONAL = frozenset(OPTIONAL)
_NUMBERS = (("temperature", TEMPERATURE), ("clock_offset", CLOCK_OFFSET), ("latency_ms", LATENCY_MS))

_HEX24 = re.compile(r"[0-9a-f]{24}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CLOCK = r"-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
_TIME = re.compile("[0-9]{4}" + _CLOCK)
_YEARS = "(?:19[0-9][0-9]|2[01][0-9][0-9]|2200)"  # FIRST_YEAR..LAST_YEAR
_YEAR = re.compile(_YEARS)
# the canonical form str(uuid.UUID(x)) gives: lower case, hyphenated (ASCII digits only: [0-9], not \d)
_CANONICAL_UUID = re.compile(_UUID)


def _number(value: object, name: str, bounds: tuple[float, float]) -> float:
    """A finite JSON number within bounds, as given (an integer stays one: it is under the hash)."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise EntryError(name, f"must be a number between {low} and {high}")
    return value


def _hex(value: object, name: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise EntryError(name, f"must be {what}")
    return value


def _name(value: object, name: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
        raise EntryError(name, f"must be a text of 1 to {MAX_NAME} characters")
    return value


def _choice(value: object, name: str, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise EntryError(name, f"must be one of {', '.join(options)}")
    return value


def gate_time(value: object, name: str = "scanned_at") -> datetime:
    """The gate's clock as written: RFC 3339 with its offset, years 1900..2200."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise EntryError(name, "must be an ISO 8601 time with an offset (2020-02-01T08:30:00+08:00)")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EntryError(name, "must be an ISO 8601 time with an offset") from None
    if not _YEAR.fullmatch(value[:4]):
        raise EntryError(name, "is out of range")
    return moment


@dataclass(frozen=True, slots=True)
class Entry:
    """One decision at a gate, chained to the one before it on the same device."""

    id: str  # a UUID in its canonical form: makes uploads idempotent
    seq: int  # 1, 2, … on the device
    device_id: str
    site: str
    scanned_at: str  # the gate's own clock, RFC 3339 with its offset, as written (under the hash)
    decision: str  # allow | deny
    reason: str  # keys.Reason
    prev_hash: str  # the previous entry's hash, GENESIS for seq 1
    hash: str
    serial: str | None = None  # the pass's serial (24 hex), None when unreadable
    text_hash: str | None = None  # SHA-256 of an unreadable code's text, never the text
    temperature: float | None = None  # °C, the guard's reading
    clock_offset: float | None = None  # seconds the gateway said to add to the gate's clock
    direction: str | None = None  # in | out | both
    latency_ms: float | None = None  # capture to decision, the gate's own figure
    # optional fields this entry's JSON form does not carry (a gate from before them): left out again
    # by to_json, so that the hash covers the bytes the gate hashed
    absent: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        # one spelling per id (lower case, hyphenated): the id is under the hash, so it is refused,
        # not rewritten, and "{...}", "urn:uuid:…" or upper-case twins cannot be stored as other entries;
        # the pattern is exactly the strings with str(uuid.UUID(x)) == x (tests/keys/test_entry.py), a tenth
        # of its cost, and the gateway checks every uploaded entry (#12)
        if not isinstance(self.id, str) or not _CANONICAL_UUID.fullmatch(self.id):
            raise EntryError("id", "must be a UUID in its canonical form (lower case, hyphenated)")
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or not 1 <= self.seq <= MAX_SEQ:
            raise EntryError("seq", f"must be a whole number between 1 and {MAX_SEQ}")
        _name(self.device_id, "device_id")
        _name(self.site, "site")
        gate_time(self.scanned_at)
        _choice(self.decision, "decision", DECISIONS)
        _choice(self.reason, "reason", REASONS)
        _hex(self.prev_hash, "prev_hash", _HEX64, "64 lowercase hex")
        _hex(self.hash, "hash", _HEX64, "64 lowercase hex")
        if self.serial is not None:
            _hex(self.serial, "serial", _HEX24, "24 lowercase hex characters or null")
        if self.text_hash is not None:
            _hex(self.text_hash, "text_hash", _HEX64, "64 lowercase hex or null")
        for name, bounds in _NUMBERS:
            if (value := getattr(self, name)) is not None:
                _number(value, name, bounds)
        if self.direction is not None:
            _choice(self.direction, "direction", DIRECTIONS)
        if not isinstance(self.absent, frozenset) or not self.absent <= _OPTIONAL:
            raise EntryError("absent", f"must name optional fields only ({', '.join(OPTIONAL)})")
        for name in self.absent:
            if getattr(self, name) is not None:
                raise EntryError(name, "is absent from the entry but has a value")

    @classmethod
    def chained(cls, *, id: str, seq: int, prev_hash: str, **values: Any) -> Entry:
        """A new entry after `prev_hash` (GENESIS for seq 1), its hash computed: what a gate writes."""
        body = {**values, "id": id, "seq": seq, "prev_hash": prev_hash, "hash": GENESIS}
        draft = cls.from_json(body)  # checks every field before anything is hashed
        return cls.from_json({**draft.to_json(), "hash": entry_hash(draft.to_json())})

    @classmethod
    def from_json(cls, raw: object) -> Entry:
        """An entry from its JSON form; EntryError naming the field on anything wrong (unknown fields too)."""
        if type(raw) is not dict and not isinstance(raw, Mapping):  # a JSON object is a dict: no ABC check
            raise EntryError("", "must be an object")
        keys = raw.keys()
        # set operations first (one C call each for a dict, the gateway's case), the loops only to name
        # the field that is wrong
        if not keys <= FIELDS:
            for key in raw:
                if key not in FIELDS:
                    name = str(key)[:40]
                    raise EntryError(name, "is not an entry field", sentence=f"unknown field {name!r}")
        if not keys >= _REQUIRED:
            for key in REQUIRED:
                if key not in raw:
                    raise EntryError(key, "is required")
        values = dict(raw)
        seq = values["seq"]
        if isinstance(seq, float) and seq.is_integer():  # JSON Schema: 5.0 is an integer
            values["seq"] = int(seq)
        try:
            return cls(**values, absent=_OPTIONAL.difference(keys))
        except EntryError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:  # a value no check above foresaw
            raise EntryError("", f"is not an entry ({type(exc).__name__})") from None

    def to_json(self) -> dict[str, Any]:
        """The JSON form, the one the hash chain covers."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "absent" and f.name not in self.absent}

    def hash_ok(self) -> bool:
        """The entry's hash is the hash of its JSON form."""
        return entry_hash(self.to_json()) == self.hash

    @property
    def gate_time(self) -> datetime:
        """`scanned_at` read: the gate's clock, not corrected."""
        return datetime.fromisoformat(self.scanned_at)


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an entry's JSON form (OpenAPI 3.1), from the bounds above."""
    def num(bounds: tuple[float, float]) -> dict[str, Any]:
        return {"type": "number", "minimum": bounds[0], "maximum": bounds[1]}

    def hex_(n: int) -> dict[str, Any]:
        return {"type": "string", "pattern": f"^[0-9a-f]{{{n}}}$"}

    name = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
    properties: dict[str, Any] = {
        "id": {"type": "string", "format": "uuid", "pattern": f"^{_UUID}$"},
        "seq": {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
        "device_id": {**name, "description": "the calling device's id (else 403)"},
        "site": {**name, "description": "the calling device's site (else 403)"},
        "scanned_at": {"type": "string", "format": "date-time", "pattern": f"^{_YEARS}{_CLOCK}$"},
        "serial": _null(hex_(24)), "text_hash": _null(hex_(64)),
        "decision": {"type": "string", "enum": list(DECISIONS)},
        "reason": {"type": "string", "enum": list(REASONS)},
        "temperature": _null(num(TEMPERATURE)), "clock_offset": _null(num(CLOCK_OFFSET)),
        "latency_ms": _null(num(LATENCY_MS)),
        "direction": _null({"type": "string", "enum": list(DIRECTIONS)}),
        "prev_hash": hex_(64), "hash": hex_(64),
    }
    return {"type": "object", "description": "docs/device-api.md, ENTRY (keys/entry.py)",
            "additionalProperties": False, "required": list(REQUIRED), "properties": properties}
