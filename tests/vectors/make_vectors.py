"""Generate the qrgate test vectors: fixed keys, passes, policies, revocation lists and cases.json.

Run from the repository root:  .venv/bin/python tests/vectors/make_vectors.py [OUTDIR]
Everything is derived from fixed seeds and fixed times, and Ed25519 is deterministic, so a
second run writes identical bytes (tests/keys/test_vectors.py checks this).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keys import HolderAlg, HolderKey, IssuerKey, PassClaims, SitePolicy, Status, TrustSet, issue_pass
from keys import base45, cose, sign_policy
from keys import holder as qg2
from keys.chain import GENESIS, entry_hash
from keys.passes import PREFIX
from keys.revocations import sign_revocations

HERE = Path(__file__).resolve().parent
CST = timezone(timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991
ISSUED = datetime(2020, 2, 10, 8, 0, tzinfo=CST)
VALID_FOR = timedelta(days=30)
REVOCATIONS_AT = datetime(2020, 2, 15, 6, 0, tzinfo=CST)
RETIRED_UNTIL = datetime(2020, 2, 12, 8, 0, tzinfo=CST)
ONE_MB = 1 << 20


def _seeded_key(label: str) -> IssuerKey:
    # a fixed seed: these keys are public test material and must never sign a real pass
    return IssuerKey.from_private_bytes(hashlib.sha256(f"qrgate test vector key: {label}".encode()).digest())


KEY_A = _seeded_key("A")          # the signing key of jwks.json
KEY_B = _seeded_key("B")          # A's successor after rotation
KEY_STRANGER = _seeded_key("Z")   # never in any JWKS


class _Phone:
    """A holder key as a phone keeps it; deterministic signatures (Ed25519, RFC 6979 ECDSA)."""

    def __init__(self, label: str, alg: HolderAlg) -> None:
        seed = hashlib.sha256(f"qrgate test vector holder key: {label}".encode()).digest()
        self.alg = alg
        if alg is HolderAlg.ED25519:
            self._ed = Ed25519PrivateKey.from_private_bytes(seed)
            raw = self._ed.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        else:
            self._ec = ec.derive_private_key(int.from_bytes(seed, "big") % (1 << 255) + 1, ec.SECP256R1())
            raw = self._ec.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.public = HolderKey.from_raw(alg.value, raw)

    def sign(self, message: bytes) -> bytes:
        if self.alg is HolderAlg.ED25519:
            return self._ed.sign(message)
        der = self._ec.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")  # WebCrypto's form


PHONE_ED = _Phone("Ed25519", HolderAlg.ED25519)
PHONE_P256 = _Phone("P-256", HolderAlg.ES256)
PHONE_OTHER = _Phone("someone else", HolderAlg.ED25519)


def _serial(name: str) -> bytes:
    return hashlib.sha256(f"qrgate test vector serial: {name}".encode()).digest()[:12]


def _pass(name: str, claims: PassClaims, *, key: IssuerKey = KEY_A, issued: datetime = ISSUED) -> str:
    return issue_pass(key, claims, now=issued, valid_for=VALID_FOR, serial=_serial(name)).qr_text


def _bound(name: str, claims: PassClaims, phone: _Phone, *, key: IssuerKey = KEY_A) -> str:
    """A holder-bound pass: Base45 of its COSE_Sign1, never a QR on its own."""
    return issue_pass(key, claims, now=ISSUED, valid_for=VALID_FOR, serial=_serial(name),
                      holder_key=phone.public).qr_text


def _code(pass_text: str, at: str, phone: _Phone, *, offset: int = 0) -> str:
    """The phone's code for `at` + offset seconds."""
    return qg2.make_code(pass_text, int(datetime.fromisoformat(at).timestamp()) + offset, phone.sign)


def _code_id(code: str) -> str:
    read = qg2.read_code(code)
    assert read is not None
    return read.code_id.hex()


def _resign_payload(qr_text: str, edit: Any) -> str:
    """Change the payload of a pass and keep its old signature: what a forger would try."""
    sign1 = cose.parse(base45.decode(qr_text[len(PREFIX):]))
    payload = cbor2.loads(sign1.payload)
    edit(payload)
    data = cose.assemble(sign1.protected_raw, cbor2.dumps(payload), sign1.signature)
    return PREFIX + base45.encode(data)


