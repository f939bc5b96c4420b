"""Resumption approval (复工审批, directive §一 items 2 and 4): a firm applies, an approver decides.

A factory or construction site applies with the five items in place (五个到位), each ticked with an
optional note; the approver of the 行业主管部门 (role `approver`, scoped like the others) approves or
refuses with a reason. Approval writes the site's policy in the same transaction:
`resumption_approved` and the opening time (`open_from`), so the gates learn it at their next sync.
A site whose policy has `resumption_required` is closed (`site_closed`) until then, whatever its
`open_from` says (keys/decide.py). Each step is audited; one application waits at a time per site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from keys import SitePolicy

from . import scoped, sites
from .auth import Principal
from .clock import iso, now
from .db import Conn
from .errors import Conflict, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import resumptions as store
from .store import sites as site_store
from .store.resumptions import ResumptionRow
from .store.sites import SiteRow
from .validate import REASON, REASON_BODY, Choice, Free, Nullable, Obj, Spec, Text, choice

# 五个到位, in the directive's order (§一 item 4)
ITEMS = ("conditions", "entry_control", "notices", "briefings", "commitment")
FIRM_KINDS = ("factory", "construction_site")
STATES = ("pending", "approved", "refused", "withdrawn")
DECISIONS = {"approve": "approved", "refuse": "refused"}
MAX_NOTE = 500
MAX_LIST = 500


@dataclass(frozen=True)
class InPlace(Spec):
    """An item of 五个到位 ticked: `true`, else refused by the item's name."""

    def check(self, value: object, field: str) -> bool:
        if value is not True:
            item = field.removesuffix(".done")
            raise InvalidInput(f"{item} must be in place before the firm applies (五个到位)", field=item,
                               code="item_not_in_place")
        return True

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean", "enum": [True]}


# an opening time as a site policy reads it (checked by keys.SitePolicy; no offset: the site's time zone)
OPEN_FROM = Nullable(Free({"type": "string", "description": "ISO 8601; no offset: the site's time"}))
ITEM = Obj({"done": InPlace(), "note": Nullable(Text(MAX_NOTE))}, required=("done",))
# one definition of each body: the handlers' check and the OpenAPI request schemas
APPLY = Obj({"items": Obj({k: ITEM for k in ITEMS}, required=ITEMS), "open_from": OPEN_FROM,
             "note": Nullable(Text(MAX_NOTE))}, required=("items",))
DECISION = Obj({"decision": Choice(tuple(DECISIONS)), "reason": REASON, "open_from": OPEN_FROM},
               required=("decision", "reason"))
OPEN_FROM_RULE = ("open_from", "an ISO 8601 time the site's policy reads (keys.SitePolicy open_from)")
DECISION_RULES = (OPEN_FROM_RULE, ("open_from", "given only with an approval"))
WITHDRAWAL = REASON_BODY


@dataclass(frozen=True, slots=True)
class Resumption:
    row: ResumptionRow
    site_name: str

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        stored: dict[str, dict[str, Any]] = json.loads(self.row.items)
        return {k: stored.get(k, {"done": False, "note": None}) for k in ITEMS}

    def to_json(self) -> dict[str, Any]:
        r = self.row
        return {"id": r.id, "site": r.site, "site_name": self.site_name, "state": r.state, "items": self.items,
                "open_from": r.open_from, "note": r.note, "applied_by": r.applied_by, "applied_at": r.applied_at,
                "decided_by": r.decided_by, "decided_at": r.decided_at, "decision_reason": r.decision_reason,
                "approved_open_from": r.approved_open_from, "withdrawn_by": r.withdrawn_by,
                "withdrawn_at": r.withdrawn_at, "withdrawal_reason": r.withdrawal_reason}


