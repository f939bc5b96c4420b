"""Where the resident page gets its pass: the gateway's `passes.by_resident_token`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gateway import bindings, passes
from gateway.services import Services
from keys import Status

from .passview import ResidentPass


async def resident_pass(svc: Services, token: str) -> ResidentPass | None:
    """The person's current pass (live, else the latest) as the page shows it, or None."""
    found = await passes.by_resident_token(svc.db, token)
    if found is None:
        return None
    end = date.fromisoformat(found.quarantine_end) if found.quarantine_end else None
    # the gateway counts N days from arrival (gateway/quarantine.py); the countdown needs that start
    start = end - timedelta(days=svc.config.quarantine_days) if end else None
    bound = await bindings.for_person(svc.db.read, found.person_id)
    return ResidentPass(
        serial=found.serial, qr_text=found.qr_text, name=found.name,
        document=found.document_last4, status=Status(found.status),
        expires_at=datetime.fromisoformat(found.expires_at), revoked=found.state == "revoked",
        quarantine_start=start, quarantine_end=end, bound=bound.to_json() if bound else None)