def _flip_signature_bit(qr_text: str) -> str:
    sign1 = cose.parse(base45.decode(qr_text[len(PREFIX):]))
    sig = bytearray(sign1.signature)
    sig[10] ^= 0x01
    return PREFIX + base45.encode(cose.assemble(sign1.protected_raw, sign1.payload, bytes(sig)))


def _holder(**kw: Any) -> PassClaims:
    base: dict[str, Any] = {"name": "张伟明华", "document": "123X", "community": "KS-C0012",
                            "employer": "KS-F0042"}
    base.update(kw)
    return PassClaims(**base)


POLICIES: dict[str, dict[str, Any]] = {
    "policy-community.json": {"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"]},
    "policy-factory.json": {"kind": "factory", "site": "KS-F0042", "employers": ["KS-F0042"],
                            "open_from": "2020-02-10T00:00:00"},
    "policy-school.json": {"kind": "school", "site": "KS-S0007", "schools": ["KS-S0007"]},
    "policy-binding-off.json": {"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"],
                                "holder_binding": "off"},
    "policy-binding-required.json": {"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"],
                                     "holder_binding": "required"},
}


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    files["jwks.json"] = _json(TrustSet.of(KEY_A.public_key).to_jwks())
    files["jwks-rotated.json"] = _json(TrustSet.of(KEY_A.public_key, KEY_B.public_key).to_jwks())
    # A withdrawn after a compromise: B trusted, A named as withdrawn
    files["jwks-withdrawn.json"] = _json(TrustSet({KEY_B.kid: KEY_B.public_key}, withdrawn=[KEY_A.kid]).to_jwks())
    # A retired at a rotation: trusted until 2020-02-12 08:00 (+08:00), then gone by itself
    files["jwks-retired.json"] = _json(TrustSet({KEY_A.kid: KEY_A.public_key, KEY_B.kid: KEY_B.public_key},
                                                until={KEY_A.kid: RETIRED_UNTIL}).to_jwks())
    # A simply dropped from the set (neither trusted nor withdrawn): an unknown key
    files["jwks-dropped.json"] = _json(TrustSet.of(KEY_B.public_key).to_jwks())
    for name, policy in POLICIES.items():
        files[name] = _json(policy)
    files["policy-community.cbor"] = sign_policy(
        KEY_A, SitePolicy.from_json(POLICIES["policy-community.json"]), issued_at=ISSUED)
    others = [_serial(f"other revoked {i}") for i in range(20)]
    files["revocations.cbor"] = sign_revocations(KEY_A, [*others, _serial("revoked")], seq=7,
                                                 issued_at=REVOCATIONS_AT)

    valid = _pass("valid", _holder())
    red = _pass("red", _holder(status=Status.RED))
    quarantined = _pass("quarantine", _holder(quarantine_end=date(2020, 2, 15)))
    rng = random.Random(2020)
    cases = [
        _case("valid", valid, "2020-02-15T09:00:00+08:00", policy="policy-community.json",
              revocations="revocations.cbor", decision="allow", reason="ok"),
        _case("valid desk check (no policy, no revocations)", valid, "2020-02-15T09:00:00+08:00",
              decision="allow", reason="ok"),
        _case("valid with a signed policy", valid, "2020-02-15T09:00:00+08:00",
              policy="policy-community.cbor", revocations="revocations.cbor", decision="allow", reason="ok"),
        _case("valid, key rotated (old key still trusted)", valid, "2020-02-15T09:00:00+08:00",
              jwks="jwks-rotated.json", decision="allow", reason="ok"),
        _case("valid, last second", valid, "2020-03-11T07:59:59+08:00", decision="allow", reason="ok"),
        _case("expired", valid, "2020-03-11T08:00:00+08:00", decision="deny", reason="expired"),
        _case("not yet valid", valid, "2020-02-10T07:58:00+08:00", decision="deny", reason="not_yet_valid"),
        _case("not yet valid, within clock leeway", valid, "2020-02-10T07:59:30+08:00",
              decision="allow", reason="ok"),
        _case("tampered payload (red turned green)",
              _resign_payload(red, lambda p: p[-65537].__setitem__(3, 0)),
              "2020-02-15T09:00:00+08:00", decision="deny", reason="bad_signature"),
        _case("tampered payload (quarantine end removed)",
              _resign_payload(quarantined, lambda p: p[-65537].pop(4)),
              "2020-02-14T09:00:00+08:00", decision="deny", reason="bad_signature"),
        _case("bad signature", _flip_signature_bit(valid), "2020-02-15T09:00:00+08:00",
              decision="deny", reason="bad_signature"),
        _case("unknown kid", _pass("stranger", _holder(), key=KEY_STRANGER), "2020-02-15T09:00:00+08:00",
              decision="deny", reason="unknown_key"),
        _case("withdrawn key", valid, "2020-02-15T09:00:00+08:00", jwks="jwks-withdrawn.json",
              decision="deny", reason="key_withdrawn"),
        _case("withdrawn key, signature altered too", _flip_signature_bit(valid), "2020-02-15T09:00:00+08:00",
              jwks="jwks-withdrawn.json", decision="deny", reason="key_withdrawn"),
        _case("withdrawn key, with revocations and policy", valid, "2020-02-15T09:00:00+08:00",
              jwks="jwks-withdrawn.json", policy="policy-community.json", decision="deny", reason="key_withdrawn"),
        _case("key dropped from the trust set", valid, "2020-02-15T09:00:00+08:00", jwks="jwks-dropped.json",
              decision="deny", reason="unknown_key"),
        _case("retired key, before its trust ends", valid, "2020-02-12T07:59:59+08:00", jwks="jwks-retired.json",
              decision="allow", reason="ok"),
        _case("retired key, after its trust ended", valid, "2020-02-12T08:00:00+08:00", jwks="jwks-retired.json",
              decision="deny", reason="unknown_key"),
        _case("signed by the successor key", _pass("successor", _holder(), key=KEY_B),
              "2020-02-15T09:00:00+08:00", jwks="jwks-withdrawn.json", decision="allow", reason="ok"),
        _case("revoked", _pass("revoked", _holder()), "2020-02-15T09:00:00+08:00",
              revocations="revocations.cbor", decision="deny", reason="revoked"),
        _case("quarantine day 13", quarantined, "2020-02-14T12:00:00+08:00",
              policy="policy-community.json", decision="deny", reason="quarantine"),
        _case("quarantine, a second before local midnight", quarantined, "2020-02-14T23:59:59+08:00",
              policy="policy-community.json", decision="deny", reason="quarantine"),
        _case("quarantine day 14 (local midnight)", quarantined, "2020-02-14T16:00:00+00:00",
              policy="policy-community.json", decision="allow", reason="ok"),
        _case("red", red, "2020-02-15T09:00:00+08:00", policy="policy-community.json",
              decision="deny", reason="status_red"),
        _case("yellow", _pass("yellow", _holder(status=Status.YELLOW)), "2020-02-15T09:00:00+08:00",
              policy="policy-community.json", decision="deny", reason="status_yellow"),
        _case("wrong site", _pass("other community", _holder(community="KS-C0099", employer=None)),
              "2020-02-15T09:00:00+08:00", policy="policy-community.json", decision="deny",
              reason="wrong_site"),
        _case("factory before open_from",
              _pass("early worker", _holder(), issued=datetime(2020, 2, 5, 8, 0, tzinfo=CST)),
              "2020-02-09T23:59:59+08:00", policy="policy-factory.json", decision="deny",
              reason="site_closed"),
        _case("factory from open_from", valid, "2020-02-10T08:00:00+08:00", policy="policy-factory.json",
              decision="allow", reason="ok"),
        _case("school, not cleared", _pass("pupil", _holder(school="KS-S0007")),
              "2020-02-15T09:00:00+08:00", policy="policy-school.json", decision="deny",
              reason="not_cleared"),
        _case("school, cleared", _pass("cleared pupil", _holder(school="KS-S0007", cleared=True)),
              "2020-02-15T09:00:00+08:00", policy="policy-school.json", temperature=36.6, decision="allow",
              reason="ok"),
        _case("school, cleared, no temperature", _pass("cleared pupil", _holder(school="KS-S0007", cleared=True)),
              "2020-02-15T09:00:00+08:00", policy="policy-school.json", decision="deny",
              reason="temperature_required"),
        _case("fever 37.3", valid, "2020-02-15T09:00:00+08:00", policy="policy-community.json",
              temperature=37.3, decision="deny", reason="fever"),
        _case("temperature 37.2", valid, "2020-02-15T09:00:00+08:00", policy="policy-community.json",
              temperature=37.2, decision="allow", reason="ok"),
        _case("stale data", valid, "2020-02-16T06:00:01+08:00", policy="policy-community.json",
              revocations="revocations.cbor", decision="deny", reason="stale_data"),
        _case("a URL QR", "https://example.com/health?id=123456", "2020-02-15T09:00:00+08:00",
              decision="deny", reason="unreadable"),
        _case("random bytes", base64.b64encode(rng.randbytes(200)).decode(), "2020-02-15T09:00:00+08:00",
              decision="deny", reason="unreadable", encoding="base64"),
        _case("random Base45 after the prefix",
              PREFIX + "".join(rng.choice(base45.ALPHABET) for _ in range(270)),
              "2020-02-15T09:00:00+08:00", decision="deny", reason="unreadable"),
        _case("a qrgate pass in lower case", valid.lower(), "2020-02-15T09:00:00+08:00",
              decision="deny", reason="unreadable"),
        _case("truncated pass", valid[:-3], "2020-02-15T09:00:00+08:00", decision="deny",
              reason="unreadable"),
        _case("empty", "", "2020-02-15T09:00:00+08:00", decision="deny", reason="unreadable"),
        _case("1 MB of text", valid + "A" * (ONE_MB - len(valid)), "2020-02-15T09:00:00+08:00",
              decision="deny", reason="unreadable"),
        *_one_encoding_cases(valid),
    ]
    cases += _qg2_cases(valid, rng)
    files["entries.json"] = _json({"about": ENTRIES_ABOUT, "entries": _entries()})
    files["ed25519-refused-keys.json"] = _json({"about": REFUSED_KEYS_ABOUT, "keys": _refused_keys()})
    # one case per line: the file stays diffable
    files["cases.json"] = ("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
                           + "\n]\n").encode()
    for name, data in files.items():
        (out / name).write_bytes(data)


