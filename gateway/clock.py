"""The one place the gateway reads the clock, and its time formats."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC, seconds precision: the form stored in every *_at column."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
