"""Sites with their policies, device enrolment (single-use, expiring) and device credentials."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from keys import PolicyError, SitePolicy, SiteKind
from keys.policy import DIRECTIONS as KEY_DIRECTIONS

from .auth import DEVICE_PREFIX, Principal, hash_secret, new_secret
from .clock import iso, now
from .db import Conn
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import sites as store
from .store.sites import DeviceRow, SiteRow
from .validate import CODE, REASON, Choice, Free, Integer, Nullable, Obj, Text

ENROL_PREFIX = "qge_"
ENROL_QR_PREFIX = "QGENROLL:"
MAX_ENROL_TTL = 7 * 86400
MAX_PROBLEM = 300
KINDS = tuple(k.value for k in SiteKind)
POLICY = Free({"type": "object", "description": "keys.SitePolicy JSON form (docs/gateway.md)"})
# one definition of each body: the handlers' check and the OpenAPI request schemas
NEW_SITE = Obj({"code": CODE, "name": Text(100), "kind": Choice(KINDS), "policy": POLICY},
               required=("code", "name", "kind"))
SITE_REPLACE = Obj({"name": Text(100), "kind": Choice(KINDS), "policy": POLICY}, required=("name", "kind"))
SITE_EDIT = Obj({"name": Text(100), "reason": Nullable(REASON),
                 "policy": Free({"type": "object", "description": "the keys.SitePolicy fields to change"})})
SITE_RULES = (("policy", "the policy's own fields (keys.SitePolicy: kind-specific lists, opening time, "
                         "thresholds, time zone)"),)
ENROLMENT = Obj({"expires_in": Nullable(Integer(60, MAX_ENROL_TTL)), "direction": Choice(tuple(KEY_DIRECTIONS))})
ENROL = Obj({"token": Text(200, what="the enrolment token (qge_…)", trim=False),
             "name": Text(100)}, required=("token",))
DEVICE_STATUS = Obj({"problem": Nullable(Text(MAX_PROBLEM))})
DIRECTIONS = KEY_DIRECTIONS


@dataclass(frozen=True, slots=True)
class Enrolment:
    token: str
    expires_at: str
    site: str
    qr_text: str


@dataclass(frozen=True, slots=True)
class EnrolledDevice:
    device_id: str
    credential: str
    site: str
    server_time: str
    jwks: dict[str, Any]
    trust: dict[str, Any]  # root, root_fingerprint, keyset, root_chain (gateway/sync.py trust_json)
    direction: str = "both"

    def __repr__(self) -> str:
        return f"EnrolledDevice(device_id={self.device_id!r}, site={self.site!r})"


def parse_site(body: dict[str, Any], city_timezone: str,
               code_value: str | None = None) -> tuple[str, str, str, SitePolicy]:
    """(code, name, kind, policy) from a POST /sites or PUT /sites/{code} body.

    A policy that names no time zone gets the city's (`GatewayConfig.timezone`), not keys' own default."""
    checked = (NEW_SITE if code_value is None else SITE_REPLACE).check(body)
    site_code = checked["code"] if code_value is None else CODE.check(code_value, "code")
    name, kind = checked["name"], checked["kind"]
    raw = checked.get("policy", {})
    if not isinstance(raw, dict):
        raise InvalidInput("policy must be a JSON object (the site policy's JSON form)", field="policy")
    if code_value is None and raw.get("resumption_approved") not in (None, False):  # a PUT: update_site
        raise _set_by_approval("resumption_approved")
    raw = {"kind": kind, "site": site_code, "timezone": city_timezone, **raw}
    if raw["kind"] != kind:
        raise InvalidInput("policy.kind must match kind", field="policy.kind")
    if raw["site"] != site_code:
        raise InvalidInput("policy.site must match code", field="policy.site")
    try:
        policy = SitePolicy.from_json(raw)
    except PolicyError as exc:
        raise policy_invalid(exc) from None
    return site_code, name, kind, policy


def policy_invalid(exc: PolicyError) -> InvalidInput:
    """keys' sentence about a policy field as the API says it: `policy.open_from: must be …`, one sentence
    that names the field (web/labels.py words it for the console; tests/web/test_policy_words.py checks
    that every sentence keys/policy.py can raise has those words)."""
    path = "policy" if exc.field == "policy" else f"policy.{exc.field}"
    sentence = f"{path}: {exc.message}"
    return InvalidInput(sentence, field=path)


async def create_site(svc: Services, body: dict[str, Any], actor: Principal) -> SiteRow:
    site_code, name, kind, policy = parse_site(body, svc.config.timezone)
    stamp = iso(now())
    async with svc.db.transaction() as tx:
        if await store.get_site(tx, code=site_code):
            raise Conflict(f"site {site_code!r} exists", field="code", code="site_exists")
        await store.insert_site(tx, code=site_code, name=name, kind=kind,
                                policy=json.dumps(policy.to_json(), ensure_ascii=False), at=stamp)
        await audit.record(tx, actor.actor, "site.create", f"site:{site_code}", None, policy.to_json())
        row = await store.get_site(tx, code=site_code)
    assert row is not None
    return row


async def update_site(svc: Services, site_code: str, body: dict[str, Any], actor: Principal) -> SiteRow:
    """Replace a site (PUT). Its resumption approval is not the admin's to give or take: the
    replaced policy keeps the current `resumption_approved` (gateway/resumption.py sets and withdraws it)."""
    site_code, name, kind, policy = parse_site(body, svc.config.timezone, site_code)
    async with svc.db.transaction() as tx:
        current = await store.get_site(tx, code=site_code)
        if not current:
            raise NotFound(f"no site {site_code!r}")
        approved = policy_of(current).resumption_approved
        given = (body.get("policy") or {}).get("resumption_approved")
        if given is not None and given != approved:  # the same value back (GET, edit, PUT) is fine
            raise _set_by_approval("resumption_approved")
        policy = replace(policy, resumption_approved=approved)
        await store.update_site(tx, code=site_code, name=name, kind=kind,
                                policy=json.dumps(policy.to_json(), ensure_ascii=False), at=iso(now()))
        # what the replacement changed, as an edit records it: an auditor sees what it took away too
        changes = _changes(policy_of(current).to_json(), policy.to_json())
        if name != current.name:
            changes["name"] = (current.name, name)
        await audit.record(tx, actor.actor, "site.update", f"site:{site_code}", None, _change_details(changes))
        row = await store.get_site(tx, code=site_code)
    assert row is not None
    return row


# what PATCH may change, field by field; `kind` and `site` are the site's identity (PUT replaces them)
EDITABLE = ("communities", "employers", "schools", "visitors", "open_from", "require_cleared",
            "fever_threshold", "max_data_age", "timezone", "allow_reentry", "passback_minutes",
            "holder_binding", "code_max_age", "code_max_ahead", "require_temperature", "fever_hold_minutes",
            "resumption_required")
# set only by an approver's decision (gateway/resumption.py), never by an edit
APPROVAL_FIELDS = ("resumption_approved",)


def _set_by_approval(key: str) -> InvalidInput:
    return InvalidInput(f"policy.{key} is set by a resumption approval (or its withdrawal), not by an edit",
                        field=f"policy.{key}", code="set_by_approval")


@dataclass(frozen=True, slots=True)
class SiteEdit:
    """What one edit changed: {field: (old, new)} in the policy's JSON form (name included)."""

    row: SiteRow
    changes: dict[str, tuple[Any, Any]]


