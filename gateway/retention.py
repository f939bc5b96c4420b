"""Retention: entry logs older than `retention_days` are deleted (personal data minimised); road
checkpoint people of that age lose their names and document numbers once their hand-overs are closed;
contact logs of that age (the school file) lose what the person said."""

from __future__ import annotations

from datetime import datetime, timedelta

from .clock import iso, now
from .config import GatewayConfig
from .db import Database
from .store import audit
from .store import checkpoint as checkpoint_store
from .store import entries as store
from .store import schools as school_store


async def purge(db: Database, config: GatewayConfig, at: datetime | None = None) -> int:
    """Delete entries scanned before `at - retention_days`; returns how many went."""
    cutoff = (at or now()) - timedelta(days=config.retention_days)
    async with db.transaction() as tx:
        removed = await store.purge(tx, before_ts=cutoff.timestamp())
        if removed:
            await audit.record(tx, "system:retention", "entries.purge", "entries", None,
                               {"removed": removed, "before": cutoff.isoformat(timespec="seconds")})
        redacted = await checkpoint_store.redact_before(tx, before_ts=cutoff.timestamp())
        if redacted:
            await audit.record(tx, "system:retention", "checkpoint.redact", "checkpoint_people", None,
                               {"people": redacted, "before": cutoff.isoformat(timespec="seconds")})
        blanked = await school_store.redact_contacts_before(tx, before_iso=iso(cutoff))
        if blanked:
            await audit.record(tx, "system:retention", "contact.redact", "contact_logs", None,
                               {"contacts": blanked, "before": cutoff.isoformat(timespec="seconds")})
    return removed
