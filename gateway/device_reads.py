"""A device's row, read for each of its requests; requests waiting at the same moment share one read.

What a read gives (gateway/store/sites.py DeviceRead): the device, its site, and the revocation
list's current seq, which a gate's sync needs too and so costs no read of its own.

Every device request reads its device (a device disabled on any node is refused at its next
request), and a burst of gates syncing at once would make that one query per gate: on PostgreSQL
a pooled connection and a round trip each, on SQLite a hand-off to the reader's thread each. So
the reads queue here: a request that finds no read under way starts one; requests arriving
while it runs wait, and the next read takes all of them (up to 64) in one query. Each read starts
after every request it answers had arrived, never earlier, so it sees every change committed
before them (a shared read that began before a request would not); a lone request is read at once.
"""

from __future__ import annotations

import asyncio
import weakref

from .db import Database
from .store import sites as site_store
from .store.sites import DeviceRead

Found = DeviceRead | None
BATCH = site_store.BATCH_SIZES[-1]


class _Queue:
    """The requests of one database waiting for a read, by credential hash."""

    def __init__(self) -> None:
        self.waiting: dict[str, list[asyncio.Future[Found]]] = {}
        self.reading: asyncio.Task[None] | None = None  # held: the loop keeps only a weak reference


_queues: weakref.WeakKeyDictionary[Database, _Queue] = weakref.WeakKeyDictionary()


async def device(db: Database, credential_hash: str) -> Found:
    """The device holding this credential (its site, the revocation seq), read after this call began."""
    queue = _queues.get(db)
    if queue is None:
        queue = _queues[db] = _Queue()
    future: asyncio.Future[Found] = asyncio.get_running_loop().create_future()
    queue.waiting.setdefault(credential_hash, []).append(future)
    if queue.reading is None:
        # a task, not a call: it runs after the requests already scheduled in this turn of the
        # loop (a burst read from the sockets at once), so that its first read takes them all
        queue.reading = asyncio.get_running_loop().create_task(_read(db, queue))
    return await future


async def _read(db: Database, queue: _Queue) -> None:
    try:
        while queue.waiting:
            hashes = list(queue.waiting)[:BATCH]
            futures = {h: queue.waiting.pop(h) for h in hashes}
            try:
                found = await site_store.devices_by_credentials(db.read, hashes)
            except asyncio.CancelledError:
                for waiting in futures.values():
                    for future in waiting:
                        future.cancel()
                raise
            except Exception as error:  # each request fails as a read of its own would have
                for waiting in futures.values():
                    for future in waiting:
                        if not future.done():
                            future.set_exception(error)
                continue
            for h, waiting in futures.items():
                for future in waiting:
                    if not future.done():  # its request may have been cancelled meanwhile
                        future.set_result(found.get(h))
    finally:
        queue.reading = None
        for waiting in queue.waiting.values():  # only if cancelled: the loop is closing
            for future in waiting:
                future.cancel()
        queue.waiting.clear()