def _qg2_cases(static: str, rng: random.Random) -> list[dict[str, Any]]:
    """Holder-bound codes (QG2) and static passes under each holder_binding policy."""
    at = "2020-02-15T09:00:00+08:00"
    bound_ed = _bound("bound Ed25519", _holder(), PHONE_ED)
    bound_p256 = _bound("bound P-256", _holder(), PHONE_P256)
    live = _code(bound_ed, at, PHONE_ED, offset=-10)  # shown 10 s ago
    gate = {"policy": "policy-community.json", "revocations": "revocations.cbor"}
    pass_bytes = base45.decode(bound_ed)
    t = int(datetime.fromisoformat(at).timestamp())
    other = _bound("bound, someone else", _holder(name="李四"), PHONE_OTHER)
    spliced = qg2.encode_code(pass_bytes, t, qg2.read_code(_code(other, at, PHONE_OTHER)).signature)  # type: ignore[union-attr]
    long_time = PREFIX.replace("1", "2") + base45.encode(
        b"\x83" + cbor2.dumps(pass_bytes) + b"\x1b" + t.to_bytes(8, "big")
        + cbor2.dumps(PHONE_ED.sign(qg2.signing_input(pass_bytes, t))))
    static_in_qg2 = qg2.encode_code(base45.decode(static[len(PREFIX):]), t,
                                    PHONE_ED.sign(qg2.signing_input(base45.decode(static[len(PREFIX):]), t)))
    tampered = base45.encode(cose.assemble(*_edit_bound(bound_ed)))
    return [
        _case("QG2 valid (Ed25519 holder key)", live, at, **gate, decision="allow", reason="ok",
              check_id=False),
        _case("QG2 valid (P-256 holder key)", _code(bound_p256, at, PHONE_P256, offset=-10), at, **gate,
              decision="allow", reason="ok"),
        _case("QG2 valid desk check", live, at, decision="allow", reason="ok"),
        _case("QG2 code 90 s old (window edge)", _code(bound_ed, at, PHONE_ED, offset=-90), at, **gate,
              decision="allow", reason="ok"),
        _case("QG2 code 91 s old", _code(bound_ed, at, PHONE_ED, offset=-91), at, **gate,
              decision="deny", reason="code_expired"),
        _case("QG2 screenshot 5 minutes old", _code(bound_ed, at, PHONE_ED, offset=-300), at, **gate,
              decision="deny", reason="code_expired"),
        _case("QG2 code 60 s ahead (window edge)", _code(bound_ed, at, PHONE_ED, offset=60), at, **gate,
              decision="allow", reason="ok"),
        _case("QG2 code 61 s ahead (future)", _code(bound_ed, at, PHONE_ED, offset=61), at, **gate,
              decision="deny", reason="code_not_yet_valid"),
        _case("QG2 huge time value", qg2.make_code(bound_ed, qg2.MAX_CODE_TIME, PHONE_ED.sign), at, **gate,
              decision="deny", reason="code_not_yet_valid"),
        _case("QG2 time zero", qg2.make_code(bound_ed, 0, PHONE_ED.sign), at, **gate,
              decision="deny", reason="code_expired"),
        _case("QG2 wrong holder key", _code(bound_ed, at, PHONE_OTHER), at, **gate,
              decision="deny", reason="bad_holder_signature"),
        _case("QG2 someone else's holder signature", spliced, at, **gate,
              decision="deny", reason="bad_holder_signature"),
        _case("QG2 replayed at this gate", live, at, **gate, seen=[_code_id(live)],
              decision="deny", reason="code_replayed"),
        _case("QG2 revoked", _code(_bound("revoked", _holder(), PHONE_ED), at, PHONE_ED), at, **gate,
              decision="deny", reason="revoked"),
        _case("QG2 red", _code(_bound("bound red", _holder(status=Status.RED), PHONE_ED), at, PHONE_ED), at,
              **gate, decision="deny", reason="status_red"),
        _case("QG2 pass re-signed by an unknown issuer",
              _code(_bound("bound stranger", _holder(), PHONE_ED, key=KEY_STRANGER), at, PHONE_ED), at,
              **gate, decision="deny", reason="unknown_key"),
        _case("QG2 pass payload altered", _code(tampered, at, PHONE_ED), at, **gate,
              decision="deny", reason="bad_signature"),
        _case("QG2 around a static pass", static_in_qg2, at, **gate, decision="deny", reason="unreadable"),
        _case("QG1 prefix on a holder-bound pass", PREFIX + bound_ed, at, **gate,
              decision="deny", reason="unreadable"),
        _case("QG2 truncated", live[:-3], at, **gate, decision="deny", reason="unreadable"),
        _case("QG2 time not in shortest form", long_time, at, **gate, decision="deny", reason="unreadable"),
        _case("QG2 in lower case", live.lower(), at, **gate, decision="deny", reason="unreadable"),
        _case("QG2 random Base45", "QG2:" + "".join(rng.choice(base45.ALPHABET) for _ in range(420)), at,
              **gate, decision="deny", reason="unreadable"),
        _case("QG2 holder_binding required", live, at, policy="policy-binding-required.json",
              revocations="revocations.cbor", decision="allow", reason="ok", check_id=False),
        _case("static pass, holder_binding off", static, at, policy="policy-binding-off.json",
              revocations="revocations.cbor", decision="allow", reason="ok", check_id=False),
        _case("static pass, holder_binding preferred", static, at, **gate, decision="allow", reason="ok",
              check_id=True),
        _case("static pass, holder_binding required", static, at, policy="policy-binding-required.json",
              revocations="revocations.cbor", decision="deny", reason="binding_required"),
    ]


