"""Holder binding: a phone registers its key through the resident link and gets a holder-bound pass.

One binding per person at a time. Binding again (a new phone, cleared browser data) ends the old
binding and revokes its pass, so the old phone's codes fail at the next gate sync. A resident may
bind from the link `rebind_limit` times per `rebind_window_days`; a worker resets the binding from
the console, which also resets that count. Every binding, renewal and reset is audited.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from keys import HolderKey, PublicKeyError, issue_pass
from keys import holder as qg2
from keys.render import qr_version

from . import scoped
from .auth import Principal
from .clock import iso, now
from .db import Conn
from .errors import Conflict, InvalidInput, NotFound
from .passes import _claims_json, _revoke, _token_hash, claims_for
from .services import Services
from .store import audit
from .store import bindings as store
from .store import passes as pass_store
from .store import people as people_store
from .store.people import PersonRow

RESIDENT = "resident"
CONSOLE = "console"
MAX_QR_VERSION = 13  # a QG2 code must stay readable from a phone screen by every gate (issue 13)
RENEW_BEFORE = timedelta(days=7)  # the same phone binding again gets a fresh pass this close to expiry


@dataclass(frozen=True, slots=True)
class BoundPass:
    """What the phone needs to make codes offline: the pass text and the key it is bound to."""

    serial: str
    pass_text: str  # Base45 of the holder-bound COSE_Sign1 (no prefix: never a QR on its own)
    alg: str
    public_key: str  # hex, as registered
    expires_at: str
    bound_at: str

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "pass": self.pass_text, "alg": self.alg, "public_key": self.public_key,
                "expires_at": self.expires_at, "bound_at": self.bound_at}


def _actor(person_id: int) -> str:
    # the resident acts through the link; the audit names them by person, never by token
    return f"resident:person:{person_id}"


def parse_key(alg: object, public_key: object) -> HolderKey:
    """From the page's JSON: alg and the base64url raw public key WebCrypto exported."""
    if alg not in ("Ed25519", "ES256"):
        raise InvalidInput("alg must be Ed25519 or ES256", field="alg")
    if not isinstance(public_key, str) or not 40 <= len(public_key) <= 100:
        raise InvalidInput("public_key must be the base64url raw public key", field="public_key")
    try:
        raw = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
        return HolderKey.from_raw(alg, raw)
    except PublicKeyError as exc:  # a small-order or non-canonical Ed25519 key: say which
        raise InvalidInput(f"public_key is not a valid key for this alg: it {exc.message}",
                           field="public_key") from None
    except ValueError:
        raise InvalidInput("public_key is not a valid key for this alg", field="public_key") from None


def _fits(pass_text: str) -> bool:
    code = qg2.encode_code(qg2.base45.decode(pass_text), 2**32 - 1, b"\x00" * 64)  # the widest time
    return qr_version(code) <= MAX_QR_VERSION


async def _issue_bound(svc: Services, tx: Conn, person: PersonRow, key: HolderKey) -> str:
    moment = now()
    claims = claims_for(person)
    issued = issue_pass(svc.keystore.signing_key(), claims, now=moment,
                        valid_for=timedelta(days=svc.config.pass_validity_days), holder_key=key)
    if not _fits(issued.qr_text):
        raise Conflict("this person's pass is too long for a phone code (QR version 13): use the paper pass",
                       code="pass_too_large")
    await pass_store.insert(tx, serial=issued.serial_hex, person_id=person.id, kid=issued.kid.hex(),
                            qr_text=issued.qr_text, claims=_claims_json(claims), issued_at=iso(issued.issued_at),
                            expires_at=iso(issued.expires_at), bound=True)
    return issued.serial_hex


async def _end(tx: Conn, person_id: int, via: str, reason: str, at: str) -> dict[str, Any]:
    """End the live binding and revoke its pass; what the audit should say about it."""
    details: dict[str, Any] = {}
    old = await store.live_binding(tx, person_id=person_id)
    if old is not None:
        await store.end_binding(tx, binding_id=old.id, at=at, via=via, reason=reason)
        details["ended_binding"] = old.id
    live = await store.live_bound_pass(tx, person_id=person_id)
    if live is not None:
        details["revoked"] = live.serial
        details["revocation_seq"] = await _revoke(tx, live, reason, at)
    return details


async def _person(tx: Conn, token: str) -> PersonRow:
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("no such resident link")
    person = await people_store.by_resident_token(tx, token_hash=_token_hash(token))
    if person is None:
        raise NotFound("no such resident link")
    return person


