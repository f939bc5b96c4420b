"""SQL for sites, device enrolments and devices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..db import Conn, Row


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


_DEVICE_COLUMNS = tuple(DeviceRow.__dataclass_fields__)
_SITE_COLUMNS = tuple(SiteRow.__dataclass_fields__)
@dataclass(frozen=True, slots=True)
class DeviceRead:
    """A device as a request reads it: its row, its site's, and the revocation list's current seq
    (read in the same statement: a gate's sync needs all three)."""

    device: DeviceRow
    site: SiteRow | None
    revocation_seq: int


_DEVICE_WITH_SITE = (
    "SELECT " + ", ".join(f"d.{c}" for c in _DEVICE_COLUMNS) + ", "
    + ", ".join(f"s.{c} AS site_{c}" for c in _SITE_COLUMNS)
    + ", (SELECT COALESCE(MAX(seq), 0) FROM revocations) AS revocation_seq"  # once per statement
    + " FROM devices d LEFT JOIN sites s ON s.code = d.site WHERE d.credential_hash IN ({})")
_SITE_AT, _SEQ_AT = len(_DEVICE_COLUMNS), len(_DEVICE_COLUMNS) + len(_SITE_COLUMNS)


def _device_read(row: Row) -> DeviceRead:
    values = tuple(row)  # by position: the columns are named once, in _DEVICE_COLUMNS and _SITE_COLUMNS
    site = None if values[_SITE_AT] is None else SiteRow(*values[_SITE_AT:_SEQ_AT])
    return DeviceRead(DeviceRow(*values[:_SITE_AT]), site, int(values[_SEQ_AT]))


BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)  # statement shapes: a batch is padded up to the next one
_DEVICES_WITH_SITES = {n: _DEVICE_WITH_SITE.format(", ".join(f":h{i}" for i in range(n))) for n in BATCH_SIZES}


async def devices_by_credentials(conn: Conn, credential_hashes: Sequence[str]) -> dict[str, DeviceRead]:
    """Devices by credential with their sites and the revocation seq, in one read: up to
    BATCH_SIZES[-1] credentials (gateway/device_reads.py gathers them).

    The IN list is padded (with its last value) to one of a few sizes, so that there are seven
    statements to prepare and plan (an index look-up each), not one per batch size."""
    if not 0 < len(credential_hashes) <= BATCH_SIZES[-1]:
        raise ValueError(f"1 to {BATCH_SIZES[-1]} credential hashes, not {len(credential_hashes)}")
    size = next(n for n in BATCH_SIZES if n >= len(credential_hashes))
    params = {f"h{i}": credential_hashes[min(i, len(credential_hashes) - 1)] for i in range(size)}
    found = {}
    for row in await conn.fetch_all(_DEVICES_WITH_SITES[size], params):
        read = _device_read(row)
        found[read.device.credential_hash] = read
    return found


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
