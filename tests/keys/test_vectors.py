"""Every case of tests/vectors/cases.json through `keys.decide` and through `qrgate verify`."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from keys import Reason, SitePolicy, TrustSet, decide, load_policy, load_revocations

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
CASES: list[dict[str, Any]] = json.loads((VECTORS / "cases.json").read_text())
QRGATE = Path(sys.executable).parent / "qrgate"
EXIT = {"allow": 0, "deny": 1}


def _text(case: dict[str, Any]) -> str | bytes:
    if case.get("encoding") == "base64":
        return base64.b64decode(case["qr_text"])
    return case["qr_text"]


def _ids() -> list[str]:
    return [c["name"] for c in CASES]


def test_vectors_cover_the_issue() -> None:
    names = {c["name"] for c in CASES}
    reasons = {c["reason"] for c in CASES}
    for required in ("valid", "expired", "not yet valid", "bad signature", "unknown kid", "withdrawn key",
                     "revoked", "quarantine day 13", "quarantine day 14 (local midnight)", "red", "yellow",
                     "wrong site", "factory before open_from", "school, not cleared", "fever 37.3",
                     "stale data", "a URL QR", "random bytes", "empty", "1 MB of text",
                     # one encoding per pass (docs/pass-format.md)
                     "wedge suffix CR LF", "trailing space", "ideographic space after",
                     "trailing byte after the COSE", "untagged COSE_Sign1",
                     "re-encoded: long byte-string heads", "unprotected header with a kid",
                     "protected header with crit (signed)", "protected header with an unknown field (signed)",
                     "signed payload with a trailing byte", "signed claim of the wrong type: status false",
                     "signed claim of the wrong type: quarantine end null",
                     "pass as issued before the deterministic issuer (status 0, claims unsorted)"):
        assert required in names
    for required in ("QG2 valid (Ed25519 holder key)", "QG2 valid (P-256 holder key)", "QG2 screenshot 5 minutes old",
                     "QG2 code 61 s ahead (future)", "QG2 wrong holder key", "QG2 replayed at this gate",
                     "static pass, holder_binding off", "static pass, holder_binding preferred",
                     "static pass, holder_binding required"):
        assert required in names
    # duplicate: the scanner's anti-passback; no_document: its checkpoint mode (no pass to decide on)
    assert reasons >= {r.value for r in Reason} - {"duplicate", "no_document"}
    assert len(names) == len(CASES), "case names must be unique"
    assert len(next(c for c in CASES if c["name"] == "1 MB of text")["qr_text"]) == 1 << 20


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_decide(case: dict[str, Any]) -> None:
    trust = TrustSet.from_jwks(json.loads((VECTORS / (case["jwks"] or "jwks.json")).read_text()))
    revocations = load_revocations((VECTORS / case["revocations"]).read_bytes(), trust) \
        if case["revocations"] else None
    policy = None
    if case["policy"]:
        data = (VECTORS / case["policy"]).read_bytes()
        policy = SitePolicy.from_json(json.loads(data)) if case["policy"].endswith(".json") \
            else load_policy(data, trust)
    decision = decide(_text(case), trust, revocations, policy, now=datetime.fromisoformat(case["at"]),
                      temperature=case["temperature"], seen={bytes.fromhex(s) for s in case.get("seen", [])})
    assert (decision.decision, decision.reason) == (case["decision"], Reason(case["reason"]))
    if "check_id" in case:
        assert decision.check_id is case["check_id"]
    assert decision.bound is (case["name"].startswith("QG2") and decision.allowed)
    # display fields only when the signature was good
    signed = decision.reason not in (Reason.UNREADABLE, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY,
                                     Reason.KEY_WITHDRAWN, Reason.STALE_DATA)
    assert (decision.holder is not None) is signed


# a gate's memory of admitted codes is not a CLI input: the replay case runs through decide() only
@pytest.mark.parametrize("case", [c for c in CASES if "seen" not in c], ids=[c["name"] for c in CASES
                                                                             if "seen" not in c])
def test_cli(case: dict[str, Any]) -> None:
    text = _text(case)
    args = [str(QRGATE), "verify", "--jwks", str(VECTORS / (case["jwks"] or "jwks.json")),
            "--at", case["at"]]
    for flag in ("policy", "revocations"):
        if case[flag]:
            args += [f"--{flag}", str(VECTORS / case[flag])]
    if case["temperature"] is not None:
        args += ["--temperature", str(case["temperature"])]
    # binary or huge input goes through standard input, as the brief's `-` does
    via_stdin = isinstance(text, bytes) or len(text) > 100_000
    stdin = (text if isinstance(text, bytes) else text.encode()) if via_stdin else None
    args.append("-" if via_stdin else text)
    proc = subprocess.run(args, input=stdin, capture_output=True, timeout=60, check=False)
    assert proc.stderr == b""
    out = json.loads(proc.stdout)
    assert (out["decision"], out["reason"]) == (case["decision"], case["reason"])
    expected_exit = 65 if case["reason"] == "unreadable" else EXIT[case["decision"]]
    assert proc.returncode == expected_exit
    assert set(out["message"]) == {"zh", "en"}


def test_vectors_regenerate_identically(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(VECTORS / "make_vectors.py"), str(tmp_path)], check=True,
                   timeout=120)
    generated = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in VECTORS.iterdir() if p.is_file() and p.suffix != ".py")
    assert generated == committed
    for name in generated:
        assert (tmp_path / name).read_bytes() == (VECTORS / name).read_bytes(), name
