"""Site policies: who may enter a site, from when, and under which health rules."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .documents import open_document, sign_document
from .errors import DocumentError, PolicyError
from .holder import DEFAULT_MAX_AGE, DEFAULT_MAX_AHEAD
from .keystore import IssuerKey
from .trust import TrustSet

DEFAULT_FEVER = 37.3
DEFAULT_MAX_DATA_AGE = 24 * 3600
DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_CODES = 1000
MAX_CODE_LEN = 64


class HolderBinding(StrEnum):
    """How a site treats static passes (QG1) now that phones can show holder-bound codes (QG2)."""

    OFF = "off"              # static passes admitted as before
    PREFERRED = "preferred"  # admitted, but the guard is told to check the ID card
    REQUIRED = "required"    # static passes denied `binding_required`


class Direction(StrEnum):
    """Which way a gate's entries go: passback and the shared-pass alert look only at entries in."""

    IN = "in"
    OUT = "out"
    BOTH = "both"  # one gate for both ways: every scan counts as going in


DIRECTIONS = tuple(d.value for d in Direction)


class SiteKind(StrEnum):
    COMMUNITY = "community"
    FACTORY = "factory"
    CONSTRUCTION_SITE = "construction_site"
    SCHOOL = "school"
    CHECKPOINT = "checkpoint"


@dataclass(frozen=True, slots=True)
class SitePolicy:
    kind: SiteKind
    site: str
    communities: tuple[str, ...] = ()
    employers: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    visitors: bool = False
    open_from: datetime | None = None  # aware
    require_cleared: bool = False
    fever_threshold: float = DEFAULT_FEVER
    max_data_age: int = DEFAULT_MAX_DATA_AGE
    timezone: str = DEFAULT_TIMEZONE
    allow_reentry: bool = False
    passback_minutes: int = 5
    holder_binding: HolderBinding = HolderBinding.PREFERRED
    code_max_age: int = DEFAULT_MAX_AGE      # a QG2 code is accepted from gate time - this ...
    code_max_ahead: int = DEFAULT_MAX_AHEAD  # ... to gate time + this
    require_temperature: bool = False  # 每人必测: no reading, no entry (default for checkpoints and schools)
    fever_hold_minutes: int = 240  # after a fever denial the same pass needs a new reading for this long
    # 复工审批: a firm may not resume before its approval; until then the gate says site_closed
    # whatever open_from says. Both are written only when required (older gates keep reading the rest).
    resumption_required: bool = False
    resumption_approved: bool = False
    tz: ZoneInfo = field(init=False, repr=False, compare=False)
    # max_data_age as the timedelta decide compares with: made once per policy, not per decision
    data_age_limit: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.timezone))
        object.__setattr__(self, "data_age_limit", timedelta(seconds=self.max_data_age))

    @property
    def open_to_anyone(self) -> bool:
        """No affiliation list at all: a checkpoint that admits every valid pass."""
        return not (self.communities or self.employers or self.schools)

    @classmethod
    def from_json(cls, obj: object) -> SitePolicy:
        """Validate the JSON form; raise PolicyError naming the first bad field."""
        if not isinstance(obj, dict):
            raise PolicyError("policy", "must be a JSON object")
        known = {"kind", "site", "communities", "employers", "schools", "visitors", "open_from",
                 "require_cleared", "fever_threshold", "max_data_age", "timezone",
                 "allow_reentry", "passback_minutes", "holder_binding", "code_max_age",
                 "code_max_ahead", "require_temperature", "fever_hold_minutes", "resumption_required",
                 "resumption_approved"}
        for key in obj:
            if key not in known:
                raise PolicyError(str(key)[:40], "is not a policy field")
        try:
            kind = SiteKind(str(obj.get("kind")))
        except ValueError:
            raise PolicyError("kind", f"must be one of {', '.join(k.value for k in SiteKind)}") from None
        site = _code(obj.get("site"), "site")
        tzname = obj.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(tzname, str) or len(tzname) > 64:
            raise PolicyError("timezone", "must be an IANA time zone name")
        try:
            tz = ZoneInfo(tzname)
        except (ZoneInfoNotFoundError, ValueError):
            raise PolicyError("timezone", f"unknown time zone {tzname!r}") from None
        open_from = obj.get("open_from")
        if open_from is not None:
            if not isinstance(open_from, str):
                raise PolicyError("open_from", "must be an ISO 8601 date or date-time")
            try:
                moment = datetime.fromisoformat(open_from)
            except ValueError:
                raise PolicyError("open_from", "must be an ISO 8601 date or date-time") from None
            open_from = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        fever = obj.get("fever_threshold", DEFAULT_FEVER)
        if isinstance(fever, bool) or not isinstance(fever, int | float) or not math.isfinite(fever) \
                or not 35.0 <= fever <= 42.0:
            raise PolicyError("fever_threshold", "must be a temperature between 35.0 and 42.0 °C")
        max_age = obj.get("max_data_age", DEFAULT_MAX_DATA_AGE)
        if isinstance(max_age, bool) or not isinstance(max_age, int) or not 60 <= max_age <= 30 * 86400:
            raise PolicyError("max_data_age", "must be whole seconds between 60 and 2592000")
        passback = obj.get("passback_minutes", 5)
        if isinstance(passback, bool) or not isinstance(passback, int) or not 0 <= passback <= 1440:
            raise PolicyError("passback_minutes", "must be whole minutes between 0 and 1440")
        try:
            binding = HolderBinding(obj.get("holder_binding", HolderBinding.PREFERRED.value))
        except ValueError:
            raise PolicyError("holder_binding",
                              f"must be one of {', '.join(b.value for b in HolderBinding)}") from None
        window = {name: obj.get(name, default) for name, default in
                  (("code_max_age", DEFAULT_MAX_AGE), ("code_max_ahead", DEFAULT_MAX_AHEAD))}
        for name, value in window.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3600:
                raise PolicyError(name, "must be whole seconds between 0 and 3600")
        hold = obj.get("fever_hold_minutes", 240)
        if isinstance(hold, bool) or not isinstance(hold, int) or not 0 <= hold <= 7 * 1440:
            raise PolicyError("fever_hold_minutes", "must be whole minutes between 0 and 10080")
        return cls(
            kind=kind,
            site=site,
            communities=_codes(obj, "communities"),
            employers=_codes(obj, "employers"),
            schools=_codes(obj, "schools"),
            visitors=_bool(obj, "visitors", False),
            open_from=open_from,
            require_cleared=_bool(obj, "require_cleared", kind is SiteKind.SCHOOL),
            fever_threshold=float(fever),
            max_data_age=max_age,
            timezone=tzname,
            allow_reentry=_bool(obj, "allow_reentry", False),
            passback_minutes=passback,
            holder_binding=binding,
            code_max_age=window["code_max_age"],
            code_max_ahead=window["code_max_ahead"],
            require_temperature=_bool(obj, "require_temperature",
                                      kind in (SiteKind.CHECKPOINT, SiteKind.SCHOOL)),
            fever_hold_minutes=hold,
            resumption_required=_bool(obj, "resumption_required", False),
            resumption_approved=_bool(obj, "resumption_approved", False),
        )

    @property
    def awaiting_approval(self) -> bool:
        """The site must have its resumption approved and has not: closed, whatever open_from says."""
        return self.resumption_required and not self.resumption_approved

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "site": self.site,
            "communities": list(self.communities),
            "employers": list(self.employers),
            "schools": list(self.schools),
            "visitors": self.visitors,
            "open_from": self.open_from.isoformat() if self.open_from else None,
            "require_cleared": self.require_cleared,
            "fever_threshold": self.fever_threshold,
            "max_data_age": self.max_data_age,
            "timezone": self.timezone,
            "allow_reentry": self.allow_reentry,
            "passback_minutes": self.passback_minutes,
            "holder_binding": self.holder_binding.value,
            "code_max_age": self.code_max_age,
            "code_max_ahead": self.code_max_ahead,
            "require_temperature": self.require_temperature,
            "fever_hold_minutes": self.fever_hold_minutes,
        }
        if self.resumption_required or self.resumption_approved:
            # absent means "no approval required": a policy without them reads as before, and a gate
            # from before approvals still reads every policy that does not need one
            out["resumption_required"] = self.resumption_required
            out["resumption_approved"] = self.resumption_approved
        return out


