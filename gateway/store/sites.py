"""SQL for sites, device enrolments and devices."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class SiteRow:
    code: str
    name: str
    kind: str
    policy: str
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class EnrolmentRow:
    token_hash: str
    site: str
    created_by: str
    created_at: str
    expires_at: str
    used_at: str | None
    device_id: str | None
    direction: str = "both"


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: str
    site: str
    name: str
    credential_hash: str
    enrolled_at: str
    disabled_at: str | None
    last_seen_at: str | None
    update_problem: str | None = None     # why the gate cannot use its bundles, as it reported
    update_problem_at: str | None = None
    direction: str = "both"


async def insert_site(conn: Conn, *, code: str, name: str, kind: str, policy: str, at: str) -> None:
    await conn.execute(
        "INSERT INTO sites (code, name, kind, policy, created_at, updated_at)"
        " VALUES (:code, :name, :kind, :policy, :at, :at)",
        {"code": code, "name": name, "kind": kind, "policy": policy, "at": at})


async def update_site(conn: Conn, *, code: str, name: str, kind: str, policy: str, at: str) -> None:
    await conn.execute("UPDATE sites SET name = :name, kind = :kind, policy = :policy, updated_at = :at"
                       " WHERE code = :code",
                       {"code": code, "name": name, "kind": kind, "policy": policy, "at": at})


async def get_site(conn: Conn, *, code: str) -> SiteRow | None:
    row = await conn.fetch_one("SELECT * FROM sites WHERE code = :c", {"c": code})
    return SiteRow(**dict(row)) if row else None


async def list_sites(conn: Conn) -> list[SiteRow]:
    return [SiteRow(**dict(r)) for r in await conn.fetch_all("SELECT * FROM sites ORDER BY code")]


async def insert_enrolment(conn: Conn, *, token_hash: str, site: str, created_by: str, created_at: str,
                           expires_at: str, direction: str = "both") -> None:
    await conn.execute(
        "INSERT INTO enrolments (token_hash, site, created_by, created_at, expires_at, direction)"
        " VALUES (:h, :site, :by, :at, :exp, :dir)",
        {"h": token_hash, "site": site, "by": created_by, "at": created_at, "exp": expires_at,
         "dir": direction})


async def get_enrolment(conn: Conn, *, token_hash: str) -> EnrolmentRow | None:
    row = await conn.fetch_one("SELECT * FROM enrolments WHERE token_hash = :h", {"h": token_hash})
    return EnrolmentRow(**dict(row)) if row else None


async def use_enrolment(conn: Conn, *, token_hash: str, used_at: str, device_id: str) -> bool:
    """Mark the token used; False if another request used it first."""
    cur = await conn.execute(
        "UPDATE enrolments SET used_at = :at, device_id = :dev WHERE token_hash = :h AND used_at IS NULL",
        {"at": used_at, "dev": device_id, "h": token_hash})
    return cur.rowcount == 1


async def insert_device(conn: Conn, *, device_id: str, site: str, name: str, credential_hash: str,
                        at: str, direction: str = "both") -> None:
    await conn.execute(
        "INSERT INTO devices (id, site, name, credential_hash, enrolled_at, direction)"
        " VALUES (:id, :site, :name, :cred, :at, :dir)",
        {"id": device_id, "site": site, "name": name, "cred": credential_hash, "at": at, "dir": direction})


async def device_by_credential(conn: Conn, *, credential_hash: str) -> DeviceRow | None:
    row = await conn.fetch_one("SELECT * FROM devices WHERE credential_hash = :h",
                               {"h": credential_hash})
    return DeviceRow(**dict(row)) if row else None


_DEVICE_COLUMNS = tuple(DeviceRow.__dataclass_fields__)
_SITE_COLUMNS = tuple(SiteRow.__dataclass_fields__)
_DEVICE_WITH_SITE = (
    "SELECT " + ", ".join(f"d.{c}" for c in _DEVICE_COLUMNS) + ", "
    + ", ".join(f"s.{c} AS site_{c}" for c in _SITE_COLUMNS)
    + " FROM devices d LEFT JOIN sites s ON s.code = d.site WHERE d.credential_hash = :h")


async def device_with_site_by_credential(conn: Conn, *, credential_hash: str
                                         ) -> tuple[DeviceRow, SiteRow | None] | None:
    """A device by credential and its site, in one read (a gate's sync needs both)."""
    row = await conn.fetch_one(_DEVICE_WITH_SITE, {"h": credential_hash})
    if row is None:
        return None
    values = dict(row)
    device = DeviceRow(**{c: values[c] for c in _DEVICE_COLUMNS})
    site = None if values["site_code"] is None else SiteRow(**{c: values[f"site_{c}"] for c in _SITE_COLUMNS})
    return device, site


async def get_device(conn: Conn, *, device_id: str) -> DeviceRow | None:
    row = await conn.fetch_one("SELECT * FROM devices WHERE id = :id", {"id": device_id})
    return DeviceRow(**dict(row)) if row else None


async def list_devices(conn: Conn, *, site: str | None = None) -> list[DeviceRow]:
    rows = await conn.fetch_all("SELECT * FROM devices WHERE :site IS NULL OR site = :site"
                                " ORDER BY enrolled_at, id", {"site": site})
    return [DeviceRow(**dict(r)) for r in rows]


async def disable_device(conn: Conn, *, device_id: str, at: str) -> None:
    await conn.execute("UPDATE devices SET disabled_at = :at WHERE id = :id AND disabled_at IS NULL",
                       {"at": at, "id": device_id})


async def touch_device(conn: Conn, *, device_id: str, at: str) -> None:
    await conn.execute("UPDATE devices SET last_seen_at = :at WHERE id = :id", {"at": at, "id": device_id})


async def set_update_problem(conn: Conn, *, device_id: str, problem: str | None, at: str | None) -> None:
    await conn.execute("UPDATE devices SET update_problem = :p, update_problem_at = :at WHERE id = :id",
                       {"p": problem, "at": at, "id": device_id})
