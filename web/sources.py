"""Where the resident page gets its passes: the gateway's `passes.by_resident_token`, and for a
guardian the passes of the people in their care (`guardianships.dependants`), read live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gateway import bindings, guardianships, passes
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
        expires_at=datetime.fromisoformat(found.expires_at), revoked=found.state == "revoked", tz=svc.config.tz,
        quarantine_start=start, quarantine_end=end, bound=bound.to_json() if bound else None,
        person_id=found.person_id)


@dataclass(frozen=True, slots=True)
class DependantPass:
    """One tab of a guardian's page: the dependant, and their pass as it is now (None: none issued)."""

    person_id: int
    name: str
    current: ResidentPass | None


async def dependant_passes(svc: Services, guardian_id: int) -> list[DependantPass]:
    """The passes of the people in the guardian's care, in the order they were added."""
    out: list[DependantPass] = []
    for dep in await guardianships.dependants(svc.db, guardian_id):
        person, row = dep.person, dep.current
        current = None
        if row is not None:
            end = date.fromisoformat(person.quarantine_end) if person.quarantine_end else None
            start = end - timedelta(days=svc.config.quarantine_days) if end else None
            current = ResidentPass(
                serial=row.serial, qr_text=row.qr_text, name=person.name, document=person.document_last4,
                status=Status(person.status), expires_at=datetime.fromisoformat(row.expires_at),
                revoked=row.state == "revoked", tz=svc.config.tz, quarantine_start=start, quarantine_end=end,
                person_id=person.id)
        out.append(DependantPass(person.id, person.name, current))
    return out
