"""Passes: issue, revoke, reissue (one transaction), refresh on data change, and resident links.

A resident link belongs to the person, not to one pass: `/p/{token}` keeps showing the
person's current pass after a reissue, so a printed or shared link never goes stale.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from keys import HolderKey, IssuedPass, IssuerKey, PassClaims, Status, issue_pass
from keys.render import qr_version

from . import scoped
from .access import may
from .auth import Principal
from .clock import iso, now
from .db import Conn, Database
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import bindings as bindings_store
from .store import passes as store
from .store import people as people_store
from .store.passes import PassRow
from .store.people import PersonRow

SERIAL_HEX = 24
MAX_QR_VERSION = 10  # at ECC M: read by cheap webcams and from paper (issue #10)


@dataclass(frozen=True, slots=True)
class IssuedPassInfo:
    serial: str
    qr_text: str
    issued_at: str
    expires_at: str
    resident_url: str
    person_id: int
    replaced: str | None = None


@dataclass(frozen=True, slots=True)
class ResidentPass:
    """What the resident page shows: masked data and the current QR."""

    person_id: int
    name: str
    document_masked: str
    document_last4: str  # what the QR itself carries, and what the gate shows the guard
    status: str
    quarantine_end: str | None
    cleared: bool
    serial: str
    state: str  # live | revoked | lapsed
    qr_text: str
    issued_at: str
    expires_at: str


def claims_for(person: PersonRow) -> PassClaims:
    return PassClaims(
        name=person.name, document=person.document_last4, status=Status(person.status),
        quarantine_end=date.fromisoformat(person.quarantine_end) if person.quarantine_end else None,
        cleared=bool(person.cleared), community=person.community, employer=person.employer,
        school=person.school)


def _claims_json(claims: PassClaims) -> str:
    return json.dumps(claims.to_json(), ensure_ascii=False, sort_keys=True)


def check_serial(serial: str) -> str:
    if len(serial) != SERIAL_HEX or any(c not in "0123456789abcdef" for c in serial):
        raise InvalidInput("serial must be 24 lowercase hex characters", field="serial")
    return serial


def resident_path(token: str) -> str:
    return f"/p/{token}"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _new_resident_token(svc: Services, tx: Conn, person_id: int) -> str:
    token = secrets.token_urlsafe(24)
    await people_store.update(tx, person_id=person_id, values={
        "resident_token_hash": _token_hash(token),
        "resident_token_enc": svc.cipher.encrypt("resident_token", token)})
    return token


async def _resident_token(svc: Services, tx: Conn, person: PersonRow) -> str:
    if person.resident_token_enc is not None:
        return svc.cipher.decrypt("resident_token", person.resident_token_enc)
    return await _new_resident_token(svc, tx, person.id)


def _sign(svc: Services, person: PersonRow, moment: datetime) -> tuple[IssuedPass, PassClaims]:
    """Sign the person's pass so that it fits QR version 10 at ECC M (issue #10).

    A name too long for that is shortened on the pass to its first characters and "…" (as many as
    fit; the registry keeps the full name); affiliation codes are never shortened, since gates match
    them exactly: if they alone do not fit, issuance is refused naming them.
    """
    claims = claims_for(person)
    key, valid = svc.keystore.signing_key(), timedelta(days=svc.config.pass_validity_days)
    issued = issue_pass(key, claims, now=moment, valid_for=valid)
    keep = len(claims.name)
    while qr_version(issued.qr_text) > MAX_QR_VERSION and keep > 1:
        keep -= 1
        claims = replace(claims, name=claims.name[:keep] + "…")
        issued = issue_pass(key, claims, now=moment, valid_for=valid)
    if qr_version(issued.qr_text) > MAX_QR_VERSION:
        raise InvalidInput(f"the pass would not fit a version-{MAX_QR_VERSION} QR code even with the name "
                           "shortened: the community, employer and school codes together are too long "
                           "(use shorter codes)", field="community", code="pass_too_large")
    return issued, claims


async def _store(tx: Conn, person: PersonRow, issued: IssuedPass, claims: PassClaims) -> PassRow:
    await store.insert(tx, serial=issued.serial_hex, person_id=person.id, kid=issued.kid.hex(),
                       qr_text=issued.qr_text, claims=_claims_json(claims), issued_at=iso(issued.issued_at),
                       expires_at=iso(issued.expires_at))
    row = await store.get(tx, serial=issued.serial_hex)
    assert row is not None
    return row


async def _revoke(tx: Conn, row: PassRow, reason: str, at: str, replaced_by: str | None = None) -> int:
    await store.end(tx, serial=row.serial, state="revoked", at=at, reason=reason, replaced_by=replaced_by)
    return await store.add_revocation(tx, serial=row.serial, revoked_at=at, expires_at=row.expires_at)


async def _issue_in(svc: Services, tx: Conn, person: PersonRow, actor: Principal, base_url: str,
                    *, replacing: PassRow | None, reason: str | None) -> IssuedPassInfo:
    moment = now()
    stamp = iso(moment)
    token = await _resident_token(svc, tx, person)
    issued, claims = _sign(svc, person, moment)
    details: dict[str, Any] = {"serial": issued.serial_hex}
    if replacing is not None:
        # the old pass leaves service first: the database allows one live pass per person
        if replacing.state == "live":
            details["revocation_seq"] = await _revoke(tx, replacing, reason or "reissued", stamp,
                                                      issued.serial_hex)
        details["replaces"] = replacing.serial
    row = await _store(tx, person, issued, claims)
    action = "pass.reissue" if replacing is not None else "pass.issue"
    await audit.record(tx, actor.actor, action, f"person:{person.id}", reason, details)
    return IssuedPassInfo(row.serial, row.qr_text, row.issued_at, row.expires_at,
                          base_url.rstrip("/") + resident_path(token), person.id,
                          replacing.serial if replacing else None)


async def replace_signed_by(tx: Conn, rows: list[PassRow], people: dict[int, PersonRow], key: IssuerKey,
                            moment: datetime, valid_for: timedelta, actor: Principal, reason: str,
                            details: dict[str, Any]) -> list[str]:
    """Inside a transaction: replace live passes whose issuing key was withdrawn (gateway/reissue.py).

    The old passes are marked revoked but stay off the revocation list: every gate already refuses
    them for their key, and 100,000 serials would only make every gate's list longer. Written in
    bulk (a few statements per batch, not per pass): this is the 100,000-pass path.
    """
    stamp = iso(moment)
    ends: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    audits: list[tuple[str, dict[str, Any]]] = []
    for row in rows:
        person = people[row.person_id]
        claims = claims_for(person)
        # a holder-bound pass is replaced by one bound to the same phone key (none left: not replaced)
        binding = await bindings_store.live_binding(tx, person_id=person.id) if row.bound else None
        if row.bound and binding is None:
            ends.append({"serial": row.serial, "at": stamp, "reason": reason, "by": None})
            continue
        holder_key = HolderKey(binding.alg, bytes.fromhex(binding.public_key)) if binding else None  # type: ignore[arg-type]
        issued = issue_pass(key, claims, now=moment, valid_for=valid_for, holder_key=holder_key)
        ends.append({"serial": row.serial, "at": stamp, "reason": reason, "by": issued.serial_hex})
        inserts.append({"serial": issued.serial_hex, "person": person.id, "kid": issued.kid.hex(),
                        "qr": issued.qr_text, "claims": _claims_json(claims), "iat": iso(issued.issued_at),
                        "exp": iso(issued.expires_at), "bound": row.bound})
        audits.append((f"person:{person.id}", {"serial": issued.serial_hex, "replaces": row.serial, **details}))
    await store.end_many(tx, ends)  # first: the database allows one live pass per person
    await store.insert_many(tx, inserts)
    await audit.record_many(tx, actor.actor, "pass.reissue", reason, audits)
    return [str(i["serial"]) for i in inserts]


async def issue(svc: Services, person_id: int, actor: Principal, base_url: str) -> IssuedPassInfo:
    """A first pass for a person; refused if a live, unexpired one exists (use reissue)."""
    async with svc.db.transaction() as tx:
        person = await scoped.check_person(tx, actor, await people_store.get(tx, person_id=person_id), person_id)
        live = await store.live_for(tx, person_id=person_id)
        if live is not None:
            if live.expires_at > iso(now()):
                raise Conflict(f"person {person_id} already has live pass {live.serial}: reissue it",
                               code="pass_exists")
            await store.end(tx, serial=live.serial, state="lapsed", at=iso(now()), reason="expired")
        return await _issue_in(svc, tx, person, actor, base_url, replacing=None, reason=None)


async def get(db: Database, serial: str) -> PassRow:
    """Unscoped; callers serving a principal use `get_for`."""
    row = await store.get(db.read, serial=check_serial(serial))
    if row is None:
        raise NotFound(f"no pass {serial}")
    return row


async def _in_scope(conn: Conn, actor: Principal, row: PassRow | None, serial: str) -> PassRow:
    """The pass, or NotFound when missing or its holder is outside the actor's scope."""
    if row is None:
        raise NotFound(f"no pass {serial}")
    try:
        await scoped.check_person(conn, actor, await people_store.get(conn, person_id=row.person_id),
                                  row.person_id)
    except NotFound:
        raise NotFound(f"no pass {serial}") from None
    return row


