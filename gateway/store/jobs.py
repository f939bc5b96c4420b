"""SQL for job leases: which gateway process runs a once-per-city job (gateway/jobs.py)."""

from __future__ import annotations

from ..db import Conn


async def take_lease(conn: Conn, *, name: str, holder: str, now_ts: float, ttl: float) -> bool:
    """Take or renew the lease on `name` for `ttl` seconds; False while another holder's is live."""
    got = await conn.returning(
        "INSERT INTO job_leases (name, holder, expires_ts) VALUES (:n, :h, :e)"
        " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ts = excluded.expires_ts"
        " WHERE job_leases.holder = excluded.holder OR job_leases.expires_ts < :now"
        " RETURNING holder",
        {"n": name, "h": holder, "e": now_ts + ttl, "now": now_ts})
    return got == holder


async def lease_holder(conn: Conn, *, name: str, now_ts: float) -> str | None:
    """Who holds a live lease on `name`, if anyone."""
    return await conn.fetch_value("SELECT holder FROM job_leases WHERE name = :n AND expires_ts >= :now",
                                  {"n": name, "now": now_ts})