def _edit_bound(pass_text: str) -> tuple[bytes, bytes, bytes]:
    """A holder-bound pass turned red-to-green style: the payload changed, the issuer signature kept."""
    sign1 = cose.parse(base45.decode(pass_text))
    payload = cbor2.loads(sign1.payload)
    payload[-65537][1] = "王五"
    return sign1.protected_raw, cbor2.dumps(payload), sign1.signature


AT = "2020-02-15T09:00:00+08:00"


def _cose_bytes(qr_text: str) -> bytes:
    return base45.decode(qr_text[len(PREFIX):])


def _qr(data: bytes) -> str:
    return PREFIX + base45.encode(data)


def _signed(payload: bytes, *, protected: bytes | None = None, key: IssuerKey = KEY_A) -> str:
    """A correctly signed pass in the one accepted envelope, around any payload/protected header."""
    protected = cose.encode_protected(key.kid) if protected is None else protected
    return _qr(cose.assemble(protected, payload, key.sign(cose.sig_structure(protected, payload))))


def _claims(**holder: Any) -> dict[Any, Any]:
    claim: dict[Any, Any] = {1: "张伟明华", 2: "123X", 6: "KS-C0012"}
    claim.update(holder)
    iat = int(ISSUED.timestamp())
    return {1: "QG", 4: iat + int(VALID_FOR.total_seconds()), 5: iat, 6: iat,
            7: _serial("one encoding"), -65537: claim}