def merged_policy(current: SitePolicy, patch: dict[str, Any], allowed: tuple[str, ...] = EDITABLE) -> SitePolicy:
    """The current policy with the fields of `patch` replaced; InvalidInput names the first bad field."""
    for key in patch:
        if key in ("kind", "site"):
            raise InvalidInput(f"policy.{key} is the site's identity: replace the site (PUT) to change it",
                               field=f"policy.{key}")
        if key in APPROVAL_FIELDS and key not in allowed:
            raise _set_by_approval(key)
        if key not in allowed:
            raise InvalidInput(f"unknown policy field {str(key)[:40]!r}", field=f"policy.{str(key)[:40]}")
    try:
        return SitePolicy.from_json({**current.to_json(), **patch})
    except PolicyError as exc:
        raise policy_invalid(exc) from None


async def edit_site(svc: Services, site_code: str, body: dict[str, Any], actor: Principal,
                    *, action: str = "site.edit") -> SiteEdit:
    """Change a site's name and the named policy fields; the rest stays as it is (PATCH).

    One audit entry lists each changed field, old and new; an edit that changes nothing writes
    nothing. The gate gets the new policy, signed, in its next bundle (gateway/sync.py signs the
    stored policy at every sync).
    """
    checked = SITE_EDIT.check(body)
    name, why, patch = checked.get("name"), checked.get("reason"), checked.get("policy", {})
    if not isinstance(patch, dict):
        raise InvalidInput("policy must be a JSON object of the fields to change", field="policy")
    async with svc.db.transaction() as tx:
        row = await store.get_site(tx, code=site_code)
        if row is None:
            raise NotFound(f"no site {site_code[:64]!r}")
        return await edit_in(tx, row, patch, actor, name=name, why=why, action=action)