async def get_for(db: Database, actor: Principal, serial: str) -> PassRow:
    """The pass, if the actor's scope reaches its holder."""
    return await _in_scope(db.read, actor, await store.get(db.read, serial=check_serial(serial)), serial)


async def revoke(svc: Services, serial: str, reason: str, actor: Principal) -> PassRow:
    check_serial(serial)
    async with svc.db.transaction() as tx:
        row = await _in_scope(tx, actor, await store.get(tx, serial=serial), serial)
        if row.state != "live":
            raise Conflict(f"pass {serial} is already {row.state}", code="not_live")
        seq = await _revoke(tx, row, reason, iso(now()))
        await store.record_revoker(tx, serial=serial, role=actor.role)
        await audit.record(tx, actor.actor, "pass.revoke", f"person:{row.person_id}", reason,
                           {"serial": serial, "revocation_seq": seq})
        updated = await store.get(tx, serial=serial)
    assert updated is not None
    return updated


async def reissue(svc: Services, serial: str, reason: str, actor: Principal, base_url: str) -> IssuedPassInfo:
    """New serial; the old one revoked if still live. Works on the person's latest pass only."""
    check_serial(serial)
    async with svc.db.transaction() as tx:
        row = await _in_scope(tx, actor, await store.get(tx, serial=serial), serial)
        if row.state == "revoked" and row.replaced_by is None and not may(actor.role, "pass.reissue_revoked") \
                and await store.revoker(tx, serial=serial) != actor.role:
            # an admin's revocation (or one from before revokers were recorded) stands until an admin
            # decides otherwise; a registrar may undo their own (a lost phone found again)
            raise Forbidden(f"pass {serial} was revoked by an admin: only an admin may issue it again",
                            code="revoked")
        live = await store.live_for(tx, person_id=row.person_id)
        if live is not None and live.serial != serial:
            raise Conflict(f"pass {serial} was replaced by {live.serial}: reissue that one",
                           code="superseded")
        person = await people_store.get(tx, person_id=row.person_id)
        assert person is not None
        return await _issue_in(svc, tx, person, actor, base_url, replacing=row, reason=reason)