def _code(value: object, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_CODE_LEN or not value.isprintable():
        raise PolicyError(name, f"must be a non-empty code of at most {MAX_CODE_LEN} printable characters")
    return value


def _codes(obj: dict[str, Any], name: str) -> tuple[str, ...]:
    value = obj.get(name, [])
    if not isinstance(value, list) or len(value) > MAX_CODES:
        raise PolicyError(name, f"must be a list of at most {MAX_CODES} codes")
    return tuple(_code(v, name) for v in value)


def _bool(obj: dict[str, Any], name: str, default: bool) -> bool:
    value = obj.get(name, default)
    if not isinstance(value, bool):
        raise PolicyError(name, "must be true or false")
    return value


POLICY_DOC_TYPE = "qrgate/site-policy"


def sign_policy(key: IssuerKey, policy: SitePolicy, *, issued_at: datetime) -> bytes:
    """The policy's JSON form, signed (COSE_Sign1) so that a gate can trust it offline."""
    return sign_document(key, POLICY_DOC_TYPE, policy.to_json(), issued_at=issued_at)


def load_policy(doc: bytes, trust: TrustSet) -> SitePolicy:
    """Verify a signed policy; raise DocumentError."""
    opened = open_document(doc, trust, POLICY_DOC_TYPE)
    try:
        return SitePolicy.from_json(opened.body)
    except PolicyError as exc:
        raise DocumentError(f"site policy: {exc}") from None
