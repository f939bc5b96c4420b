"""The one decision made at the gate. Pure: the caller passes the time; untrusted input never raises.

Check order (docs/pass-format.md, "Check order"):
 1 unreadable     not `QG1:` + Base45 + the one encoding of a COSE_Sign1 {EdDSA, 8-byte kid}, or over 4,096 chars
                  (or not a well-formed `QG2:` code around such a pass)
 2 stale_data     the gate's revocation list was last known current (`current_at`: signed, or vouched by
                  the gateway's signed time) longer ago than the policy's max_data_age, or dated more
                  than the clock leeway after `now` (the gate's clock is behind: it cannot tell the time)
 3 key_withdrawn  kid is one the trust set names as withdrawn
   unknown_key    kid not in the trust set (never trusted, or a retired key past its trusted-until)
 4 bad_signature  Ed25519 signature does not verify
 5 unreadable     signed, but the claims are not a v1 pass (QG1 without `cnf`, QG2 with it)
 5a bad_holder_signature  QG2: the holder signature does not verify with the key in `cnf`
 5b code_expired / code_not_yet_valid  QG2: code time outside [now - code_max_age, now + code_max_ahead]
 5c code_replayed QG2: this code was already admitted at this gate (`seen`)
 5d binding_required  a static pass at a site whose holder_binding is `required`
 6 revoked        serial is on the revocation list
 7 not_yet_valid  now < nbf (60 s leeway for clock skew)
 8 expired        now >= exp
 9 site_closed    the policy requires a resumption approval it does not have, or now < policy.open_from
10 wrong_site     no affiliation matches the site's lists and visitors are not allowed
11 status_red / status_yellow
12 quarantine     now < 00:00 of quarantine_end in the site's time zone
13 not_cleared    the site requires clearance by medical observation
14 temperature_required  the policy requires a reading and none was given
15 fever          temperature >= policy.fever_threshold
16 ok
"""

from __future__ import annotations

import binascii
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from . import base45, cose
from . import holder as qg2
from .passes import MAX_QR_TEXT, PREFIX, PassClaims, Status, VerifiedPass, parse_claims
from .policy import DEFAULT_MAX_DATA_AGE, HolderBinding, SitePolicy
from .reasons import STATIC_PASS_NOTICE, Reason, label
from .revocations import RevocationList
from .trust import TrustSet

CLOCK_LEEWAY = timedelta(seconds=60)
DEFAULT_DATA_AGE_LIMIT = timedelta(seconds=DEFAULT_MAX_DATA_AGE)  # without a policy
# what a keyboard-wedge scanner types after a code (its "suffix" setting): one of these, once
WEDGE_SUFFIXES = ("\r\n", "\n", "\r", "\t")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: Reason
    serial: bytes | None = None
    holder: PassClaims | None = None
    expires_at: datetime | None = None
    code_id: bytes | None = None  # QG2: what the gate remembers so the same code is not admitted twice
    check_id: bool = False        # a static pass where the site prefers holder-bound codes

    @property
    def bound(self) -> bool:
        """Read from a live, holder-signed QG2 code (the holder signature was checked)."""
        return self.code_id is not None

    @property
    def decision(self) -> str:
        return "allow" if self.allowed else "deny"

    @property
    def cannot_verify(self) -> bool:
        """The gate cannot tell: neither a yes nor a no about the person."""
        return self.reason is Reason.STALE_DATA

    @property
    def quarantine_end(self) -> date | None:
        return self.holder.quarantine_end if self.holder else None

    def labels(self) -> tuple[str, str]:
        return label(self.reason, until=self.quarantine_end if self.reason is Reason.QUARANTINE else None)

    def notice(self) -> tuple[str, str] | None:
        """A second line for the guard on an allow: check the ID card of a static pass."""
        return STATIC_PASS_NOTICE if self.check_id and self.allowed else None

    def to_json(self) -> dict[str, Any]:
        zh, en = self.labels()
        notice = self.notice()
        return {
            "decision": self.decision,
            "reason": self.reason.value,
            "message": {"zh": zh, "en": en},
            "serial": self.serial.hex() if self.serial else None,
            "holder": self.holder.to_json() if self.holder else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "bound": self.bound,
            "notice": {"zh": notice[0], "en": notice[1]} if notice else None,
        }


def _deny(reason: Reason, verified: VerifiedPass | None = None) -> Decision:
    if verified is None:
        return Decision(False, reason)
    return Decision(False, reason, verified.serial, verified.holder, verified.expires_at)


def _read_sign1(qr_text: str | bytes) -> cose.Sign1 | qg2.Code | None:
    if isinstance(qr_text, bytes):
        if len(qr_text) > MAX_QR_TEXT:
            return None
        try:
            qr_text = qr_text.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(qr_text, str) or len(qr_text) > MAX_QR_TEXT:
        return None
    qr_text = strip_wedge_suffix(qr_text)
    if qr_text.startswith(qg2.PREFIX):
        return qg2.read_code(qr_text)
    if not qr_text.startswith(PREFIX):
        return None
    try:
        return cose.parse_pass(base45.decode(qr_text[len(PREFIX):]))
    except (ValueError, binascii.Error):
        return None


