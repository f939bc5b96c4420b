"""The quarantine rule, computed in one place: arrivals from a key area stay in for N days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Quarantine:
    start: date
    end: date  # the first day the person may go out again, from 00:00 site time


@dataclass(frozen=True, slots=True)
class KeyArea:
    """A GB/T 2260 prefix that counts for arrivals on from_day .. until_day (None: still counts)."""

    prefix: str
    from_day: date
    until_day: date | None = None

    def covers(self, origin: str | None, arrived_on: date) -> bool:
        if origin is None or not origin.startswith(self.prefix):
            return False
        return self.from_day <= arrived_on and (self.until_day is None or arrived_on <= self.until_day)


def from_key_area(origin: str | None, key_areas: Sequence[KeyArea], *, today: date, days: int) -> bool:
    """Could an arrival from `origin` still be in quarantine today? (the arrival date is needed)"""
    if origin is None:
        return False
    return any(origin.startswith(a.prefix) and a.from_day <= today
               and (a.until_day is None or a.until_day + timedelta(days=days) > today) for a in key_areas)


def compute(origin: str | None, arrived_on: date | None, *, key_areas: Sequence[KeyArea],
            days: int) -> Quarantine | None:
    """Arrived on day D from a key area: in quarantine on D .. D+days-1, free from D+days."""
    if arrived_on is None or not any(a.covers(origin, arrived_on) for a in key_areas):
        return None
    return Quarantine(arrived_on, arrived_on + timedelta(days=days))
