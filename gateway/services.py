"""What every domain operation needs, opened once: config, database, issuer keys, privacy cipher."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from keys import KeyAuthority, KeyStore

from .config import GatewayConfig
from .db import Database
from .privacy import PrivacyCipher
from .store import audit


@dataclass(frozen=True)
class Services:
    config: GatewayConfig
    db: Database
    keystore: KeyStore
    cipher: PrivacyCipher
    authority: KeyAuthority


@asynccontextmanager
async def open_services(config: GatewayConfig, *, actor: str = "gateway", reason: str | None = None,
                        keys: bool = True) -> AsyncIterator[Services]:
    """Create the data folder, first issuer key, data key and database if missing; close on exit.

    A first key made here is audited as `keys.init` by `actor` (the gateway at its first start).
    `keys=False` (reports, tokens, accounts): the keys are not opened, so no passphrase is asked for.
    """
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(config.data_dir, 0o700)  # mkdir's mode is ignored for an existing folder
    authority = KeyAuthority(config.keys_dir, max_pass_validity=timedelta(days=config.pass_validity_days))
    events = authority.ensure() if keys else []
    keystore = authority.issuers
    cipher = PrivacyCipher.from_file(config.data_key)
    db = await Database.open(config.database_target, pool_size=config.database_pool_size)
    try:  # from here the database is closed whatever fails (its threads would keep the process alive)
        for path in (config.database, config.database.with_name(config.database.name + "-wal"),
                     config.database.with_name(config.database.name + "-shm")):
            if db.backend == "sqlite" and path.exists():
                os.chmod(path, 0o600)  # personal data: owner only, whatever the umask
        if events:  # the first start (or `qrgate keys init`) made keys: audit each thing made
            async with db.transaction() as tx:
                for event in events:
                    await audit.record(tx, actor, event.action, event.target, event.reason or reason,
                                       dict(event.detail))
        yield Services(config, db, keystore, cipher, authority)
    finally:
        await db.close()
