"""JWKS round trip and refusals; site policy validation; the 14-day window at local midnight."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys import (DocumentError, IssuerKey, PassClaims, PolicyError, Reason, SiteKind, SitePolicy, TrustSet,
                  decide, issue_pass, load_policy, sign_policy)
from keys.documents import sign_document
from keys.policy import POLICY_DOC_TYPE
from keys.trust import b64url

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_jwks_round_trip() -> None:
    keys = [IssuerKey.generate().public_key for _ in range(3)]
    trust = TrustSet.of(*keys)
    again = TrustSet.from_jwks(json.loads(json.dumps(trust.to_jwks())))
    assert set(again) == set(trust) and len(again) == 3
    assert again.to_jwks() == trust.to_jwks()


def _jwk(**over: Any) -> dict[str, Any]:
    key = IssuerKey.generate().public_key
    jwk = TrustSet.of(key).to_jwks()["keys"][0]
    jwk.update(over)
    return jwk


@pytest.mark.parametrize(("jwks", "message"), [
    ([], "'keys' list"),
    ({"keys": {}}, "'keys' list"),
    ({"keys": ["x"]}, r"keys\[0\] is not an OKP"),
    ({"keys": [_jwk(kty="EC")]}, "not an OKP"),
    ({"keys": [_jwk(crv="X25519")]}, "not an OKP"),
    ({"keys": [_jwk(x=b64url(b"\x01" * 31))]}, "32-byte"),
    ({"keys": [_jwk(x=123)]}, "32-byte"),
    ({"keys": [_jwk(x=None)]}, "32-byte"),
    ({"keys": [_jwk(), _jwk(kid=b64url(b"\x00" * 8))]}, r"keys\[1\].kid does not match"),
    ({"keys": [_jwk()] * 257}, "more than 256"),
])
def test_bad_jwks_is_refused(jwks: object, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        TrustSet.from_jwks(jwks)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
                           lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(st.dictionaries(st.sampled_from(["keys", "kty", "crv", "x", "kid"]) | st.text(max_size=5),
                       json_values, max_size=4)
       | st.fixed_dictionaries({"keys": st.lists(st.dictionaries(
           st.sampled_from(["kty", "crv", "x", "kid"]), st.sampled_from(["OKP", "Ed25519", "AAAA", ""])
           | st.text(max_size=60), max_size=4), max_size=3)}))
def test_any_jwks_gives_a_trust_set_or_document_error(jwks: object) -> None:
    try:
        TrustSet.from_jwks(jwks)
    except DocumentError:
        pass


# --- site policies -------------------------------------------------------------------------------

def test_policy_defaults_and_round_trip() -> None:
    policy = SitePolicy.from_json({"kind": "factory", "site": "KS-F0042", "employers": ["KS-F0042"],
                                   "open_from": "2020-02-10"})
    assert policy.kind is SiteKind.FACTORY and policy.fever_threshold == 37.3
    assert policy.max_data_age == 86400 and policy.timezone == "Asia/Shanghai" and not policy.visitors
    assert policy.open_from == datetime(2020, 2, 10, tzinfo=SHANGHAI)
    assert not policy.require_cleared
    assert SitePolicy.from_json(policy.to_json()) == policy
    assert SitePolicy.from_json({"kind": "school", "site": "S"}).require_cleared, "schools require clearance"


@pytest.mark.parametrize(("patch", "field"), [
    ({"kind": "pub"}, "kind"),
    ({"kind": None}, "kind"),
    ({"site": ""}, "site"),
    ({"site": 42}, "site"),
    ({"site": "a\nb"}, "site"),
    ({"communities": "KS-C0012"}, "communities"),
    ({"communities": [1]}, "communities"),
    ({"employers": [""]}, "employers"),
    ({"schools": ["x" * 65]}, "schools"),
    ({"visitors": "yes"}, "visitors"),
    ({"open_from": "next monday"}, "open_from"),
    ({"open_from": 1581264000}, "open_from"),
    ({"require_cleared": 1}, "require_cleared"),
    ({"fever_threshold": "37.3"}, "fever_threshold"),
    ({"fever_threshold": 99}, "fever_threshold"),
    ({"fever_threshold": float("nan")}, "fever_threshold"),
    ({"fever_threshold": True}, "fever_threshold"),
    ({"max_data_age": 10}, "max_data_age"),
    ({"max_data_age": 3600.5}, "max_data_age"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": 8}, "timezone"),
    ({"allow_reentry": None}, "allow_reentry"),
    ({"passback_minutes": -1}, "passback_minutes"),
    ({"colour": "green"}, "colour"),
])
def test_policy_errors_name_the_field(patch: dict[str, Any], field: str) -> None:
    obj = {"kind": "community", "site": "KS-C0012", **patch}
    with pytest.raises(PolicyError) as info:
        SitePolicy.from_json(obj)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_policy_missing_site_and_not_an_object() -> None:
    with pytest.raises(PolicyError, match="^site: "):
        SitePolicy.from_json({"kind": "community"})
    with pytest.raises(PolicyError, match="^policy: "):
        SitePolicy.from_json(["kind", "community"])


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(st.dictionaries(st.sampled_from(["kind", "site", "communities", "employers", "schools", "visitors",
                                        "open_from", "require_cleared", "fever_threshold", "max_data_age",
                                        "timezone", "allow_reentry", "passback_minutes", "holder_binding",
                                        "code_max_age", "code_max_ahead"]),
                       json_values, max_size=8))
def test_any_policy_json_gives_a_policy_or_policy_error(obj: dict[str, Any]) -> None:
    try:
        policy = SitePolicy.from_json(obj)
    except PolicyError as exc:
        assert exc.field
        return
    assert SitePolicy.from_json(policy.to_json()) == policy


def test_signed_policy(issuer_key: IssuerKey, trust: TrustSet) -> None:
    policy = SitePolicy.from_json({"kind": "school", "site": "KS-S0007", "schools": ["KS-S0007"]})
    doc = sign_policy(issuer_key, policy, issued_at=datetime(2020, 2, 1, tzinfo=UTC))
    assert load_policy(doc, trust) == policy
    with pytest.raises(DocumentError, match="unknown key"):
        load_policy(doc, TrustSet.of(IssuerKey.generate().public_key))
    tampered = doc.replace(b"KS-S0007", b"KS-S0008", 1)
    with pytest.raises(DocumentError, match="bad signature"):
        load_policy(tampered, trust)
    bad = sign_document(issuer_key, POLICY_DOC_TYPE, {"kind": "school"}, issued_at=datetime(2020, 2, 1, tzinfo=UTC))
    with pytest.raises(DocumentError, match="site: "):
        load_policy(bad, trust)


def test_document_time_beyond_datetime_is_a_document_error(issuer_key: IssuerKey, trust: TrustSet) -> None:
    import cbor2

    from keys import cose
    payload = cbor2.dumps({1: POLICY_DOC_TYPE, 2: 2**39, 3: {}})
    protected = cose.encode_protected(issuer_key.kid)
    doc = cose.assemble(protected, payload, issuer_key.sign(cose.sig_structure(protected, payload)))
    with pytest.raises(DocumentError, match="issued-at"):
        load_policy(doc, trust)


# --- the 14-day window ---------------------------------------------------------------------------

@pytest.mark.parametrize("tzname", ["Asia/Shanghai", "Europe/Berlin", "America/Los_Angeles"])
def test_quarantine_ends_exactly_at_local_midnight(issuer_key: IssuerKey, trust: TrustSet, tzname: str) -> None:
    tz = ZoneInfo(tzname)
    policy = SitePolicy.from_json({"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"],
                                   "timezone": tzname})
    arrival = date(2020, 2, 1)
    holder = PassClaims(name="李娜", document="5678", community="KS-C0012",
                        quarantine_end=arrival + timedelta(days=14))
    qr = issue_pass(issuer_key, holder, now=datetime(2020, 2, 1, tzinfo=UTC), valid_for=timedelta(days=30)).qr_text
    midnight = datetime(2020, 2, 15, 0, 0, tzinfo=tz)
    day13 = decide(qr, trust, None, policy, now=datetime(2020, 2, 14, 12, 0, tzinfo=tz))
    assert day13.reason is Reason.QUARANTINE and day13.quarantine_end == date(2020, 2, 15)
    assert "2月15日" in day13.labels()[0]
    before = decide(qr, trust, None, policy, now=midnight - timedelta(seconds=1))
    at = decide(qr, trust, None, policy, now=midnight)
    assert (before.reason, at.reason) == (Reason.QUARANTINE, Reason.OK)
    # the same instant written in UTC decides the same
    assert decide(qr, trust, None, policy, now=midnight.astimezone(UTC)).allowed
    assert not decide(qr, trust, None, policy, now=(midnight - timedelta(seconds=1)).astimezone(UTC)).allowed
