"""Who may do what, and over which people and sites: the one role-and-scope matrix.

Both the API (`gateway/api/common.authorise`) and the console (`web/console` middleware) look up
the route they serve in `ROUTES`, and the action found there in `PERMISSIONS`; a route with no
entry is refused (and `tests/gateway/test_access_matrix.py` fails). Finer rights inside a page
(see an address, look up by full number, see a pass's QR) are actions of the same table.

A scope limits what a registrar or viewer reaches: `community:C`, `employer:E`, `school:S`
reach the people with that affiliation and the sites whose policy admits it; `site:X` (a site
operator) reaches that site and the people its policy admits; `class:S/K` (a class teacher, 班主任)
reaches the people of class K of school S and no site. `city` reaches everything and is
what an admin always has. Adding a role is one column here: a name in ROLES and in the
PERMISSIONS rows it may do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

ADMIN, REGISTRAR, VIEWER, DEVICE = "admin", "registrar", "viewer", "device"
APPROVER = "approver"  # 行业主管部门: approves or refuses the resumption of the firms in its scope
TEACHER = "teacher"  # 班主任: a class teacher, scoped to a class: its people's file, checks and contacts
DESK = "desk"  # 服务台: looks a person up by document number at a staffed desk, and nothing else
ROLES = (ADMIN, REGISTRAR, VIEWER, APPROVER, TEACHER, DESK)
SCOPE_KINDS = ("community", "employer", "school", "site", "class")
CITY = "city"
MAX_SCOPE_ENTRIES = 50
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")  # gateway.validate.CODE_PATTERN, without its import

_ALL = frozenset(ROLES)
_OFFICE = _ALL - {DESK}  # sites, applications, reports: every role but the desk
_READERS = frozenset((ADMIN, REGISTRAR, VIEWER))  # the people and their entries: not an approver's
_STAFF = frozenset((ADMIN, REGISTRAR))
_CLASS_WORK = frozenset((ADMIN, REGISTRAR, TEACHER))  # the school file's daily work (§四 19–20)
_ADMIN = frozenset((ADMIN,))
PUBLIC, DEVICE_ONLY, LOGGED_IN = "public", "device", "logged_in"

# action -> roles allowed (scope limits the data further)
PERMISSIONS: dict[str, frozenset[str]] = {
    "people.list": _READERS | {TEACHER}, "people.read": _READERS | {TEACHER},
    "people.create": _STAFF, "people.update": _STAFF,
    "people.address": _CLASS_WORK,       # the viewer sees who and what status, not where they live
    "people.lookup_number": _STAFF,      # look-up by full document or phone number
    "people.reveal": _ADMIN,             # the full numbers, audited
    "health.add": _CLASS_WORK, "health.list": _CLASS_WORK,
    # 一校一档: classes, the school file and its export; the daily contact log of people not yet back
    "school.read": _READERS | {TEACHER}, "school.manage": _STAFF,
    "contact.add": _CLASS_WORK, "contact.list": _CLASS_WORK,
    "quarantine.end": _ADMIN, "person.clear": _ADMIN,
    "key_area.list": _READERS, "key_area.change": _ADMIN,
    "pass.issue": _STAFF, "pass.read": _READERS,
    "pass.qr": _STAFF,                   # the QR text, the card, the issued page: holding it is holding the pass
    "pass.revoke": _STAFF, "pass.reissue": _STAFF,
    "pass.reissue_revoked": _ADMIN,      # undoing a revocation is not a registrar's call
    "link.rotate": _STAFF,
    "link.hand_out": _STAFF,             # the resident link as a QR and a printed slip: the holder's bearer secret
    "holder.reset": _STAFF,              # end a person's phone binding (lost or new phone)
    # family passes: who holds whose pass on their resident page (gateway/guardianships.py)
    "guardianship.list": _READERS, "guardianship.change": _STAFF,
    "site.list": _OFFICE, "site.read": _OFFICE, "site.create": _ADMIN, "site.update": _ADMIN,
    # 复工审批: the site's contact (a registrar scoped to it) or a worker applies; an approver decides
    "resumption.apply": _STAFF, "resumption.list": _OFFICE, "resumption.decide": frozenset((ADMIN, APPROVER)),
    "resumption.withdraw": frozenset((ADMIN, APPROVER)),  # 关停: who approves may take the approval back
    "enrolment.create": _ADMIN, "device.list": _ADMIN, "device.disable": _ADMIN,
    "entries.list": _READERS, "alerts.list": _READERS, "report.daily": _OFFICE - {TEACHER},
    "handover.list": _READERS, "handover.step": _STAFF,  # checkpoint hand-overs and referrals (docs/checkpoint.md)
    "major_event.list": _READERS, "major_event.ack": _STAFF,  # 重大事项报告 of the caller's sites and communities
    "webhook.list": _ADMIN, "webhook.change": _ADMIN,  # a township's webhook holds its signing secret
    "audit.list": _ADMIN, "token.list": _ADMIN, "token.revoke": _ADMIN,
    "keys.list": _ADMIN, "keys.rotate": _ADMIN, "keys.withdraw": _ADMIN,  # issuer keys, bulk reissue
    "cards.reprint": _STAFF,             # the reprint list (of the scope's people) gives their cards
    "today.read": _READERS,              # the worker's Today page; each list is cut to the role and scope
    "alerts.handle": _STAFF,             # mark an open alert handled (audited)
    "metrics.read": frozenset((ADMIN, VIEWER)),  # Prometheus scrapes with a viewer token
    # a staffed desk (people without a phone): one person's status and pass by document, audited
    "desk.lookup": frozenset((ADMIN, REGISTRAR, DESK)),
    LOGGED_IN: _ALL,
}

API = "/api/v1"
# (method, canonical route) -> action; PUBLIC needs nothing, DEVICE_ONLY a device credential
ROUTES: dict[tuple[str, str], str] = {
    ("POST", f"{API}/people"): "people.create",
    ("POST", f"{API}/people/import"): "people.create",
    ("GET", f"{API}/people"): "people.list",
    ("GET", f"{API}/people/{{person_id}}"): "people.read",
    ("PATCH", f"{API}/people/{{person_id}}"): "people.update",
    ("POST", f"{API}/people/{{person_id}}/health-checks"): "health.add",
    ("GET", f"{API}/people/{{person_id}}/health-checks"): "health.list",
    ("POST", f"{API}/people/{{person_id}}/quarantine/end"): "quarantine.end",
    ("POST", f"{API}/people/{{person_id}}/clear"): "person.clear",
    ("PUT", f"{API}/people/{{person_id}}/class"): "school.manage",
    ("POST", f"{API}/people/{{person_id}}/contacts"): "contact.add",
    ("GET", f"{API}/people/{{person_id}}/contacts"): "contact.list",
    ("GET", f"{API}/schools/{{school}}/classes"): "school.read",
    ("POST", f"{API}/schools/{{school}}/classes"): "school.manage",
    ("PATCH", f"{API}/schools/{{school}}/classes/{{class_code}}"): "school.manage",
    ("GET", f"{API}/schools/{{school}}/file"): "school.read",
    ("GET", f"{API}/key-areas"): "key_area.list",
    ("GET", f"{API}/health/not-checked"): "health.list",
    ("PUT", f"{API}/key-areas/{{prefix}}"): "key_area.change",
    ("DELETE", f"{API}/key-areas/{{prefix}}"): "key_area.change",
    ("POST", f"{API}/people/{{person_id}}/passes"): "pass.issue",
    ("POST", f"{API}/people/{{person_id}}/resident-link/rotate"): "link.rotate",
    ("POST", f"{API}/people/{{person_id}}/holder-binding/reset"): "holder.reset",
    ("GET", f"{API}/people/{{person_id}}/guardianships"): "guardianship.list",
    ("POST", f"{API}/people/{{person_id}}/guardianships"): "guardianship.change",
    ("POST", f"{API}/guardianships/{{guardianship_id}}/end"): "guardianship.change",
    ("GET", f"{API}/passes/{{serial}}"): "pass.read",
    ("POST", f"{API}/passes/{{serial}}/revoke"): "pass.revoke",
    ("POST", f"{API}/passes/{{serial}}/reissue"): "pass.reissue",
    ("POST", f"{API}/sites"): "site.create",
    ("GET", f"{API}/sites"): "site.list",
    ("GET", f"{API}/sites/{{code}}"): "site.read",
    ("PUT", f"{API}/sites/{{code}}"): "site.update",
    ("PATCH", f"{API}/sites/{{code}}"): "site.update",
    ("POST", f"{API}/sites/{{code}}/enrolments"): "enrolment.create",
    ("POST", f"{API}/sites/{{code}}/resumptions"): "resumption.apply",
    ("GET", f"{API}/resumptions"): "resumption.list",
    ("GET", f"{API}/resumptions/{{resumption_id}}"): "resumption.list",
    ("POST", f"{API}/resumptions/{{resumption_id}}/decision"): "resumption.decide",
    ("POST", f"{API}/resumptions/{{resumption_id}}/withdrawal"): "resumption.withdraw",
    ("POST", f"{API}/devices/enroll"): PUBLIC,  # the single-use enrolment token is the credential
    ("GET", f"{API}/devices/bundle"): DEVICE_ONLY,
    ("GET", f"{API}/devices/time"): DEVICE_ONLY,
    # signed, the same for every gate, no personal data (random serials): public like the JWKS, so a
    # CDN or nginx can cache it (docs/deployment.md)
    ("GET", f"{API}/revocations/{{part}}/{{digest}}"): PUBLIC,
    ("POST", f"{API}/devices/status"): DEVICE_ONLY,
    ("GET", f"{API}/devices"): "device.list",
    ("POST", f"{API}/devices/{{device_id}}/disable"): "device.disable",
    ("POST", f"{API}/entries"): DEVICE_ONLY,
    ("GET", f"{API}/entries"): "entries.list",
    ("POST", f"{API}/checkpoint/records"): DEVICE_ONLY,
    ("GET", f"{API}/handovers"): "handover.list",
    ("GET", f"{API}/handovers/{{handover_id}}"): "handover.list",
    ("POST", f"{API}/handovers/{{handover_id}}/steps"): "handover.step",
    ("GET", f"{API}/major-events"): "major_event.list",
    ("POST", f"{API}/major-events/{{event_id}}/acknowledge"): "major_event.ack",
    ("GET", f"{API}/webhooks"): "webhook.list",
    ("PUT", f"{API}/webhooks/{{township}}"): "webhook.change",
    ("GET", f"{API}/webhook-deliveries"): "webhook.list",
    ("POST", f"{API}/webhook-deliveries/{{delivery_id}}/retry"): "webhook.change",
    ("GET", f"{API}/alerts"): "alerts.list",
    ("GET", f"{API}/audit"): "audit.list",
    ("GET", f"{API}/tokens"): "token.list",
    ("POST", f"{API}/tokens/{{token_id}}/revoke"): "token.revoke",
    ("GET", f"{API}/reports/daily"): "report.daily",
    ("GET", f"{API}/keys"): "keys.list",
    ("POST", f"{API}/keys/rotate"): "keys.rotate",
    ("POST", f"{API}/keys/{{kid}}/withdraw"): "keys.withdraw",
    ("GET", f"{API}/reissue-jobs"): "keys.list",
    ("GET", f"{API}/reissue-jobs/{{job_id}}"): "keys.list",
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    ("GET", f"{API}/openapi.json"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): "metrics.read",
    # the resident's own pages: the link's token is the credential
    ("GET", "/p/sw.js"): PUBLIC,
    ("GET", "/p/{token}"): PUBLIC,
    ("GET", "/p/{token}/pass.json"): PUBLIC,
    ("POST", "/p/{token}/bind"): PUBLIC,  # the phone registers its key; the link's token is the credential
    ("GET", "/p/{token}/manifest.webmanifest"): PUBLIC,
    ("GET", "/p/{token}/card"): PUBLIC,
    ("GET", "/p/{token}/card.pdf"): PUBLIC,
    # a dependant's card from the guardian's link: only the guardian's own dependants (else 404)
    ("GET", "/p/{token}/d/{person_id}/card"): PUBLIC,
    ("GET", "/p/{token}/d/{person_id}/card.pdf"): PUBLIC,
    ("GET", "/static/web"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    # the console
    ("GET", "/console/"): LOGGED_IN,
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("POST", "/console/logout"): PUBLIC,
    ("POST", "/console/lang"): LOGGED_IN,
    ("GET", "/console/people"): "people.list",
    ("GET", "/console/people/new"): "people.create",
    ("GET", "/console/people/import"): "people.create",
    ("POST", "/console/people/import"): "people.create",
    ("GET", "/console/people/import/template.csv"): "people.create",
    ("POST", "/console/people/import/confirm"): "people.create",
    ("POST", "/console/people/new"): "people.create",
    ("POST", "/console/people/cards.pdf"): "pass.qr",  # the cards of the People list's selection
    ("GET", "/console/people/{person_id}"): "people.read",
    ("POST", "/console/people/{person_id}/class"): "school.manage",
    ("POST", "/console/people/{person_id}/contacts"): "contact.add",
    ("GET", "/console/schools"): "school.read",
    ("GET", "/console/schools/{school}"): "school.read",
    ("POST", "/console/schools/{school}/classes"): "school.manage",
    ("GET", "/console/schools/{school}/file.xlsx"): "school.read",
    ("GET", "/console/schools/{school}/file.pdf"): "school.read",
    ("GET", "/console/people/{person_id}/edit"): "people.update",
    ("POST", "/console/people/{person_id}/edit"): "people.update",
    ("POST", "/console/people/{person_id}/health-checks"): "health.add",
    ("POST", "/console/people/{person_id}/{action}"): "person.clear",  # clear | end-quarantine
    ("POST", "/console/people/{person_id}/passes"): "pass.issue",
    ("POST", "/console/people/{person_id}/holder-reset"): "holder.reset",
    ("POST", "/console/people/{person_id}/guardianships"): "guardianship.change",
    ("POST", "/console/people/{person_id}/guardianships/{guardianship_id}/end"): "guardianship.change",
    ("GET", "/console/people/{person_id}/slip"): "link.hand_out",
    ("POST", "/console/people/{person_id}/resident-link/rotate"): "link.rotate",
    ("GET", "/console/people/{person_id}/passes/{serial}/revoke"): "pass.revoke",
    ("POST", "/console/people/{person_id}/passes/{serial}/revoke"): "pass.revoke",
    ("POST", "/console/people/{person_id}/passes/{serial}/reissue"): "pass.reissue",
    ("GET", "/console/people/{person_id}/passes/{serial}/card.pdf"): "pass.qr",
    ("GET", "/console/sites"): "site.list",
    ("POST", "/console/sites"): "site.create",
    ("GET", "/console/sites/{code}"): "site.read",
    ("GET", "/console/sites/{code}/edit"): "site.update",
    ("POST", "/console/sites/{code}/edit"): "site.update",
    ("POST", "/console/sites/{code}/enrolments"): "enrolment.create",
    ("GET", "/console/sites/{code}/resumption"): "resumption.list",
    ("POST", "/console/sites/{code}/resumption"): "resumption.apply",
    ("GET", "/console/resumptions"): "resumption.list",
    ("GET", "/console/resumptions/{resumption_id}"): "resumption.list",
    ("POST", "/console/resumptions/{resumption_id}/decision"): "resumption.decide",
    ("POST", "/console/resumptions/{resumption_id}/withdrawal"): "resumption.withdraw",
    ("POST", "/console/devices/{device_id}/disable"): "device.disable",
    ("GET", "/console/entries"): "entries.list",
    ("GET", "/console/handovers"): "handover.list",
    ("GET", "/console/handovers/{handover_id}"): "handover.list",
    ("POST", "/console/handovers/{handover_id}/steps"): "handover.step",
    ("POST", "/console/major-events/{event_id}/acknowledge"): "major_event.ack",
    ("GET", "/console/webhooks"): "webhook.list",
    ("POST", "/console/webhooks"): "webhook.change",
    ("POST", "/console/webhook-deliveries/{delivery_id}/retry"): "webhook.change",
    ("GET", "/console/alerts"): "alerts.list",
    ("POST", "/console/alerts/{alert_id}/handled"): "alerts.handle",
    ("GET", "/console/today"): "today.read",
    ("GET", "/console/desk"): "desk.lookup",
    ("POST", "/console/desk"): "desk.lookup",  # the number in the form body: never in a URL or a log
    ("GET", "/console/audit"): "audit.list",
    ("GET", "/console/dashboard"): "report.daily",
    ("GET", "/console/keys"): "keys.list",
    ("GET", "/console/keys/{kid}/withdraw"): "keys.withdraw",
    ("POST", "/console/keys/{kid}/withdraw"): "keys.withdraw",
    ("GET", "/console/reissue/{job_id}"): "keys.list",
    ("GET", "/console/reprints"): "cards.reprint",
    ("POST", "/console/reprints/cards.pdf"): "cards.reprint",
    ("GET", "/console/dashboard.csv"): "report.daily",
    ("GET", "/console/key-areas"): "key_area.list",
    ("POST", "/console/key-areas"): "key_area.change",
    ("POST", "/console/key-areas/{prefix}/end"): "key_area.change",
    ("POST", "/console/key-areas/{prefix}/remove"): "key_area.change",
}


def action_for(method: str, canonical: str) -> str | None:
    """The matrix entry of a route (HEAD is GET), or None: no entry means refused."""
    return ROUTES.get(("GET" if method == "HEAD" else method, canonical))


def may(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


@dataclass(frozen=True, slots=True)
class Scope:
    """What a registrar's or viewer's account or token reaches; `city` is everything."""

    entries: frozenset[tuple[str, str]] = frozenset()
    city: bool = False

    @classmethod
    def parse(cls, text: str | Iterable[str] | None) -> Scope:
        """`city`, or comma-separated `kind:CODE` (kind: community, employer, school, site, class;
        a class is `class:SCHOOL/CLASS`)."""
        items = [text] if isinstance(text, str) or text is None else list(text)
        parts = [p.strip() for item in items for p in (item or "").replace("，", ",").split(",") if p.strip()]
        if not parts:
            raise ValueError("a scope is required: city, or community:CODE, employer:CODE, school:CODE, "
                             "site:CODE, class:SCHOOL/CLASS (comma-separated)")
        if CITY in parts:
            if len(parts) > 1:
                raise ValueError("city already reaches everything: give it alone")
            return cls(city=True)
        entries = set()
        for part in parts:
            kind, sep, code = part.partition(":")
            code = code.strip()
            if not sep or kind.strip() not in SCOPE_KINDS or not code or len(code) > 64 \
                    or not code.isprintable():
                raise ValueError(f"scope entry {part[:80]!r} is not kind:CODE with kind one of "
                                 f"{', '.join(SCOPE_KINDS)}")
            if kind.strip() == "class":
                school, slash, klass = code.partition("/")
                if not slash or not _CODE.fullmatch(school) or not _CODE.fullmatch(klass):
                    raise ValueError(f"scope entry {part[:80]!r} is not class:SCHOOL/CLASS (two codes: "
                                     "letters, digits, . _ -)")
            entries.add((kind.strip(), code))
        if len(entries) > MAX_SCOPE_ENTRIES:
            raise ValueError(f"a scope has at most {MAX_SCOPE_ENTRIES} entries")
        return cls(frozenset(entries))

    def text(self) -> str:
        return CITY if self.city else ",".join(f"{k}:{c}" for k, c in sorted(self.entries))

    def codes(self, kind: str) -> frozenset[str]:
        return frozenset(c for k, c in self.entries if k == kind)

    def __str__(self) -> str:
        return self.text()


CITY_SCOPE = Scope(city=True)


@dataclass(frozen=True, slots=True)
class Reach:
    """A scope resolved against the sites' policies: the affiliations and sites it covers."""

    everything: bool
    communities: frozenset[str] = frozenset()
    employers: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()  # "SCHOOL/CLASS"

    def covers_person(self, community: str | None, employer: str | None, school: str | None,
                      school_class: str | None = None) -> bool:
        return self.everything or community in self.communities or employer in self.employers \
            or school in self.schools \
            or (school is not None and school_class is not None and f"{school}/{school_class}" in self.classes)

    def covers_class(self, school: str, school_class: str) -> bool:
        """The whole class: everything, its school, or the class itself."""
        return self.everything or school in self.schools or f"{school}/{school_class}" in self.classes

    def covers_site(self, code: str | None) -> bool:
        return self.everything or code in self.sites

    def site_list(self) -> list[str] | None:
        """For SQL filters: None = every site; else the site codes (maybe none)."""
        return None if self.everything else sorted(self.sites)


EVERYTHING = Reach(everything=True)


def resolve(scope: Scope, sites: Iterable[tuple[str, str]]) -> Reach:
    """Resolve a scope with every site's (code, policy JSON)."""
    if scope.city:
        return EVERYTHING
    communities, employers, schools = (set(scope.codes(k)) for k in ("community", "employer", "school"))
    own_sites = scope.codes("site")
    reached: set[str] = set()
    admitted: dict[str, set[str]] = {"communities": set(), "employers": set(), "schools": set()}
    for code, policy_text in sites:
        try:
            policy = json.loads(policy_text)
        except ValueError:
            policy = {}
        lists = {k: set(policy.get(k) or ()) for k in admitted}
        if code in own_sites:
            reached.add(code)
            for key, values in lists.items():
                admitted[key] |= values
        elif lists["communities"] & communities or lists["employers"] & employers \
                or lists["schools"] & schools:
            reached.add(code)
    return Reach(False, frozenset(communities | admitted["communities"]),
                 frozenset(employers | admitted["employers"]), frozenset(schools | admitted["schools"]),
                 frozenset(reached), scope.codes("class"))