def _reencoded_envelope(valid: str, *, head: bytes = b"\xd2", unprotected: bytes = b"\xa0",
                        long_heads: bool = False, indefinite: bool = False) -> str:
    sign1 = cose.parse(_cose_bytes(valid))

    def bstr(value: bytes) -> bytes:
        return (b"\x59" + len(value).to_bytes(2, "big") if long_heads else cose._bstr_head(len(value))) + value

    items = bstr(sign1.protected_raw) + unprotected + bstr(sign1.payload) + bstr(sign1.signature)
    array = b"\x9f" + items + b"\xff" if indefinite else b"\x84" + items
    return _qr(head + array)


def _one_encoding_cases(valid: str) -> list[dict[str, Any]]:
    """docs/pass-format.md, "One encoding": everything the spec does not allow is refused."""
    data = _cose_bytes(valid)
    sign1 = cose.parse(data)
    kid = KEY_A.kid
    unreadable = {"decision": "deny", "reason": "unreadable"}
    allow = {"decision": "allow", "reason": "ok"}
    legacy_payload = cbor2.dumps({1: "QG", 6: int(ISSUED.timestamp()), 5: int(ISSUED.timestamp()),
                                  4: int((ISSUED + VALID_FOR).timestamp()), 7: _serial("legacy"),
                                  -65537: {1: "张伟明华", 2: "123X", 3: 0, 6: "KS-C0012"}})
    wrong_types: dict[str, dict[Any, Any]] = {
        "status false": {-65537: {1: "张伟明华", 2: "123X", 3: False}},
        "status 0.0": {-65537: {1: "张伟明华", 2: "123X", 3: 0.0}},
        "status as text": {-65537: {1: "张伟明华", 2: "123X", 3: "green"}},
        "quarantine end null": {-65537: {1: "张伟明华", 2: "123X", 4: None}},
        "quarantine end as text": {-65537: {1: "张伟明华", 2: "123X", 4: "2020-02-15"}},
        "cleared as 1": {-65537: {1: "张伟明华", 2: "123X", 5: 1}},
        "community null": {-65537: {1: "张伟明华", 2: "123X", 6: None}},
        "name as bytes": {-65537: {1: "张伟明华".encode(), 2: "123X"}},
        "holder keyed by true": {-65537: {True: "张伟明华", 2: "123X"}},
        "holder claim as array": {-65537: ["张伟明华", "123X"]},
        "exp as float": {4: float(int((ISSUED + VALID_FOR).timestamp()))},
        "iat false": {6: False},
        "cti as text": {7: _serial("one encoding").hex()},
        "iss as bytes": {1: b"QG"},
    }
    cases = [
        _case("wedge suffix CR LF", valid + "\r\n", AT, **allow),
        _case("wedge suffix LF", valid + "\n", AT, **allow),
        _case("wedge suffix CR", valid + "\r", AT, **allow),
        _case("wedge suffix tab", valid + "\t", AT, **allow),
        _case("two line ends", valid + "\n\n", AT, **unreadable),
        _case("trailing space", valid + " ", AT, **unreadable),
        _case("leading space", " " + valid, AT, **unreadable),
        _case("leading line end", "\n" + valid, AT, **unreadable),
        _case("ideographic space after", valid + "\u3000", AT, **unreadable),
        _case("no-break space before", "\u00a0" + valid, AT, **unreadable),
        _case("trailing byte after the COSE", _qr(data + b"\x00"), AT, **unreadable),
        _case("a second COSE after the COSE", _qr(data + data), AT, **unreadable),
        _case("untagged COSE_Sign1", _qr(data[1:]), AT, **unreadable),
        _case("tag 18 in a two-byte head", _reencoded_envelope(valid, head=b"\xd8\x12"), AT, **unreadable),
        _case("tag 18 twice", _qr(b"\xd2" + data), AT, **unreadable),
        _case("re-encoded: long byte-string heads", _reencoded_envelope(valid, long_heads=True), AT,
              **unreadable),
        _case("re-encoded: indefinite-length array", _reencoded_envelope(valid, indefinite=True), AT,
              **unreadable),
        _case("unprotected header with a kid",
              _reencoded_envelope(valid, unprotected=cbor2.dumps({4: kid})), AT, **unreadable),
        _case("unprotected header with a private field",
              _reencoded_envelope(valid, unprotected=cbor2.dumps({"x": 1})), AT, **unreadable),
        _case("protected header with crit (signed)",
              _signed(sign1.payload, protected=cbor2.dumps({1: -8, 2: [99], 4: kid, 99: 0})), AT,
              **unreadable),
        _case("protected header with an unknown field (signed)",
              _signed(sign1.payload, protected=cbor2.dumps({1: -8, 4: kid, 99: 0})), AT, **unreadable),
        _case("protected header with a content type (signed)",
              _signed(sign1.payload, protected=cbor2.dumps({1: -8, 3: 61, 4: kid})), AT, **unreadable),
        _case("protected header in another key order (signed)",
              _signed(sign1.payload, protected=cbor2.dumps({4: kid, 1: -8})), AT, **unreadable),
        _case("signed payload with a trailing byte", _signed(cbor2.dumps(_claims()) + b"\x00"), AT,
              **unreadable),
        _case("signed payload with a long integer head",
              _signed(cbor2.dumps(_claims()).replace(b"\x01bQG", b"\x18\x01bQG", 1)), AT, **unreadable),
        _case("signed payload with a duplicate key",
              _signed(b"\xa7\x01bQG" + cbor2.dumps(_claims())[1:]), AT, **unreadable),
        _case("signed payload, claims in deterministic order", _signed(cbor2.dumps(_claims(), canonical=True)),
              AT, **allow),
        _case("pass as issued before the deterministic issuer (status 0, claims unsorted)",
              _signed(legacy_payload), AT, **allow),
    ]
    for name, change in wrong_types.items():
        claims = _claims() | change
        cases.append(_case(f"signed claim of the wrong type: {name}", _signed(cbor2.dumps(claims)), AT,
                           **unreadable))
    return cases


