"""Checks on untrusted JSON values; each failure raises InvalidInput naming the field."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .errors import InvalidInput

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def reject_unknown(body: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    allowed = set(allowed)
    for key in body:
        if key not in allowed:
            raise InvalidInput(f"unknown field {str(key)[:40]!r}", field=prefix + str(key)[:40])


def text(value: object, field: str, *, max_len: int, min_len: int = 1, pattern: re.Pattern[str] | None = None,
         what: str = "text") -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    value = value.strip()
    if not min_len <= len(value) <= max_len:
        raise InvalidInput(f"{field} must be {min_len}..{max_len} characters", field=field)
    if not value.isprintable():
        raise InvalidInput(f"{field} must not contain control characters", field=field)
    if pattern is not None and not pattern.match(value):
        raise InvalidInput(f"{field} must be {what}", field=field)
    return value


def optional_text(value: object, field: str, **kwargs: Any) -> str | None:
    return None if value is None else text(value, field, **kwargs)


def code(value: object, field: str) -> str:
    if isinstance(value, str):  # fullwidth Ｃ１ is the code C1 (gateway/canonical.py)
        value = unicodedata.normalize("NFKC", value)
    return text(value, field, max_len=64, pattern=CODE,
                what="a code of letters, digits, '_', '.' or '-' (at most 64)")


def optional_code(value: object, field: str) -> str | None:
    return None if value is None else code(value, field)


def choice(value: object, field: str, options: Iterable[str]) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise InvalidInput(f"{field} must be one of {', '.join(options)}", field=field)
    return value


def iso_date(value: object, field: str) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput(f"{field} must be an ISO date (YYYY-MM-DD)", field=field)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO date (YYYY-MM-DD)", field=field) from None
    if not 1900 <= day.year <= 2200:
        raise InvalidInput(f"{field} is out of range", field=field)
    return day


def optional_date(value: object, field: str) -> date | None:
    return None if value is None else iso_date(value, field)


def aware_datetime(value: object, field: str, *, first_year: int = 1971) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInput(f"{field} must be an ISO 8601 time with an offset", field=field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO 8601 time with an offset", field=field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} must carry a UTC offset", field=field)
    if not first_year <= moment.year <= 2200:
        raise InvalidInput(f"{field} is out of range", field=field)
    return moment


def number(value: object, field: str, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise InvalidInput(f"{field} must be a number between {low} and {high}", field=field)
    return float(value)


def integer(value: object, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number between {low} and {high}", field=field)
    return value


def boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def reason(value: object, field: str = "reason") -> str:
    """A human reason for an audited action: required, 1..500 characters."""
    return text(value, field, max_len=500)
