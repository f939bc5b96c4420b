"""Township webhooks: hand-overs and referrals forwarded, signed, to another system; never in the way.

A delivery is queued in the database in the transaction that opens the hand-over and sent later by
a background job (one node of the city at a time: the `webhooks` lease). A request carries

    X-Qrgate-Event: handover.opened
    X-Qrgate-Delivery: <delivery id>            the receiver's idempotency key
    X-Qrgate-Timestamp: <Unix seconds>
    X-Qrgate-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

A 2xx answer delivers it; anything else (an error status, a refused connection, no answer within
`TIMEOUT`) is tried again after 15 s, 30 s, 1 min … (doubling, at most an hour); after
`MAX_ATTEMPTS` tries it is dead: listed in the console, where an admin can send it again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .auth import Principal
from .clock import iso, now
from .db import Conn
from .errors import Conflict, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import webhooks as store
from .store.webhooks import DeliveryRow, WebhookRow
from .validate import CODE, REASON, REASON_BODY, Boolean, Nullable, Obj, Text

log = logging.getLogger("qrgate.gateway")
MAX_ATTEMPTS = 8
FIRST_BACKOFF, MAX_BACKOFF = 15.0, 3600.0
TIMEOUT = 10.0  # seconds for one try, connection included
CLAIM = 60.0  # a claimed try not finished in this time is taken again
STATES = ("pending", "delivered", "dead")
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Configured:
    row: WebhookRow
    secret: str | None  # shown once, when made here


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, attempts - 1))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver checks (and should refuse a timestamp minutes away from its clock)."""
    try:
        return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
    except ValueError:
        return False


def webhook_json(row: WebhookRow) -> dict[str, Any]:
    return {"township": row.township, "url": row.url, "enabled": bool(row.enabled),
            "updated_at": row.updated_at, "updated_by": row.updated_by}


def delivery_json(row: DeliveryRow) -> dict[str, Any]:
    return {"id": row.id, "township": row.township, "handover_id": row.handover_id, "event": row.event,
            "state": row.state, "attempts": row.attempts, "next_try_ts": row.next_ts if row.state == "pending" else None,
            "last_status": row.last_status, "last_error": row.last_error, "created_at": row.created_at,
            "delivered_at": row.delivered_at}


# a township's webhook (PUT /webhooks/{township}): the check and the OpenAPI request schema
CONFIGURE = Obj({"url": Text(500), "secret": Nullable(Text(200, 16)), "new_secret": Nullable(Boolean()),
                 "enabled": Nullable(Boolean()), "reason": REASON}, required=("url", "reason"))
CONFIGURE_RULES = (("url", "an http(s) URL with a host and no user or password"),)


def _url(url: str) -> str:
    problem = InvalidInput("url must be an http(s) URL with a host and no user or password", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here, not at delivery)
    except ValueError:  # "http://[::1" is not an IPv6 address
        raise problem from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise problem
    return url


async def configure(svc: Services, raw_township: str, body: dict[str, Any], actor: Principal) -> Configured:
    """Set a township's webhook (PUT): `url`, optional `secret` (16..200; made when missing and new,
    or when `new_secret` is true), `enabled`, and a `reason` (audited)."""
    township = CODE.check(raw_township, "township")
    checked = CONFIGURE.check(body)
    url = _url(checked["url"])
    given = checked.get("secret")
    renew = bool(checked.get("new_secret"))
    enabled = checked.get("enabled") is not False
    why = checked["reason"]
    stamp = iso(now())
    async with svc.db.transaction() as tx:
        current = await store.get(tx, township=township)
        made = None
        if given is not None:
            secret_enc = svc.cipher.encrypt("webhook", given)
        elif current is None or renew:
            made = secrets.token_urlsafe(SECRET_BYTES)
            secret_enc = svc.cipher.encrypt("webhook", made)
        else:
            secret_enc = current.secret_enc
        await store.upsert(tx, township=township, url=url, secret_enc=secret_enc, enabled=enabled, at=stamp,
                           by=actor.actor)
        # the details never hold the secret, only whether it changed
        await audit.record(tx, actor.actor, "webhook.set", f"webhook:{township}", why,
                           {"url": url, "enabled": enabled, "secret_changed": current is None or given is not None
                            or renew})
        row = await store.get(tx, township=township)
    assert row is not None
    return Configured(row, made)


