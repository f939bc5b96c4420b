"""SQL for daily reports: per-site counts over a time window, fevers, people, silent devices, alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..access import EVERYTHING, Reach
from ..db import Conn
from .people import reach_clause

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


def _site_filter(conn: Conn, col: str) -> str:
    return f"(:sites IS NULL OR {col} IN {conn.json_list(':sites')})"


# a pass shown at a road checkpoint is an entry and a checkpoint person: the report counts the person once,
# among the checkpoint's figures, so the entry figures leave out the entries a checkpoint person names
NOT_AT_CHECKPOINT = "NOT EXISTS (SELECT 1 FROM checkpoint_people cp WHERE cp.entry_id = entries.id)"


def _count(condition: str) -> str:
    """How many rows meet `condition` (portable: PostgreSQL cannot sum booleans)."""
    return f"coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


@dataclass(frozen=True, slots=True)
class DayRow:
    """The day's entries of one site, decision, reason and direction ('both' for gates before directions)."""

    site: str
    decision: str
    reason: str
    direction: str
    count: int
    late: int  # of which received after the window ended
    measured: int  # of which with a temperature reading


async def day_entries(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[DayRow]:
    """Entries that happened (scanner time) in the window, by site, decision, reason and direction.

    One scan gives the counts by reason, the temperatures taken and the directions: a province's
    day is ten million entries, and three scans of them cost three times one (the figures also
    come from one snapshot)."""
    sql = ("SELECT site, decision, reason, COALESCE(direction, 'both'), count(*), "
           + _count("received_at >= :end_iso") + ", " + _count("temperature IS NOT NULL") +
           " FROM entries WHERE scanned_ts >= :start AND scanned_ts < :end AND " + NOT_AT_CHECKPOINT + " AND "
           + _site_filter(conn, "site") + " GROUP BY site, decision, reason, COALESCE(direction, 'both')")
    params = {"start": window.start_ts, "end": window.end_ts, "end_iso": window.end_iso,
              "sites": _sites(sites)}
    return [DayRow(*r) for r in await conn.fetch_all(sql, params)]


async def fevers(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[FeverRow]:
    """Fever denials in the window, with the pass holder found through the pass serial."""
    sql = ("SELECT e.site, e.device_id, e.scanned_at, e.scanned_ts, e.temperature, e.serial,"
           " p.id, p.name, p.document_masked FROM entries e"
           " LEFT JOIN passes s ON s.serial = e.serial LEFT JOIN people p ON p.id = s.person_id"
           " WHERE e.scanned_ts >= :start AND e.scanned_ts < :end AND e.reason = 'fever' AND "
           + NOT_AT_CHECKPOINT.replace("entries.id", "e.id") + " AND "
           + _site_filter(conn, "e.site") + " ORDER BY e.scanned_ts, e.id")
    params = {"start": window.start_ts, "end": window.end_ts, "sites": _sites(sites)}
    return [FeverRow(*r) for r in await conn.fetch_all(sql, params)]


async def people(conn: Conn, *, day: str, window: Window) -> list[PeopleRow]:
    """Quarantine runs from quarantine_start to the day before quarantine_end (the day out)."""
    sql = ("SELECT community, employer, school,"
           f" {_count('quarantine_start <= :day AND quarantine_end > :day')},"
           f" {_count('quarantine_end = :day')},"
           f" {_count('created_at >= :start_iso AND created_at < :end_iso')}"
           " FROM people WHERE (quarantine_end >= :day AND quarantine_start <= :day)"
           " OR (created_at >= :start_iso AND created_at < :end_iso)"
           " GROUP BY community, employer, school")
    params = {"day": day, "start_iso": window.start_iso, "end_iso": window.end_iso}
    return [PeopleRow(*r) for r in await conn.fetch_all(sql, params)]


async def silent_devices(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[DeviceRow]:
    """Devices in service during the window that did not contact the gateway within it."""
    sql = ("SELECT d.id, d.site, d.name, d.last_seen_at, d.update_problem FROM devices d"
           " WHERE d.enrolled_at < :end_iso AND (d.disabled_at IS NULL OR d.disabled_at >= :start_iso)"
           " AND " + _site_filter(conn, "d.site") +
           " AND (d.update_problem IS NOT NULL OR NOT EXISTS (SELECT 1 FROM device_syncs s"
           " WHERE s.device_id = d.id AND s.slot >= CAST(:start AS DOUBLE PRECISION)"
           " AND s.slot < CAST(:end AS DOUBLE PRECISION)))"
           " ORDER BY d.site, d.name, d.id")
    params = {"start": window.start_ts, "end": window.end_ts, "start_iso": window.start_iso,
              "end_iso": window.end_iso, "sites": _sites(sites)}
    return [DeviceRow(*r) for r in await conn.fetch_all(sql, params)]


async def alerts(conn: Conn, *, window: Window, lookback_iso: str,
                 sites: Sequence[str] | None) -> list[AlertRow]:
    """Alerts whose entry happened in the window, or without an entry, raised in it."""
    sql = ("SELECT a.id, a.kind, a.site, a.device_id, a.created_at, e.scanned_ts FROM alerts a"
           " LEFT JOIN entries e ON e.id = a.entry_id"
           " WHERE a.created_at >= :lookback AND " + _site_filter(conn, "a.site") +
           " AND ((e.id IS NOT NULL AND e.scanned_ts >= :start AND e.scanned_ts < :end)"
           " OR (e.id IS NULL AND a.created_at >= :start_iso AND a.created_at < :end_iso))"
           " ORDER BY a.id")
    params = {"lookback": lookback_iso, "start": window.start_ts, "end": window.end_ts,
              "start_iso": window.start_iso, "end_iso": window.end_iso, "sites": _sites(sites)}
    return [AlertRow(*r) for r in await conn.fetch_all(sql, params)]


async def hourly(conn: Conn, *, window: Window, sites: Sequence[str] | None) -> list[HourRow]:
    """Entries per hour since the window's start, by decision (for the dashboard chart)."""
    sql = ("SELECT CAST(floor((scanned_ts - :start) / 3600) AS INTEGER) AS hour, decision, count(*)"
           " FROM entries WHERE scanned_ts >= :start AND scanned_ts < :end AND "
           + _site_filter(conn, "site") + " GROUP BY hour, decision")
    params = {"start": window.start_ts, "end": window.end_ts, "sites": _sites(sites)}
    return [HourRow(*r) for r in await conn.fetch_all(sql, params)]


async def first_fingerprints(conn: Conn, *, day: str) -> dict[str, tuple[str, str]]:
    """scope → (fingerprint, produced_at) of the first report of a finished day."""
    rows = await conn.fetch_all("SELECT scope, fingerprint, produced_at FROM report_fingerprints"
                                " WHERE day = :day", {"day": day})
    return {r[0]: (r[1], r[2]) for r in rows}


async def remember_fingerprints(conn: Conn, *, day: str, produced_at: str,
                                fingerprints: dict[str, str]) -> None:
    """Keep the first fingerprint of each scope; later ones are compared, never stored."""
    await conn.execute_many(
        "INSERT INTO report_fingerprints (day, scope, fingerprint, produced_at)"
        " VALUES (:day, :scope, :fp, :at) ON CONFLICT (day, scope) DO NOTHING",
        [{"day": day, "scope": scope, "fp": fp, "at": produced_at} for scope, fp in fingerprints.items()])


@dataclass(frozen=True, slots=True)
class EndingRow:
    id: int
    name: str
    document_masked: str
    community: str | None
    quarantine_end: str


async def quarantine_ending(conn: Conn, *, days: Sequence[str], limit: int,
                            reach: Reach = EVERYTHING) -> list[EndingRow]:
    """People whose quarantine ends (the first day out) on one of `days`, soonest first, within a reach."""
    params: dict[str, Any] = {"days": json.dumps(list(days)), "limit": limit}
    return [EndingRow(*r) for r in await conn.fetch_all(
            "SELECT id, name, document_masked, community, quarantine_end FROM people"
            f" WHERE quarantine_end IN {conn.json_list(':days')} AND {reach_clause(reach, params)}"
            " ORDER BY quarantine_end, id LIMIT :limit", params)]


async def unsynced_devices(conn: Conn, *, since_iso: str) -> list[DeviceRow]:
    """Devices in service that have not contacted the gateway since `since_iso` (or never)."""
    return [DeviceRow(*r) for r in await conn.fetch_all(
            "SELECT id, site, name, last_seen_at, update_problem FROM devices WHERE disabled_at IS NULL"
            " AND (last_seen_at IS NULL OR last_seen_at < :since OR update_problem IS NOT NULL)"
            " ORDER BY site, name, id",
            {"since": since_iso})]
