"""SQL for township webhooks and their delivery queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..db import Conn


@dataclass(frozen=True, slots=True)
class WebhookRow:
    township: str
    url: str
    secret_enc: bytes
    enabled: int
    updated_at: str
    updated_by: str


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    township: str
    handover_id: int
    event: str
    body: str
    state: str
    attempts: int
    next_ts: float
    last_status: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


_D = ("id, township, handover_id, event, body, state, attempts, next_ts, last_status, last_error, created_at,"
      " delivered_at")


async def get(conn: Conn, *, township: str) -> WebhookRow | None:
    row = await conn.fetch_one("SELECT township, url, secret_enc, enabled, updated_at, updated_by FROM webhooks"
                               " WHERE township = :t", {"t": township})
    return None if row is None else WebhookRow(row[0], row[1], bytes(row[2]), *row[3:])


async def all_hooks(conn: Conn) -> list[WebhookRow]:
    rows = await conn.fetch_all("SELECT township, url, secret_enc, enabled, updated_at, updated_by FROM webhooks"
                                " ORDER BY township")
    return [WebhookRow(r[0], r[1], bytes(r[2]), *r[3:]) for r in rows]


async def upsert(conn: Conn, *, township: str, url: str, secret_enc: bytes, enabled: bool, at: str, by: str) -> None:
    await conn.execute(
        "INSERT INTO webhooks (township, url, secret_enc, enabled, updated_at, updated_by)"
        " VALUES (:t, :u, :s, :e, :at, :by) ON CONFLICT (township) DO UPDATE SET url = excluded.url,"
        " secret_enc = excluded.secret_enc, enabled = excluded.enabled, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",
        {"t": township, "u": url, "s": secret_enc, "e": int(enabled), "at": at, "by": by})


async def enqueue(conn: Conn, *, township: str, handover_id: int, event: str, body: str, at: str,
                  next_ts: float) -> int:
    return int(await conn.returning(
        "INSERT INTO webhook_deliveries (township, handover_id, event, body, state, attempts, next_ts, created_at)"
        " VALUES (:t, :h, :e, :b, 'pending', 0, :n, :at) RETURNING id",
        {"t": township, "h": handover_id, "e": event, "b": body, "n": next_ts, "at": at}))


async def due(conn: Conn, *, at: float, limit: int) -> list[DeliveryRow]:
    rows = await conn.fetch_all(f"SELECT {_D} FROM webhook_deliveries WHERE state = 'pending' AND next_ts <= :at"
                                " ORDER BY next_ts, id LIMIT :limit", {"at": at, "limit": limit})
    return [DeliveryRow(*r) for r in rows]


async def claim(conn: Conn, *, delivery_id: int, at: float, until: float) -> bool:
    """Take a due delivery for one try (another node that read it as due then finds it moved on)."""
    result = await conn.execute("UPDATE webhook_deliveries SET next_ts = :until WHERE id = :id"
                                " AND state = 'pending' AND next_ts <= :at",
                                {"id": delivery_id, "at": at, "until": until})
    return result.rowcount == 1


async def finish(conn: Conn, *, delivery_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    await conn.execute(f"UPDATE webhook_deliveries SET {sets} WHERE id = :id", {**values, "id": delivery_id})


async def get_delivery(conn: Conn, *, delivery_id: int) -> DeliveryRow | None:
    row = await conn.fetch_one(f"SELECT {_D} FROM webhook_deliveries WHERE id = :id", {"id": delivery_id})
    return None if row is None else DeliveryRow(*row)


async def search(conn: Conn, *, state: str | None, after_id: int, limit: int) -> list[DeliveryRow]:
    rows = await conn.fetch_all(f"SELECT {_D} FROM webhook_deliveries WHERE (:s IS NULL OR state = :s)"
                                " AND id > :after ORDER BY id LIMIT :limit",
                                {"s": state, "after": after_id, "limit": limit})
    return [DeliveryRow(*r) for r in rows]