async def refresh(svc: Services, tx: Conn, person_id: int, actor: Principal, reason: str) -> str | None:
    """Inside a change's transaction: reissue the live pass if what it carries has changed."""
    live = await store.live_for(tx, person_id=person_id)
    person = await people_store.get(tx, person_id=person_id)
    if live is None or person is None:
        return None
    if live.claims == _claims_json(claims_for(person)):
        return None
    if live.claims == _claims_json(_sign(svc, person, now())[1]):  # the same shortened name
        return None
    info = await _issue_in(svc, tx, person, actor, "", replacing=live, reason=reason)
    return info.serial


async def rotate_resident_link(svc: Services, person_id: int, reason: str, actor: Principal,
                               base_url: str) -> str:
    """A new resident link for a person whose link leaked; the old one stops working at once.

    The pass itself is unchanged: if its QR may have been copied too, reissue it as well.
    """
    async with svc.db.transaction() as tx:
        person = await scoped.check_person(tx, actor, await people_store.get(tx, person_id=person_id), person_id)
        if person.resident_token_hash is None:
            raise Conflict(f"person {person_id} has no resident link yet: issue a pass first",
                           code="no_resident_link")
        token = await _new_resident_token(svc, tx, person_id)
        # the details name no token, old or new: the audit log must not open anyone's pass
        await audit.record(tx, actor.actor, "person.resident_link_rotate", f"person:{person_id}", reason)
    return base_url.rstrip("/") + resident_path(token)


async def by_resident_token(db: Database, token: str) -> ResidentPass | None:
    """The current pass behind a resident link (the live one, else the latest), or None."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        return None
    person = await people_store.by_resident_token(db.read, token_hash=_token_hash(token))
    if person is None:
        return None
    row = await store.live_for(db.read, person_id=person.id) or \
        await store.latest_for(db.read, person_id=person.id)
    if row is None:
        return None
    return ResidentPass(person.id, person.name, person.document_masked, person.document_last4,
                        person.status, person.quarantine_end, bool(person.cleared), row.serial,
                        row.state, row.qr_text, row.issued_at, row.expires_at)


async def resident_link(svc: Services, person_id: int, actor: Principal, base_url: str) -> str | None:
    """The person's current resident link, for a worker to hand over (None: no pass issued yet).

    The link is the holder's bearer secret: callers show it only to roles with `link.hand_out`.
    """
    person = await scoped.check_person(svc.db.read, actor, await people_store.get(svc.db.read, person_id=person_id),
                                       person_id)
    if person.resident_token_enc is None:
        return None
    token = svc.cipher.decrypt("resident_token", person.resident_token_enc)
    return base_url.rstrip("/") + resident_path(token)