def strip_wedge_suffix(text: str) -> str:
    """Remove the one line end or tab a keyboard-wedge scanner may type after a code; nothing else."""
    if not text.endswith(WEDGE_SUFFIXES):  # the common case, one C call
        return text
    for suffix in WEDGE_SUFFIXES:
        if text.endswith(suffix):
            return text[:-len(suffix)]
    return text


def local_midnight(day: date, policy: SitePolicy | None) -> datetime:
    return _midnight(day, policy.tz if policy is not None else UTC)


@lru_cache(maxsize=4096)
def _midnight(day: date, tz: tzinfo) -> datetime:
    # the same instant in UTC: comparing with it needs no time-zone rule look-up on every decision
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _matches_site(holder: PassClaims, policy: SitePolicy) -> bool:
    if policy.open_to_anyone or policy.visitors:
        return True
    return (holder.community in policy.communities or holder.employer in policy.employers
            or holder.school in policy.schools)


def decide(qr_text: str | bytes, trust: TrustSet, revocations: RevocationList | None,
           policy: SitePolicy | None, *, now: datetime, temperature: float | None = None,
           seen: Container[bytes] = ()) -> Decision:
    """Decide whether the holder of `qr_text` may enter the site of `policy` at `now`.

    `revocations=None` skips the revocation and freshness checks (for a desk check,
    never at a gate); `policy=None` skips the site rules. `seen`: the `code_id`s of the QG2
    codes this gate admitted within their window (a gate admits one code once).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    read = _read_sign1(qr_text)
    if read is None:
        return _deny(Reason.UNREADABLE)
    code = read if isinstance(read, qg2.Code) else None
    sign1 = read.sign1 if isinstance(read, qg2.Code) else read
    if revocations is not None:
        limit = policy.data_age_limit if policy is not None else DEFAULT_DATA_AGE_LIMIT
        age = now - revocations.current_at
        if age > limit or age < -CLOCK_LEEWAY:
            return _deny(Reason.STALE_DATA)
    key = trust.trusted_raw(sign1.kid, now)
    if key is None:
        return _deny(Reason.KEY_WITHDRAWN if sign1.kid in trust.withdrawn else Reason.UNKNOWN_KEY)
    if not sign1.verify_raw(key):
        return _deny(Reason.BAD_SIGNATURE)
    try:
        verified = parse_claims(sign1.payload, bound=code is not None)
    except Exception:  # signed by us but not a v1 pass: cbor2 and our checks raise many types
        return _deny(Reason.UNREADABLE)
    if code is not None:
        refused = _check_code(code, verified, policy, now, seen)
        if refused is not None:
            return _deny(refused, verified)
    elif policy is not None and policy.holder_binding is HolderBinding.REQUIRED:
        return _deny(Reason.BINDING_REQUIRED, verified)
    if revocations is not None and verified.serial in revocations:
        return _deny(Reason.REVOKED, verified)
    if now + CLOCK_LEEWAY < verified.not_before:
        return _deny(Reason.NOT_YET_VALID, verified)
    if now >= verified.expires_at:
        return _deny(Reason.EXPIRED, verified)
    holder = verified.holder
    if policy is not None:
        if policy.awaiting_approval or (policy.open_from is not None and now < policy.open_from):
            return _deny(Reason.SITE_CLOSED, verified)
        if not _matches_site(holder, policy):
            return _deny(Reason.WRONG_SITE, verified)
    if holder.status is Status.RED:
        return _deny(Reason.STATUS_RED, verified)
    if holder.status is Status.YELLOW:
        return _deny(Reason.STATUS_YELLOW, verified)
    if holder.quarantine_end is not None and now < local_midnight(holder.quarantine_end, policy):
        return _deny(Reason.QUARANTINE, verified)
    if policy is not None and policy.require_cleared and not holder.cleared:
        return _deny(Reason.NOT_CLEARED, verified)
    if temperature is None and policy is not None and policy.require_temperature:
        return _deny(Reason.TEMPERATURE_REQUIRED, verified)
    if temperature is not None:
        threshold = policy.fever_threshold if policy is not None else 37.3
        # NaN or an impossible reading must not admit anyone: treat it as a fever to re-measure
        if not 30.0 <= temperature < threshold:
            return _deny(Reason.FEVER, verified)
    check_id = code is None and policy is not None and policy.holder_binding is HolderBinding.PREFERRED
    return Decision(True, Reason.OK, verified.serial, holder, verified.expires_at,
                    code.code_id if code is not None else None, check_id)


def _check_code(code: qg2.Code, verified: VerifiedPass, policy: SitePolicy | None, now: datetime,
                seen: Container[bytes]) -> Reason | None:
    """Holder signature, then the code's time against the gate's, then replay at this gate."""
    assert verified.holder_key is not None  # parse_claims(bound=True) guarantees it
    if not verified.holder_key.verify(code.signature, qg2.signing_input(code.pass_bytes, code.time)):
        return Reason.BAD_HOLDER_SIGNATURE
    max_age = policy.code_max_age if policy is not None else qg2.DEFAULT_MAX_AGE
    max_ahead = policy.code_max_ahead if policy is not None else qg2.DEFAULT_MAX_AHEAD
    age = qg2.code_age(code, now)
    if age > max_age:
        return Reason.CODE_EXPIRED
    if age < -max_ahead:
        return Reason.CODE_NOT_YET_VALID
    if code.code_id in seen:
        return Reason.CODE_REPLAYED
    return None