def _case(name: str, qr_text: str, at: str, *, decision: str, reason: str, jwks: str | None = None,
          policy: str | None = None, revocations: str | None = None, temperature: float | None = None,
          encoding: str | None = None, seen: list[str] | None = None, check_id: bool | None = None) -> dict[str, Any]:
    case = {"name": name, "qr_text": qr_text, "at": at, "jwks": jwks, "policy": policy,
            "revocations": revocations, "temperature": temperature, "decision": decision,
            "reason": reason}
    if encoding:  # qr_text holds base64 of raw bytes (a QR can carry binary data)
        case["encoding"] = encoding
    if seen:  # code_ids this gate already admitted (hex): the replay check
        case["seen"] = seen
    if check_id is not None:  # whether the guard is told to check the ID card (a static pass)
        case["check_id"] = check_id
    return case


ENTRIES_ABOUT = ("gate entries as gates have written them, with their hashes (SHA-256 over the canonical JSON "
                 "of every field but hash, keys/chain.py); keys/entry.py must read each and give back the same JSON")


def _entries() -> list[dict[str, Any]]:
    """Entry JSON forms gates write (tests/keys/test_entry.py), hashed with keys.chain, not keys.entry."""
    out: list[dict[str, Any]] = []

    def add(name: str, entry: dict[str, Any]) -> None:
        out.append({"name": name, "entry": {**entry, "hash": entry_hash(entry)}})

    base = {"id": "3f2b8c1e-9a4d-4e2f-8b1a-5c6d7e8f9a0b", "seq": 1, "device_id": "dev_5f0c3a9e1b2d4c6a",
            "site": "HEYUAN", "scanned_at": "2020-02-14T08:00:01.250+08:00", "serial": "0123456789abcdef01234567",
            "text_hash": None, "decision": "allow", "reason": "ok", "temperature": 36.6, "clock_offset": 0.4,
            "latency_ms": 41.7, "direction": "in", "prev_hash": GENESIS}
    add("today's scanner: every optional field, a pass read", base)
    add("unreadable code: text hash, no serial, no reading, no offset", {
        **base, "id": "7a1e2d3c-4b5a-4697-8877-665544332211", "seq": 2, "serial": None,
        "text_hash": hashlib.sha256(b"not a pass").hexdigest(), "decision": "deny", "reason": "unreadable",
        "temperature": None, "clock_offset": None, "latency_ms": None, "prev_hash": out[0]["entry"]["hash"]})
    old = {k: v for k, v in base.items() if k not in ("direction", "latency_ms")}
    add("a gate from before directions and latencies: those fields left out",
        {**old, "id": "0b1c2d3e-4f50-4617-a8b9-cadbecfd0e1f"})
    add("an integer temperature and offset (a non-Python gate)", {
        **base, "id": "c0ffee00-1234-4abc-8def-0123456789ab", "temperature": 37, "clock_offset": -2,
        "decision": "deny", "reason": "temperature_required", "direction": "out"})
    add("UTC time, a gate clock of 1970 never set (no offset)", {
        **base, "id": "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", "site": "SCHOOL-1",
        "scanned_at": "1970-01-01T00:00:05Z", "clock_offset": None})
    return out


