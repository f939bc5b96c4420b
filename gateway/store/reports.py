"""SQL for daily reports: per-site counts over a time window, fevers, people, silent devices, alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..db import Conn

SYNC_SLOT = 1800  # seconds; must match the trigger in migrations/0200_reports.sql
ALERT_LOOKBACK = 86400.0  # an alert is raised at upload, after its entry: allow a gate clock a day fast


@dataclass(frozen=True, slots=True)
class Window:
    """A day [start, end) as Unix seconds and as the ISO UTC text the *_at columns hold."""

    start_ts: float
    end_ts: float
    start_iso: str
    end_iso: str


@dataclass(frozen=True, slots=True)
class CountRow:
    site: str
    decision: str
    reason: str
    count: int
    late: int  # of which received after the window ended


@dataclass(frozen=True, slots=True)
class FeverRow:
    site: str
    device_id: str
    scanned_at: str
    scanned_ts: float
    temperature: float | None
    serial: str | None
    person_id: int | None
    name: str | None
    document_masked: str | None


@dataclass(frozen=True, slots=True)
class PeopleRow:
    """People counted by affiliation (community, employer, school)."""

    community: str | None
    employer: str | None
    school: str | None
    in_quarantine: int
    quarantine_ending: int
    newly_registered: int


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: str
    site: str
    name: str
    last_seen_at: str | None
    update_problem: str | None = None  # the gate reported it cannot use its bundles: silent in effect


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    kind: str
    site: str | None
    device_id: str | None
    created_at: str
    happened_ts: float | None


@dataclass(frozen=True, slots=True)
class HourRow:
    hour: int
    decision: str
    count: int


def _sites(sites: Sequence[str] | None) -> str | None:
    return None if sites is None else json.dumps(list(sites))


SITE_FILTER = "(:sites IS NULL OR {col} IN (SELECT value FROM json_each(:sites)))"


async def entry_counts(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[CountRow]:
    """Entries that happened (scanner time) in the window, by site, decision and reason."""
    sql = ("SELECT site, decision, reason, count(*), coalesce(sum(received_at >= :end_iso), 0)"
           " FROM entries WHERE scanned_ts >= :start AND scanned_ts < :end AND "
           + SITE_FILTER.format(col="site") + " GROUP BY site, decision, reason")
    params = {"start": window.start_ts, "end": window.end_ts, "end_iso": window.end_iso,
              "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [CountRow(*r) for r in await cur.fetchall()]


async def temperatures(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[tuple[str, int]]:
    """(site, entries with a temperature reading) in the window: 每人必测, how many were measured."""
    sql = ("SELECT site, count(*) FROM entries WHERE scanned_ts >= :start AND scanned_ts < :end"
           " AND temperature IS NOT NULL AND " + SITE_FILTER.format(col="site") + " GROUP BY site")
    params = {"start": window.start_ts, "end": window.end_ts, "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def directions(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[tuple[str, str, int]]:
    """(site, direction, entries) in the window; entries from gates before directions count as both."""
    sql = ("SELECT site, COALESCE(direction, 'both'), count(*) FROM entries"
           " WHERE scanned_ts >= :start AND scanned_ts < :end AND " + SITE_FILTER.format(col="site")
           + " GROUP BY site, COALESCE(direction, 'both')")
    params = {"start": window.start_ts, "end": window.end_ts, "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [(r[0], r[1], r[2]) for r in await cur.fetchall()]


async def fevers(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[FeverRow]:
    """Fever denials in the window, with the pass holder found through the pass serial."""
    sql = ("SELECT e.site, e.device_id, e.scanned_at, e.scanned_ts, e.temperature, e.serial,"
           " p.id, p.name, p.document_masked FROM entries e"
           " LEFT JOIN passes s ON s.serial = e.serial LEFT JOIN people p ON p.id = s.person_id"
           " WHERE e.scanned_ts >= :start AND e.scanned_ts < :end AND e.reason = 'fever' AND "
           + SITE_FILTER.format(col="e.site") + " ORDER BY e.scanned_ts, e.id")
    params = {"start": window.start_ts, "end": window.end_ts, "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [FeverRow(*r) for r in await cur.fetchall()]


async def people(conn: Conn, *, day: str, window: Window) -> list[PeopleRow]:
    """Quarantine runs from quarantine_start to the day before quarantine_end (the day out)."""
    sql = ("SELECT community, employer, school,"
           " coalesce(sum(quarantine_start <= :day AND quarantine_end > :day), 0),"
           " coalesce(sum(quarantine_end = :day), 0),"
           " coalesce(sum(created_at >= :start_iso AND created_at < :end_iso), 0)"
           " FROM people WHERE (quarantine_end >= :day AND quarantine_start <= :day)"
           " OR (created_at >= :start_iso AND created_at < :end_iso)"
           " GROUP BY community, employer, school")
    params = {"day": day, "start_iso": window.start_iso, "end_iso": window.end_iso}
    async with conn.execute(sql, params) as cur:
        return [PeopleRow(*r) for r in await cur.fetchall()]


async def silent_devices(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[DeviceRow]:
    """Devices in service during the window that did not contact the gateway within it."""
    sql = ("SELECT d.id, d.site, d.name, d.last_seen_at, d.update_problem FROM devices d"
           " WHERE d.enrolled_at < :end_iso AND (d.disabled_at IS NULL OR d.disabled_at >= :start_iso)"
           " AND " + SITE_FILTER.format(col="d.site") +
           " AND (d.update_problem IS NOT NULL OR NOT EXISTS (SELECT 1 FROM device_syncs s"
           " WHERE s.device_id = d.id AND s.slot >= :start AND s.slot < :end))"
           " ORDER BY d.site, d.name, d.id")
    params = {"start": window.start_ts, "end": window.end_ts, "start_iso": window.start_iso,
              "end_iso": window.end_iso, "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [DeviceRow(*r) for r in await cur.fetchall()]


async def alerts(conn: Conn, *, window: Window, lookback_iso: str,
                 sites: Sequence[str] | None) -> list[AlertRow]:
    """Alerts whose entry happened in the window, or without an entry, raised in it."""
    sql = ("SELECT a.id, a.kind, a.site, a.device_id, a.created_at, e.scanned_ts FROM alerts a"
           " LEFT JOIN entries e ON e.id = a.entry_id"
           " WHERE a.created_at >= :lookback AND " + SITE_FILTER.format(col="a.site") +
           " AND ((e.id IS NOT NULL AND e.scanned_ts >= :start AND e.scanned_ts < :end)"
           " OR (e.id IS NULL AND a.created_at >= :start_iso AND a.created_at < :end_iso))"
           " ORDER BY a.id")
    params = {"lookback": lookback_iso, "start": window.start_ts, "end": window.end_ts,
              "start_iso": window.start_iso, "end_iso": window.end_iso, "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [AlertRow(*r) for r in await cur.fetchall()]


async def hourly(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[HourRow]:
    """Entries per hour since the window's start, by decision (for the dashboard chart)."""
    sql = ("SELECT CAST((scanned_ts - :start) / 3600 AS INTEGER) AS hour, decision, count(*)"
           " FROM entries WHERE scanned_ts >= :start AND scanned_ts < :end AND "
           + SITE_FILTER.format(col="site") + " GROUP BY hour, decision")
    params = {"start": window.start_ts, "end": window.end_ts, "sites": _sites(sites)}
    async with conn.execute(sql, params) as cur:
        return [HourRow(*r) for r in await cur.fetchall()]