def parse_items(checked: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The five items as stored, each {"done": true, "note"} (APPLY has checked them)."""
    return {key: {"done": True, "note": checked[key].get("note")} for key in ITEMS}


def opening(policy: SitePolicy, value: object, field: str) -> str | None:
    """An opening time as the policy reads it (no offset: the site's time zone), in ISO 8601."""
    if value is None:
        return None
    try:
        parsed = sites.merged_policy(policy, {"open_from": value})
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("policy.open_from", field), field=field) from None
    assert parsed.open_from is not None
    return parsed.open_from.isoformat()


async def _site(conn: Conn, principal: Principal, site_code: str) -> SiteRow:
    """The site, or NotFound when missing or outside the principal's scope (the same answer)."""
    await scoped.check_site(conn, principal, site_code)
    row = await site_store.get_site(conn, code=site_code)
    if row is None:
        raise NotFound(f"no site {site_code[:64]!r}")
    return row


async def _application(conn: Conn, principal: Principal, resumption_id: int) -> tuple[ResumptionRow, SiteRow]:
    """An application and its site, or NotFound when either is missing or outside the scope (one answer)."""
    row = await store.get(conn, resumption_id=resumption_id)
    if row is not None:
        try:
            return row, await _site(conn, principal, row.site)
        except NotFound:
            pass
    raise NotFound(f"no resumption application {resumption_id}")


async def apply(svc: Services, site_code: str, body: dict[str, Any], actor: Principal) -> Resumption:
    """A firm applies for resumption; 409 when another application waits or the site is approved."""
    checked = APPLY.check(body)
    items = parse_items(checked["items"])
    note = checked.get("note")
    async with svc.db.transaction() as tx:
        site = await _site(tx, actor, site_code)
        if site.kind not in FIRM_KINDS:
            raise Conflict(f"site {site.code!r} is a {site.kind}: only a factory or a construction site "
                           "applies for resumption", field="site", code="not_a_firm")
        policy = sites.policy_of(site)
        open_from = opening(policy, body.get("open_from"), "open_from")
        if policy.resumption_approved:
            raise Conflict(f"site {site.code!r} is already approved to resume", code="already_approved")
        if await store.pending_of(tx, site=site.code) is not None:
            raise Conflict(f"site {site.code!r} has an application waiting for a decision",
                           code="resumption_pending")
        stamp = iso(now())
        new_id = await store.insert(tx, site=site.code, items=json.dumps(items, ensure_ascii=False),
                                    open_from=open_from, note=note, applied_by=actor.actor, at=stamp)
        await audit.record(tx, actor.actor, "resumption.apply", f"site:{site.code}", None,
                           {"resumption": new_id, "open_from": open_from,
                            "items": {k: v["note"] for k, v in items.items()}})
        row = await store.get(tx, resumption_id=new_id)
    assert row is not None
    return Resumption(row, site.name)


async def decide(svc: Services, resumption_id: int, body: dict[str, Any], actor: Principal) -> Resumption:
    """Approve (the policy gets resumption_approved and open_from) or refuse, with a reason."""
    checked = DECISION.check(body)
    decision, why = checked["decision"], checked["reason"]
    if decision == "refuse" and body.get("open_from") is not None:
        raise InvalidInput("open_from is for an approval", field="open_from")
    async with svc.db.transaction() as tx:
        row, site = await _application(tx, actor, resumption_id)
        if row.state != "pending":
            raise Conflict(f"application {resumption_id} is already {row.state}", code="already_decided")
        approved_open: str | None = None
        if decision == "approve":
            policy = sites.policy_of(site)
            approved_open = (opening(policy, body.get("open_from"), "open_from") or row.open_from
                             or iso(now()))
            await sites.edit_in(tx, site, {"resumption_approved": True, "open_from": approved_open}, actor,
                                why=f"resumption {resumption_id} approved: {why}",
                                allowed=(*sites.EDITABLE, *sites.APPROVAL_FIELDS))
        stamp = iso(now())
        if not await store.decide(tx, resumption_id=resumption_id, state=DECISIONS[decision], by=actor.actor,
                                  at=stamp, reason=why, approved_open_from=approved_open):
            raise Conflict(f"application {resumption_id} was decided meanwhile", code="already_decided")
        await audit.record(tx, actor.actor, f"resumption.{decision}", f"resumption:{resumption_id}", why,
                           {"site": site.code, "open_from": approved_open})
        decided = await store.get(tx, resumption_id=resumption_id)
    assert decided is not None
    return Resumption(decided, site.name)


async def withdraw(svc: Services, resumption_id: int, body: dict[str, Any], actor: Principal) -> Resumption:
    """Withdraw an approval (关停): the site's policy loses resumption_approved, the application is withdrawn.

    Only the approval the site stands on: the application must be approved (409 `already_withdrawn`,
    `not_approved`), the site still approved (`site_not_approved`: no route clears the flag, only a
    hand-edited database) and by no later application (`superseded`). The policy also gets
    `resumption_required`, so that a firm approved without needing it is closed all the same.
    """
    why = WITHDRAWAL.check(body)["reason"]
    async with svc.db.transaction() as tx:
        row, site = await _application(tx, actor, resumption_id)
        if row.state == "withdrawn":
            raise Conflict(f"application {resumption_id} is already withdrawn", code="already_withdrawn")
        if row.state != "approved":
            raise Conflict(f"application {resumption_id} is {row.state}: only an approval can be withdrawn",
                           code="not_approved")
        if not sites.policy_of(site).resumption_approved:
            raise Conflict(f"site {site.code!r} is not approved to resume now: there is no approval to withdraw",
                           code="site_not_approved")
        latest = await store.latest_approved(tx, site=site.code)
        if latest != resumption_id:
            raise Conflict(f"application {resumption_id} was followed by a later approval ({latest}): "
                           "withdraw that one", code="superseded")
        await sites.edit_in(tx, site, {"resumption_approved": False, "resumption_required": True}, actor,
                            why=f"resumption {resumption_id} withdrawn: {why}",
                            allowed=(*sites.EDITABLE, *sites.APPROVAL_FIELDS))
        if not await store.withdraw(tx, resumption_id=resumption_id, by=actor.actor, at=iso(now()), reason=why):
            raise Conflict(f"application {resumption_id} was withdrawn meanwhile", code="already_withdrawn")
        await audit.record(tx, actor.actor, "resumption.withdraw", f"resumption:{resumption_id}", why,
                           {"site": site.code})
        withdrawn = await store.get(tx, resumption_id=resumption_id)
    assert withdrawn is not None
    return Resumption(withdrawn, site.name)


async def get(svc: Services, resumption_id: int, principal: Principal) -> Resumption:
    row, site = await _application(svc.db.read, principal, resumption_id)
    return Resumption(row, site.name)


async def listing(svc: Services, principal: Principal, *, site: str | None = None, state: str | None = None,
                  limit: int = MAX_LIST) -> list[Resumption]:
    """Newest first, within the principal's scope."""
    if state is not None:
        state = choice(state, "state", STATES)
    reach = await scoped.reach(svc.db.read, principal)
    rows = await store.search(svc.db.read, site=site, state=state, sites=reach.site_list(), limit=limit)
    names = {r.code: r.name for r in await site_store.list_sites(svc.db.read)}
    return [Resumption(r, names.get(r.site, r.site)) for r in rows]