REFUSED_KEYS_ABOUT = (
    "32-byte Ed25519 public keys (hex) that every loader of a key from outside refuses (keys/publickey.py): "
    "the 8 points of small order, with which OpenSSL verifies forged signatures; every encoding of a y "
    "that is not below 2^255 - 19 (non-canonical); a valid key plus a small-order point (mixed order); "
    "a y off the curve. A valid key beside them is accepted.")
_P = 2**255 - 19


def _refused_keys() -> list[dict[str, str]]:
    from nacl.bindings import crypto_core_ed25519_add

    small = [("the identity (order 1)", "01" + "00" * 31), ("order 2: y = p - 1", "ec" + "ff" * 30 + "7f"),
             ("order 4: y = 0", "00" * 32), ("order 4: y = 0, x negative", "00" * 31 + "80"),
             ("order 8", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
             ("order 8, x negative", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
             ("order 8", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
             ("order 8, x negative", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa")]
    out = [{"name": f"small order: {name}", "fault": "small_order", "key": key} for name, key in small]
    for y in range(_P, 2**255):
        for sign in (0, 1):
            key = (y | sign << 255).to_bytes(32, "little").hex()
            out.append({"name": f"non-canonical: y = p + {y - _P}{', x negative' if sign else ''}",
                        "fault": "non_canonical", "key": key})
    valid = KEY_A.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    for name, key in small[1:]:
        mixed = crypto_core_ed25519_add(valid, bytes.fromhex(key)).hex()
        out.append({"name": f"mixed order: key A + the {name} point", "fault": "mixed_order", "key": mixed})
    out.append({"name": "off the curve: y = 2", "fault": "off_curve", "key": "02" + "00" * 31})
    out.append({"name": "valid: key A of jwks.json", "fault": "none", "key": valid.hex()})
    return out


def _json(obj: object) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