async def first_fingerprints(conn: Conn, *, day: str) -> dict[str, tuple[str, str]]:
    """scope → (fingerprint, produced_at) of the first report of a finished day."""
    async with conn.execute("SELECT scope, fingerprint, produced_at FROM report_fingerprints"
                            " WHERE day = :day", {"day": day}) as cur:
        return {r[0]: (r[1], r[2]) for r in await cur.fetchall()}


async def remember_fingerprints(conn: Conn, *, day: str, produced_at: str,
                                fingerprints: dict[str, str]) -> None:
    """Keep the first fingerprint of each scope; later ones are compared, never stored."""
    await conn.executemany(
        "INSERT OR IGNORE INTO report_fingerprints (day, scope, fingerprint, produced_at)"
        " VALUES (:day, :scope, :fp, :at)",
        [{"day": day, "scope": scope, "fp": fp, "at": produced_at} for scope, fp in fingerprints.items()])


@dataclass(frozen=True, slots=True)
class EndingRow:
    id: int
    name: str
    document_masked: str
    community: str | None
    quarantine_end: str


async def quarantine_ending(conn: Conn, *, days: Sequence[str], limit: int) -> list[EndingRow]:
    """People whose quarantine ends (the first day out) on one of `days`, soonest first."""
    async with conn.execute(
            "SELECT id, name, document_masked, community, quarantine_end FROM people"
            " WHERE quarantine_end IN (SELECT value FROM json_each(:days))"
            " ORDER BY quarantine_end, id LIMIT :limit", {"days": json.dumps(list(days)), "limit": limit}) as cur:
        return [EndingRow(*r) for r in await cur.fetchall()]


async def unsynced_devices(conn: Conn, *, since_iso: str) -> list[DeviceRow]:
    """Devices in service that have not contacted the gateway since `since_iso` (or never)."""
    async with conn.execute(
            "SELECT id, site, name, last_seen_at, update_problem FROM devices WHERE disabled_at IS NULL"
            " AND (last_seen_at IS NULL OR last_seen_at < :since OR update_problem IS NOT NULL)"
            " ORDER BY site, name, id",
            {"since": since_iso}) as cur:
        return [DeviceRow(*r) for r in await cur.fetchall()]
