"""The quarantine rule, computed in one place: arrivals from a key area stay in for N days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Quarantine:
    start: date
    end: date  # the first day the person may go out again, from 00:00 site time


def from_key_area(origin: str | None, key_areas: Sequence[str]) -> bool:
    return bool(origin) and any(origin.startswith(prefix) for prefix in key_areas)  # type: ignore[union-attr]


def compute(origin: str | None, arrived_on: date | None, *, key_areas: Sequence[str],
            days: int) -> Quarantine | None:
    """Arrived on day D from a key area: in quarantine on D .. D+days-1, free from D+days."""
    if arrived_on is None or not from_key_area(origin, key_areas):
        return None
    return Quarantine(arrived_on, arrived_on + timedelta(days=days))
