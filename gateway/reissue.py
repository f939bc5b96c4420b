"""Bulk reissue: when a key is withdrawn, every live pass it signed is replaced, as one resumable job.

A job belongs to one withdrawn key. It works in batches, each one transaction: the batch's
passes are replaced (new serial, signed by the current key, the person's resident link
unchanged) and the job's progress advances with them, so a job stopped at any point — a crash,
Ctrl-C, a restart — resumes where it was: the passes still to do are simply the live ones
the withdrawn key signed. The gateway resumes unfinished jobs when it starts.

People whose paper card carried a replaced pass are on the reprint list until a card of their
new pass is produced (`reprint_list`, `cards_printed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from datetime import timedelta

from . import passes
from .access import EVERYTHING, Reach
from .auth import Principal
from .clock import iso, now
from .db import Database
from .errors import Conflict, NotFound
from .services import Services
from .store import audit
from .store import reissue as store
from .store.reissue import JobRow, ReprintRow

log = logging.getLogger("qrgate.reissue")
BATCH = 200  # passes per transaction: the writer is held ~0.1 s, gate uploads wait no longer
# the revoke reason of a replaced pass; the same word as the gate's reason for its old QR
REASON = "key_withdrawn"

Progress = Callable[[JobRow], None]


def fraction(job: JobRow) -> float:
    """How far a job is, 0..1 (a job with nothing to do is complete)."""
    return 1.0 if job.total == 0 else min(1.0, job.done / job.total)


async def start(db: Database, kid: str, reason: str, actor: Principal) -> JobRow:
    """The job for a withdrawn key (made once; asking again returns the same job)."""
    async with db.transaction() as tx:
        existing = await store.job_for_kid(tx, kid=kid)
        if existing is not None:
            return existing
        total = await store.count_live_by_kid(tx, kid=kid)
        job = await store.create_job(tx, kid=kid, reason=reason, actor=actor.actor, total=total, at=iso(now()))
        await audit.record(tx, actor.actor, "reissue.start", f"key:{kid}", reason,
                           {"job": job.id, "total": total})
    return job


async def run(svc: Services, job_id: int, *, progress: Progress | None = None, batch: int = BATCH) -> JobRow:
    """Work a job to its end (or resume it); `progress` is called after every batch."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    valid_for = timedelta(days=svc.config.pass_validity_days)
    while True:
        async with svc.db.transaction() as tx:
            await tx.serialise(f"reissue:{job_id}")  # nodes resuming the same job take turns per batch
            job = await store.get_job(tx, job_id=job_id)
            if job is None:
                raise NotFound(f"no reissue job {job_id}")
            if job.state == "done":
                return job
            key = svc.keystore.signing_key()
            if key.kid.hex() == job.kid:
                raise Conflict(f"key {job.kid} still signs: withdraw it before reissuing its passes",
                               code="key_not_withdrawn")
            actor = Principal("job", str(job.id), "admin", f"reissue-{job.id}")
            rows = await store.live_by_kid(tx, kid=job.kid, limit=batch)
            people = await store.people_by_id(tx, ids=[r.person_id for r in rows])
            moment = now()
            await passes.replace_signed_by(tx, rows, people, key, moment, valid_for, actor, REASON,
                                           {"job": job.id, "withdrawn_key": job.kid})
            finished = len(rows) < batch
            await store.advance_job(tx, job_id=job.id, count=len(rows), at=iso(moment), finished=finished)
            if finished:
                await audit.record(tx, actor.actor, "reissue.finish", f"key:{job.kid}", job.reason,
                                   {"job": job.id, "reissued": job.done + len(rows)})
            updated = await store.get_job(tx, job_id=job.id)
        assert updated is not None
        if progress is not None:
            progress(updated)
        if finished:
            return updated
        await asyncio.sleep(0)  # let the gate uploads and page views waiting on the writer in


async def get(db: Database, job_id: int) -> JobRow:
    job = await store.get_job(db.read, job_id=job_id)
    if job is None:
        raise NotFound(f"no reissue job {job_id}")
    return job


async def list_jobs(db: Database, *, state: str | None = None) -> list[JobRow]:
    return await store.list_jobs(db.read, state=state)


async def reprint_list(db: Database, *, after_person: int = 0, limit: int = 500,
                       reach: Reach = EVERYTHING) -> list[ReprintRow]:
    """People (within `reach`) whose printed card is void since their pass's key was withdrawn, with their live pass."""
    return await store.reprint_list(db.read, reason=REASON, after_person=after_person, limit=limit, reach=reach)


async def cards_printed(db: Database, serials: list[str], actor: Principal | str) -> None:
    """Record that cards of these passes were produced (console, resident page or a bulk PDF)."""
    by = actor if isinstance(actor, str) else actor.actor
    async with db.transaction() as tx:
        await store.mark_card_printed(tx, serials=serials, at=iso(now()), by=by)


class Runner:
    """The gateway's background reissue jobs: one task per job, cancelled (resumable) at shutdown."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._tasks: dict[int, asyncio.Task[JobRow]] = {}

    def schedule(self, job_id: int) -> None:
        task = self._tasks.get(job_id)
        if task is not None and not task.done():
            return
        task = asyncio.create_task(run(self.svc, job_id), name=f"qrgate-reissue-{job_id}")
        task.add_done_callback(_log_failure)
        self._tasks[job_id] = task

    async def resume(self) -> None:
        for job in await store.list_jobs(self.svc.db.read, state="running"):
            log.info("reissue job %d (key %s): resuming at %d of %d", job.id, job.kid, job.done, job.total)
            self.schedule(job.id)

    async def wait(self, job_id: int) -> JobRow:
        """Until the job's task ends (tests, and a console page that wants to show the end)."""
        task = self._tasks.get(job_id)
        return await task if task is not None else await get(self.svc.db, job_id)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _log_failure(task: asyncio.Task[JobRow]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("reissue job failed; it resumes at the next start", exc_info=task.exception())


async def cards_reprinted(db: Database, serials: list[str], actor: Principal) -> None:
    """A bulk PDF of new cards was made: they leave the reprint list (audited, no personal data)."""
    async with db.transaction() as tx:
        await store.mark_card_printed(tx, serials=serials, at=iso(now()), by=actor.actor)
        await audit.record(tx, actor.actor, "cards.reprint", "reprint-list", "new cards after a key withdrawal",
                           {"cards": len(serials)})


async def cards_printed_for(db: Database, serials: list[str], actor: Principal, selection: dict[str, Any]) -> None:
    """A bulk PDF of cards for a selection was made: each card is remembered (a later reissue puts its holder
    on the reprint list) and the print is audited once, with the count and the selection (no names)."""
    async with db.transaction() as tx:
        await store.mark_card_printed(tx, serials=serials, at=iso(now()), by=actor.actor)
        await audit.record(tx, actor.actor, "cards.print", "people", None, {"cards": len(serials), **selection})
