"""What the resident page shows about a pass: state, colour, countdown, masked fields."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from keys import Status
from keys.render import render_svg

from .i18n import Lang, countdown, words

_SVG_SIZE = re.compile(r'\s(width|height)="[^"]*"')


class PassState(StrEnum):
    """What the holder sees first; one colour, one icon and one word each."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    QUARANTINE = "quarantine"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ResidentPass:
    """One pass as its holder sees it; only masked personal data."""

    serial: str
    qr_text: str
    name: str
    document: str  # last four characters only
    status: Status
    expires_at: datetime
    revoked: bool
    tz: ZoneInfo  # the city's (GatewayConfig.tz): quarantine days are counted in local days, as decide() does
    quarantine_start: date | None = None
    quarantine_end: date | None = None
    bound: dict[str, Any] | None = None  # the live phone binding (gateway.bindings.BoundPass JSON)
    person_id: int | None = None  # whose pass: a guardian's page holds several (web/sources.py)

    def __post_init__(self) -> None:
        if len(self.document) > 4:
            raise ValueError("document must be masked to at most four characters")

    def state(self, now: datetime) -> PassState:
        """Revoked and expired come first: a pass that cannot be used must never look usable."""
        if self.revoked:
            return PassState.REVOKED
        if now >= self.expires_at:
            return PassState.EXPIRED
        if self.status is Status.RED:
            return PassState.RED
        if self.status is Status.YELLOW:
            return PassState.YELLOW
        if self.quarantine_end is not None and now.astimezone(self.tz).date() < self.quarantine_end:
            return PassState.QUARANTINE
        return PassState.GREEN

    def countdown(self, now: datetime, lang: Lang) -> str | None:
        if self.quarantine_end is None:
            return None
        start = self.quarantine_start or self.quarantine_end
        return countdown(now.astimezone(self.tz).date(), start, self.quarantine_end, lang)

    def masked_document(self) -> str:
        return "**** " + self.document

    def valid_until(self) -> str:
        return self.expires_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The body of /p/{token}/pass.json: everything the page needs to redraw itself offline."""
        return {
            "serial": self.serial,
            "qr_text": None if self.revoked else self.qr_text,
            "qr_svg": None if self.revoked else qr_svg(self.qr_text),
            "name": self.name,
            "document": self.masked_document(),
            "status": self.status.value,
            "state": self.state(now).value,
            "revoked": self.revoked,
            "expires_at": self.expires_at.isoformat(),
            "valid_until": self.valid_until(),
            "quarantine_start": self.quarantine_start.isoformat() if self.quarantine_start else None,
            "quarantine_end": self.quarantine_end.isoformat() if self.quarantine_end else None,
            # the holder-bound pass is useless without the phone's private key, so it may travel here
            "bound": None if self.revoked else self.bound,
            "server_time": now.isoformat(timespec="milliseconds"),  # the phone corrects its clock by it
        }


@functools.lru_cache(maxsize=512)  # ~2 ms of CPU each; a pass is shown many times, rendered once
def qr_svg(qr_text: str) -> str:
    """Inline SVG that scales with its box (CSS sets the size) on a white quiet zone."""
    svg = _SVG_SIZE.sub("", render_svg(qr_text), count=2)
    return svg.replace("<svg ", '<svg class="qr-svg" role="img" aria-label="QR" '
                                'shape-rendering="crispEdges" ', 1)


def state_words(state: PassState, lang: Lang) -> str:
    w = words(lang)
    return w["revoked"] if state is PassState.REVOKED else w["expired"] \
        if state is PassState.EXPIRED else w[f"status_{state.value}"]
