"""Checks on untrusted values, each declared once as a field spec that both checks a value and
describes it as a JSON Schema fragment (gateway/openapi.py builds the API document from them).

A spec's `check(value, field)` returns the normalised value or raises InvalidInput naming the field;
`schema()` is the OpenAPI 3.0 schema of exactly the values `check` accepts, so that the served
document and the handlers cannot drift (tests/gateway/test_openapi.py runs schemathesis on it).
Two leniencies are stated in the schema, not hidden: text may carry surrounding whitespace
(trimmed; the length bound counts it), and the fullwidth (全角) spellings of codes and digits that a
Chinese input method types are accepted and folded. Look-alikes beyond those that
gateway/canonical.py still folds (other scripts' digits) are accepted without being described.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime
from typing import Any

from .errors import InvalidInput

S = dict[str, Any]

# Regex class bodies as \\uXXXX ranges (Python, ECMA and Rust engines all read them), written out
# rather than computed at import; tests/gateway/test_validate_specs.py recomputes them.
# WS: what str.strip() removes (every str.isspace character; all are in the BMP).
WS_CLASS = (r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f"
            r"\u3000")
# CONTROL: refused inside text: C0/C1 controls, DEL, line/paragraph separators and the BMP's invisible
# format characters (Cf: zero-width spaces, bidirectional overrides) that can disguise a name.
CONTROL_CLASS = (r"\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
                 r"\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb")
CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")
SURROGATES = re.compile("[\ud800-\udfff]")  # only a JSON escape can carry one; never in a schema
_EDGE = f"[^{WS_CLASS}{CONTROL_CLASS}]"
_CONTROL_RE = re.compile(f"[{CONTROL_CLASS}]")
FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}  # Ａ１－ → A1-
FULLWIDTH_DIGITS = "０-９"
FULLWIDTH_ALNUM = "Ａ-Ｚａ-ｚ０-９"


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    """A range pattern compiled once (a year alternation is long: an entry upload checks 500 times)."""
    return re.compile(pattern)


def trimmed(pattern: str) -> str:
    """A schema pattern for `pattern` (unanchored) with the surrounding whitespace text() trims."""
    return f"^[{WS_CLASS}]*(?:{pattern})[{WS_CLASS}]*$"


@functools.lru_cache(maxsize=64)
def year_pattern(low: int, high: int) -> str:
    """An alternation matching the four-digit years low..high."""
    parts, year = [], low
    while year <= high:
        if year % 10 == 0 and year + 9 <= high:
            parts.append(f"{year // 10}[0-9]")
            year += 10
        else:
            parts.append(str(year))
            year += 1
    return "(?:" + "|".join(parts) + ")"


class Spec:
    """A field: `check` one untrusted value, `schema` the JSON Schema of what check accepts."""

    def check(self, value: object, field: str) -> Any:
        raise NotImplementedError

    def schema(self) -> S:
        raise NotImplementedError

    def from_query(self, raw: str, field: str) -> Any:
        """The value from a query or path string (integers and flags are spelled in text there)."""
        return self.check(raw, field)


@dataclass(frozen=True)
class Text(Spec):
    """Printable text: surrounding whitespace trimmed, then min..max characters, no control characters.

    `pattern` (unanchored, matched on the trimmed text) narrows it; `fold` maps characters first
    (fullwidth to ASCII for codes)."""

    max_len: int
    min_len: int = 1
    pattern: str | None = None
    what: str = "text"
    fold: Mapping[str, str] | None = None
    schema_pattern: str | None = None  # what the pattern looks like to a client before folding
    description: str | None = None
    trim: bool = True

    def check(self, value: object, field: str) -> str:
        if value is None:  # missing or null: a form that left it out, not a wrong type
            raise InvalidInput(f"{field} is required", field=field)
        if not isinstance(value, str):
            raise InvalidInput(f"{field} must be a string", field=field)
        if len(value) > self.max_len:
            raise InvalidInput(f"{field} must be {self.min_len}..{self.max_len} characters", field=field)
        if self.fold:
            value = "".join(self.fold.get(c, c) for c in value)
        if self.trim:
            value = value.strip()
        if len(value) < self.min_len:
            raise InvalidInput(f"{field} must be {self.min_len}..{self.max_len} characters", field=field)
        if _CONTROL_RE.search(value) or SURROGATES.search(value):
            raise InvalidInput(f"{field} must not contain control characters", field=field)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise InvalidInput(f"{field} must be {self.what}", field=field)
        return value

    def _pattern(self) -> str:
        if self.pattern is not None or self.schema_pattern is not None:
            inner = self.schema_pattern or self.pattern or ""
            return trimmed(inner) if self.trim else f"^(?:{inner})$"
        if not self.trim:
            return f"^[^{CONTROL_CLASS}]*$"
        if self.min_len == 0:
            return f"^[{WS_CLASS}]*(?:{_EDGE}(?:[^{CONTROL_CLASS}]*{_EDGE})?)?[{WS_CLASS}]*$"
        if self.min_len == 1:
            return f"^[{WS_CLASS}]*{_EDGE}(?:[^{CONTROL_CLASS}]*{_EDGE})?[{WS_CLASS}]*$"
        return f"^[{WS_CLASS}]*{_EDGE}[^{CONTROL_CLASS}]{{{self.min_len - 2},}}{_EDGE}[{WS_CLASS}]*$"

    def schema(self) -> S:
        out: S = {"type": "string", "maxLength": self.max_len, "pattern": self._pattern()}
        if self.min_len:
            out["minLength"] = self.min_len
        if self.description or self.what != "text":
            out["description"] = self.description or self.what
        return out


@dataclass(frozen=True)
class Choice(Spec):
    options: tuple[str, ...]

    def check(self, value: object, field: str) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise InvalidInput(f"{field} must be one of {', '.join(self.options)}", field=field)
        return value

    def schema(self) -> S:
        return {"type": "string", "enum": list(self.options)}


@dataclass(frozen=True)
class Integer(Spec):
    low: int
    high: int

    def check(self, value: object, field: str) -> int:
        if isinstance(value, float) and value.is_integer():  # JSON Schema: 5.0 is an integer
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise InvalidInput(f"{field} must be a whole number between {self.low} and {self.high}",
                               field=field)
        return value

    def from_query(self, raw: str, field: str) -> int:
        digits = raw[1:] if raw.startswith("-") else raw
        if not (digits.isascii() and digits.isdigit()) or len(raw) > 20:
            raise InvalidInput(f"{field} must be a whole number", field=field)
        return self.check(int(raw), field)

    def schema(self) -> S:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Number(Spec):
    low: float
    high: float

    def check(self, value: object, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or not self.low <= value <= self.high:
            raise InvalidInput(f"{field} must be a number between {self.low} and {self.high}", field=field)
        return float(value)

    def schema(self) -> S:
        return {"type": "number", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Boolean(Spec):
    def check(self, value: object, field: str) -> bool:
        if not isinstance(value, bool):
            raise InvalidInput(f"{field} must be true or false", field=field)
        return value

    def schema(self) -> S:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Flag(Spec):
    """A query flag: 1/true or 0/false."""

    def check(self, value: object, field: str) -> bool:
        if value not in ("0", "1", "true", "false"):
            raise InvalidInput(f"{field} must be 1 or 0", field=field)
        return value in ("1", "true")

    def schema(self) -> S:
        return {"type": "string", "enum": ["0", "1", "true", "false"]}


@dataclass(frozen=True)
class Day(Spec):
    """An ISO date YYYY-MM-DD in first_year..2200."""

    first_year: int = 1900

    def _pattern(self) -> str:
        return f"^{year_pattern(self.first_year, 2200)}-[0-9]{{2}}-[0-9]{{2}}$"

    def check(self, value: object, field: str) -> date:
        problem = f"{field} must be an ISO date (YYYY-MM-DD)"
        if not isinstance(value, str) or not re.fullmatch("[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise InvalidInput(problem, field=field)
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(problem, field=field) from None
        if not _compiled(self._pattern()).match(value):
            raise InvalidInput(f"{field} is out of range", field=field)
        return day

    def schema(self) -> S:
        return {"type": "string", "format": "date", "pattern": self._pattern()}


_CLOCK = "-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
_TIME = "[0-9]{4}" + _CLOCK


@dataclass(frozen=True)
class Moment(Spec):
    """An RFC 3339 time with its UTC offset (Z or ±hh:mm), first_year..2200."""

    first_year: int = 1971

    def _pattern(self) -> str:
        return f"^{year_pattern(self.first_year, 2200)}{_CLOCK}$"

    def check(self, value: object, field: str) -> datetime:
        if not isinstance(value, str) or not re.fullmatch(_TIME, value):
            raise InvalidInput(f"{field} must be an ISO 8601 time with an offset "
                               "(2020-02-01T08:30:00+08:00)", field=field)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{field} must be an ISO 8601 time with an offset", field=field) from None
        if not _compiled(self._pattern()).match(value):
            raise InvalidInput(f"{field} is out of range", field=field)
        return moment

    def schema(self) -> S:
        return {"type": "string", "format": "date-time", "pattern": self._pattern()}


@dataclass(frozen=True)
class Nullable(Spec):
    inner: Spec

    def check(self, value: object, field: str) -> Any:
        return None if value is None else self.inner.check(value, field)

    def schema(self) -> S:
        return {**self.inner.schema(), "nullable": True}


@dataclass(frozen=True)
class Array(Spec):
    items: Spec
    max_items: int
    min_items: int = 0

    def check(self, value: object, field: str) -> list[Any]:
        if not isinstance(value, list) or not self.min_items <= len(value) <= self.max_items:
            raise InvalidInput(f"{field} must be a list of {self.min_items}..{self.max_items} items",
                               field=field)
        return [self.items.check(v, f"{field}[{i}]") for i, v in enumerate(value)]

    def schema(self) -> S:
        return {"type": "array", "items": self.items.schema(), "minItems": self.min_items,
                "maxItems": self.max_items}


@dataclass(frozen=True)
class Free(Spec):
    """A value checked elsewhere (a site policy, an entry): its schema is given as it is."""

    described: S

    def check(self, value: object, field: str) -> Any:
        return value

    def schema(self) -> S:
        return dict(self.described)


@dataclass(frozen=True)
class Obj(Spec):
    """A JSON object with known fields only; `check` returns the fields present, checked."""

    fields: Mapping[str, Spec]
    required: tuple[str, ...] = ()
    description: str | None = None
    defaults: Mapping[str, Any] = dc_field(default_factory=dict)

    def check(self, value: object, field: str = "") -> dict[str, Any]:
        prefix = f"{field}." if field else ""
        if not isinstance(value, dict):
            raise InvalidInput(f"{field or 'the request body'} must be a JSON object", field=field or None)
        reject_unknown(value, self.fields, prefix)
        for name in self.required:
            if name not in value:
                raise InvalidInput(f"{prefix}{name} is required", field=prefix + name)
        return {name: spec.check(value[name], prefix + name) for name, spec in self.fields.items()
                if name in value}

    def schema(self) -> S:
        out: S = {"type": "object", "additionalProperties": False,
                  "properties": {name: spec.schema() for name, spec in self.fields.items()}}
        if self.required:
            out["required"] = list(self.required)
        if self.description:
            out["description"] = self.description
        return out


def reject_unknown(body: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    allowed = set(allowed)
    for key in body:
        if key not in allowed:
            raise InvalidInput(f"unknown field {str(key)[:40]!r}", field=prefix + str(key)[:40])


CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
CODE = Text(64, pattern=CODE_PATTERN, fold=FULLWIDTH,
            schema_pattern=f"[A-Za-z0-9{FULLWIDTH_ALNUM}][A-Za-z0-9_.\\-{FULLWIDTH_ALNUM}＿．－]{{0,63}}",
            what="a code of letters, digits, '_', '.' or '-' (at most 64; fullwidth folds to ASCII)")
REASON = Text(500, description="why: a human reason, kept in the audit log")
REASON_BODY = Obj({"reason": REASON}, required=("reason",))


def text(value: object, field: str, *, max_len: int, min_len: int = 1, pattern: re.Pattern[str] | None = None,
         what: str = "text") -> str:
    return Text(max_len, min_len, pattern.pattern.strip("^$") if pattern else None, what).check(value, field)


def optional_text(value: object, field: str, **kwargs: Any) -> str | None:
    return None if value is None else text(value, field, **kwargs)


def code(value: object, field: str) -> str:
    return CODE.check(value, field)


def optional_code(value: object, field: str) -> str | None:
    return None if value is None else code(value, field)


def choice(value: object, field: str, options: Iterable[str]) -> str:
    return Choice(tuple(options)).check(value, field)


def iso_date(value: object, field: str) -> date:
    return Day().check(value, field)


def optional_date(value: object, field: str) -> date | None:
    return None if value is None else iso_date(value, field)


def aware_datetime(value: object, field: str, *, first_year: int = 1971) -> datetime:
    return Moment(first_year).check(value, field)


def number(value: object, field: str, *, low: float, high: float) -> float:
    return Number(low, high).check(value, field)


def integer(value: object, field: str, *, low: int, high: int) -> int:
    return Integer(low, high).check(value, field)


def boolean(value: object, field: str) -> bool:
    return Boolean().check(value, field)


def reason(value: object, field: str = "reason") -> str:
    """A human reason for an audited action: required, 1..500 characters."""
    return REASON.check(value, field)


# what canonical.fold removes wherever it stands, as a client types it: spaces, dashes, zero-width
SEPARATOR_CLASS = WS_CLASS + r"\-\u2010-\u2015\u2212\ufe63\uff0d\u200b-\u200f\u2060\ufeff"
DIGIT_CLASS = "0-9" + FULLWIDTH_DIGITS


def spaced(*tokens: str) -> str:
    """A pattern for `tokens` in order, with separators allowed before, between and after them."""
    sep = f"[{SEPARATOR_CLASS}]*"
    return sep + "".join(f"{t}{sep}" for t in tokens)


def digit(ascii_digit: str) -> str:
    """The digit as typed: ASCII or fullwidth."""
    return f"[{ascii_digit}{chr(ord(ascii_digit) + 0xFEE0)}]"


@dataclass(frozen=True)
class Folded(Spec):
    """A number however it is typed (gateway/canonical.py: fullwidth, separators, any script's
    digits), then `pattern` on the canonical ASCII spelling; `typed` is that pattern as a client
    types it (ASCII or fullwidth, separators anywhere), for the schema."""

    max_len: int
    pattern: str
    typed: str
    what: str

    def check(self, value: object, field: str) -> str:
        from .canonical import fold

        folded = fold(value) if isinstance(value, str) and len(value) <= self.max_len else None
        if folded is None or not re.fullmatch(self.pattern, folded):
            raise InvalidInput(f"{field} must be {self.what}", field=field)
        return folded

    def schema(self) -> S:
        return {"type": "string", "maxLength": self.max_len, "pattern": f"^(?:{self.typed})$",
                "description": self.what + " (fullwidth digits, spaces and dashes are accepted and removed)"}
