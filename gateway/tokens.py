"""API token lifecycle: list (never the secret) and revoke; creation is `auth.create_token`."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .auth import CLI, Principal
from .clock import iso, now
from .db import Database
from .errors import Conflict, NotFound
from .store import accounts as store
from .store import audit
from .store.accounts import TokenRow


@dataclass(frozen=True, slots=True)
class TokenInfo(store.TokenRow):
    """A token as an admin sees it: no secret and no hash, only what it is and whether it works."""

    state: str  # active | revoked | expired


def state_of(row: TokenRow, at: str) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= at:
        return "expired"
    return "active"


def _info(row: TokenRow, at: str) -> TokenInfo:
    return TokenInfo(**{f.name: getattr(row, f.name) for f in fields(row)}, state=state_of(row, at))


async def list_tokens(db: Database, *, after_id: int = 0, limit: int = 1000) -> list[TokenInfo]:
    stamp = iso(now())
    return [_info(r, stamp) for r in await store.list_tokens(db.read, after_id=after_id, limit=limit)]


async def revoke(db: Database, token_id: int, reason: str, actor: Principal = CLI) -> TokenInfo:
    """Revoke a token at once: the next call made with it gets 401."""
    stamp = iso(now())
    async with db.transaction() as tx:
        row = await store.token_by_id(tx, token_id=token_id)
        if row is None:
            raise NotFound(f"no token {token_id}", field="id")
        if not await store.revoke_token(tx, token_id=token_id, at=stamp):
            raise Conflict(f"token {token_id} is already revoked", code="already_revoked")
        await audit.record(tx, actor.actor, "token.revoke", f"token:{token_id}", reason,
                           {"role": row.role, "label": row.label})
        updated = await store.token_by_id(tx, token_id=token_id)
    assert updated is not None
    return _info(updated, stamp)
