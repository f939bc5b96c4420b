"""Once-per-city jobs on any number of gateway processes: a lease in the database picks the node."""

from __future__ import annotations

import os
import secrets
import socket

from .clock import now
from .db import Busy, Database
from .store import jobs as store

NODE_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def take_lease(db: Database, name: str, ttl_seconds: float, holder: str = NODE_ID) -> bool:
    """True when this node holds the lease on `name` for the next `ttl_seconds` (taken or renewed)."""
    try:
        async with db.transaction() as tx:
            return await store.take_lease(tx, name=name, holder=holder, now_ts=now().timestamp(),
                                          ttl=ttl_seconds)
    except Busy:  # another node is taking it right now: it wins this round
        return False