async def edit_in(tx: Conn, row: SiteRow, patch: dict[str, Any], actor: Principal, *, name: str | None = None,
                  why: str | None = None, action: str = "site.edit",
                  allowed: tuple[str, ...] = EDITABLE) -> SiteEdit:
    """Edit inside the caller's transaction (an approval writes the policy with its decision)."""
    old = policy_of(row).to_json()
    new = merged_policy(policy_of(row), patch, allowed).to_json()
    changes = _changes(old, new)
    if name is not None and name != row.name:
        changes["name"] = (row.name, name)
    if not changes:
        return SiteEdit(row, {})
    await store.update_site(tx, code=row.code, name=name or row.name, kind=row.kind,
                            policy=json.dumps(new, ensure_ascii=False), at=iso(now()))
    await audit.record(tx, actor.actor, action, f"site:{row.code}", why, _change_details(changes))
    updated = await store.get_site(tx, code=row.code)
    assert updated is not None
    return SiteEdit(updated, changes)


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{field: (old, new)} of two policies' JSON forms, each field that differs (a field one lacks is None)."""
    return {k: (old.get(k), new.get(k)) for k in dict.fromkeys((*new, *old)) if old.get(k) != new.get(k)}


def _change_details(changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """An audit row's details for a site change: the changed fields, each one's old and new value."""
    return {"changed": sorted(changes), "old": {k: v[0] for k, v in changes.items()},
            "new": {k: v[1] for k, v in changes.items()}}


async def get_site(svc: Services, site_code: str) -> SiteRow:
    row = await store.get_site(svc.db.read, code=site_code)
    if row is None:
        raise NotFound(f"no site {site_code[:64]!r}")
    return row


def policy_of(row: SiteRow) -> SitePolicy:
    return SitePolicy.from_json(json.loads(row.policy))


async def create_enrolment(svc: Services, site_code: str, body: dict[str, Any], actor: Principal,
                           base_url: str) -> Enrolment:
    checked = ENROLMENT.check(body)
    direction = checked.get("direction", "both")
    ttl = checked.get("expires_in") or svc.config.enrolment_ttl_seconds
    token = new_secret(ENROL_PREFIX)
    moment = now()
    expires = iso(moment + timedelta(seconds=ttl))
    async with svc.db.transaction() as tx:
        if not await store.get_site(tx, code=site_code):
            raise NotFound(f"no site {site_code[:64]!r}")
        await store.insert_enrolment(tx, token_hash=hash_secret(token), site=site_code,
                                     created_by=actor.actor, created_at=iso(moment), expires_at=expires,
                                     direction=direction)
        await audit.record(tx, actor.actor, "device.enrolment", f"site:{site_code}", None,
                           {"expires_at": expires, "direction": direction})
    # the root's fingerprint rides in the QR: the gate refuses an enrolment answer pinning another root
    qr = ENROL_QR_PREFIX + json.dumps({"gateway": base_url.rstrip("/"), "token": token,
                                       "root": root_fingerprint(svc)}, separators=(",", ":"))
    return Enrolment(token, expires, site_code, qr)


async def enroll(svc: Services, body: dict[str, Any]) -> EnrolledDevice:
    """Exchange a single-use enrolment token for a device credential."""
    checked = ENROL.check(body)
    token, name = checked["token"], checked.get("name", "scanner")
    moment = now()
    stamp = iso(moment)
    device_id = "dev_" + secrets.token_hex(8)
    credential = new_secret(DEVICE_PREFIX)
    async with svc.db.transaction() as tx:
        enrolment = await store.get_enrolment(tx, token_hash=hash_secret(token))
        if enrolment is None or enrolment.used_at is not None or enrolment.expires_at <= stamp:
            raise Forbidden("the enrolment token is unknown, used or expired", code="enrolment_invalid")
        await store.insert_device(tx, device_id=device_id, site=enrolment.site, name=name,
                                  credential_hash=hash_secret(credential), at=stamp,
                                  direction=enrolment.direction)
        if not await store.use_enrolment(tx, token_hash=enrolment.token_hash, used_at=stamp,
                                         device_id=device_id):
            raise Forbidden("the enrolment token is unknown, used or expired", code="enrolment_invalid")
        await audit.record(tx, f"device:{device_id}", "device.enroll", f"site:{enrolment.site}", None,
                           {"device": device_id, "name": name, "enrolment_by": enrolment.created_by})
    from .sync import trust_json

    return EnrolledDevice(device_id, credential, enrolment.site, stamp,
                          svc.keystore.trust_set(moment).to_jwks(), trust_json(svc), enrolment.direction)


def root_fingerprint(svc: Services) -> str:
    """The root of trust a gate pins at enrolment, as `qrgate-scanner enroll` prints it."""
    return svc.authority.current_root().fingerprint


async def report_status(svc: Services, device: Principal, body: dict[str, Any]) -> DeviceRow:
    """A gate says whether it can use its bundles (`problem` null) or why not; audited when it changes."""
    problem = DEVICE_STATUS.check(body).get("problem")
    if problem is not None:
        problem = " ".join(problem.split())
    async with svc.db.transaction() as tx:
        row = await store.get_device(tx, device_id=device.id)
        if row is None:
            raise NotFound(f"no device {device.id!r}")
        if row.update_problem != problem:
            await store.set_update_problem(tx, device_id=device.id, problem=problem,
                                           at=iso(now()) if problem else None)
            await audit.record(tx, f"device:{device.id}", "device.update_problem" if problem
                               else "device.update_ok", f"device:{device.id}", problem)
        updated = await store.get_device(tx, device_id=device.id)
    assert updated is not None
    return updated


async def list_devices(svc: Services, site: str | None) -> list[DeviceRow]:
    return await store.list_devices(svc.db.read, site=site)


async def disable_device(svc: Services, device_id: str, reason: str, actor: Principal) -> DeviceRow:
    async with svc.db.transaction() as tx:
        device = await store.get_device(tx, device_id=device_id)
        if device is None:
            raise NotFound(f"no device {device_id[:64]!r}")
        if device.disabled_at is None:
            await store.disable_device(tx, device_id=device_id, at=iso(now()))
            await audit.record(tx, actor.actor, "device.disable", f"device:{device_id}", reason)
        row = await store.get_device(tx, device_id=device_id)
    assert row is not None
    return row