async def listing(svc: Services) -> list[WebhookRow]:
    return await store.all_hooks(svc.db.read)


async def deliveries(svc: Services, *, state: str | None, after_id: int = 0, limit: int = 100) -> list[DeliveryRow]:
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}", field="state")
    return await store.search(svc.db.read, state=state, after_id=after_id, limit=limit)


async def retry(svc: Services, delivery_id: int, body: dict[str, Any], actor: Principal) -> DeliveryRow:
    """Send a dead delivery again from its first try (audited)."""
    why = REASON_BODY.check(body)["reason"]
    async with svc.db.transaction() as tx:
        row = await store.get_delivery(tx, delivery_id=delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        if row.state != "dead":
            raise Conflict(f"delivery {delivery_id} is {row.state}: only a dead one is sent again", code="not_dead")
        await store.finish(tx, delivery_id=delivery_id, values={"state": "pending", "attempts": 0,
                                                                "next_ts": now().timestamp()})
        await audit.record(tx, actor.actor, "webhook.retry", f"webhook_delivery:{delivery_id}", why,
                           {"township": row.township, "handover": row.handover_id, "attempts": row.attempts})
        found = await store.get_delivery(tx, delivery_id=delivery_id)
    assert found is not None
    return found


async def enqueue(tx: Conn, township: str, handover_id: int, event: str, payload: dict[str, Any]) -> int | None:
    """Inside the hand-over's transaction: queue it for the township's webhook, if it has one enabled."""
    hook = await store.get(tx, township=township)
    if hook is None or not hook.enabled:
        return None
    stamp = now()
    body = json.dumps({"event": event, "handover": payload}, ensure_ascii=False, sort_keys=True)
    return await store.enqueue(tx, township=township, handover_id=handover_id, event=event, body=body,
                               at=iso(stamp), next_ts=stamp.timestamp())


async def deliver_due(svc: Services, session: aiohttp.ClientSession, *, at: float | None = None,
                      limit: int = 50) -> int:
    """Try every delivery due at `at` (default now) once; the number delivered."""
    moment = now().timestamp() if at is None else at
    delivered = 0
    for row in await store.due(svc.db.read, at=moment, limit=limit):
        async with svc.db.transaction() as tx:
            if not await store.claim(tx, delivery_id=row.id, at=moment, until=moment + CLAIM):
                continue  # another node took it
            hook = await store.get(tx, township=row.township)
        status, error = await _send(svc, session, hook, row)
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
        if error is None:
            values.update(state="delivered", delivered_at=iso(now()))
            delivered += 1
        elif attempts >= MAX_ATTEMPTS:
            values.update(state="dead")
            log.warning("webhook delivery %d to %s is dead after %d tries: %s", row.id, row.township, attempts, error)
        else:
            values.update(next_ts=moment + backoff(attempts))
        async with svc.db.transaction() as tx:
            await store.finish(tx, delivery_id=row.id, values=values)
    return delivered


async def _send(svc: Services, session: aiohttp.ClientSession, hook: WebhookRow | None,
                row: DeliveryRow) -> tuple[int | None, str | None]:
    """(HTTP status, None) when delivered; (status or None, why not) otherwise."""
    if hook is None or not hook.enabled:
        return None, "the township has no enabled webhook"
    body = row.body.encode()
    stamp = int(now().timestamp())
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Qrgate-Event": row.event,
               "X-Qrgate-Delivery": str(row.id), "X-Qrgate-Timestamp": str(stamp),
               "X-Qrgate-Signature": sign(svc.cipher.decrypt("webhook", hook.secret_enc), stamp, body)}
    try:
        async with session.post(hook.url, data=body, headers=headers, allow_redirects=False,
                                timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as resp:
            await resp.read()
            if 200 <= resp.status < 300:
                return resp.status, None
            return resp.status, f"HTTP {resp.status}"
    except TimeoutError:
        return None, f"no answer within {TIMEOUT:.0f} s"
    except aiohttp.ClientError as exc:
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"
