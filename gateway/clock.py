"""The one place the gateway reads the clock, and its time formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def local_today(tz: ZoneInfo) -> date:
    """Today's date in `tz` (the city's: `GatewayConfig.tz`)."""
    return now().astimezone(tz).date()


def iso(moment: datetime) -> str:
    """UTC, seconds precision: the form stored in every *_at column."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