async def bind(svc: Services, token: str, key: HolderKey) -> BoundPass:
    """Bind this phone's key from the resident link (or renew the pass of the phone already bound)."""
    async with svc.db.transaction() as tx:
        person = await _person(tx, token)
        if await pass_store.live_for(tx, person_id=person.id) is None:
            raise Conflict("this person has no live pass: ask the registrar", code="no_live_pass")
        at = iso(now())
        current = await store.live_binding(tx, person_id=person.id)
        live = await store.live_bound_pass(tx, person_id=person.id)
        if current is not None and current.public_key == key.public.hex():
            if live is not None and live.expires_at > iso(now() + RENEW_BEFORE):
                return _bound(current.alg, current.public_key, live, current.created_at)
            details = {"binding": current.id}
            if live is not None:
                details["revocation_seq"] = await _revoke(tx, live, "renewed", at)
            serial = await _issue_bound(svc, tx, person, key)
            await audit.record(tx, _actor(person.id), "holder.renew", f"person:{person.id}", None,
                               {**details, "serial": serial})
            return await _bound_now(tx, person.id)
        await _check_limit(svc, tx, person.id)
        details = await _end(tx, person.id, RESIDENT, "rebound", at)
        binding_id = await store.insert_binding(tx, person_id=person.id, alg=key.alg.value,
                                                public_key=key.public.hex(), via=RESIDENT, at=at)
        serial = await _issue_bound(svc, tx, person, key)
        action = "holder.rebind" if current is not None else "holder.bind"
        await audit.record(tx, _actor(person.id), action, f"person:{person.id}", None,
                           {**details, "binding": binding_id, "alg": key.alg.value,
                            "key": key.fingerprint(), "serial": serial})
        return await _bound_now(tx, person.id)


async def _check_limit(svc: Services, tx: Conn, person_id: int) -> None:
    since = iso(now() - timedelta(days=svc.config.rebind_window_days))
    # a worker's reset restarts the count: only bindings made after it count (times are whole seconds)
    reset = await store.last_console_reset(tx, person_id=person_id)
    count = await store.resident_bindings_since(tx, person_id=person_id, since=since, after=reset)
    if count >= svc.config.rebind_limit:
        raise Conflict(f"this pass was bound to a phone {svc.config.rebind_limit} times in "
                       f"{svc.config.rebind_window_days} days: ask a worker to reset it", code="rebind_limit")


async def reset(svc: Services, person_id: int, reason: str, actor: Principal) -> dict[str, Any]:
    """A worker ends a person's phone binding (lost or new phone): its pass is revoked at once."""
    async with svc.db.transaction() as tx:
        await scoped.check_person(tx, actor, await people_store.get(tx, person_id=person_id), person_id)
        if await store.live_binding(tx, person_id=person_id) is None:
            raise Conflict(f"person {person_id} has no phone binding", code="not_bound")
        details = await _end(tx, person_id, CONSOLE, reason, iso(now()))
        await audit.record(tx, actor.actor, "holder.reset", f"person:{person_id}", reason, details)
    return {"person_id": person_id, "bound": False, "revoked": details.get("revoked")}


async def refresh(svc: Services, tx: Conn, person_id: int, actor: Principal, reason: str) -> str | None:
    """Inside a change's transaction: reissue the holder-bound pass if what it carries has changed."""
    live = await store.live_bound_pass(tx, person_id=person_id)
    binding = await store.live_binding(tx, person_id=person_id)
    person = await people_store.get(tx, person_id=person_id)
    if live is None or binding is None or person is None or live.claims == _claims_json(claims_for(person)):
        return None
    seq = await _revoke(tx, live, reason, iso(now()))
    serial = await _issue_bound(svc, tx, person, HolderKey(binding.alg, bytes.fromhex(binding.public_key)))  # type: ignore[arg-type]
    await audit.record(tx, actor.actor, "holder.reissue", f"person:{person_id}", reason,
                       {"replaces": live.serial, "serial": serial, "revocation_seq": seq})
    return serial


async def _bound_now(tx: Conn, person_id: int) -> BoundPass:
    binding = await store.live_binding(tx, person_id=person_id)
    live = await store.live_bound_pass(tx, person_id=person_id)
    assert binding is not None and live is not None
    return _bound(binding.alg, binding.public_key, live, binding.created_at)


def _bound(alg: str, public_key: str, row: pass_store.PassRow, bound_at: str) -> BoundPass:
    return BoundPass(row.serial, row.qr_text, alg, public_key, row.expires_at, bound_at)


async def for_person(conn: Conn, person_id: int) -> BoundPass | None:
    """The live binding and its pass, for the resident page; None when no phone is bound."""
    binding = await store.live_binding(conn, person_id=person_id)
    live = await store.live_bound_pass(conn, person_id=person_id)
    if binding is None or live is None:
        return None
    return _bound(binding.alg, binding.public_key, live, binding.created_at)

