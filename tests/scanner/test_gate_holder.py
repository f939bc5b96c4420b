"""Holder-bound codes at the gate: one code admits once, the window follows the corrected clock, notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from offline_gate import OfflineGate

from keys import HolderKey, PassClaims, Reason, issue_pass, make_code
from scanner.display import render_panel
from scanner.gate import Gate
from scanner.log import EntryLog

PHONE = Ed25519PrivateKey.generate()
PHONE_KEY = HolderKey.from_raw("Ed25519", PHONE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def _bound(offline: OfflineGate) -> str:
    return issue_pass(offline.key, PassClaims("张三", "1234", community="C1"),
                      now=datetime.now(UTC) - timedelta(hours=1), valid_for=timedelta(days=3),
                      holder_key=PHONE_KEY).qr_text


def _gate(offline: OfflineGate, clock=None) -> tuple[Gate, EntryLog]:
    log = EntryLog(offline.state.log_path)
    snap = offline.state.load()
    return Gate(offline.state.device(), log, lambda: snap, **({"clock": clock} if clock else {})), log


def test_a_code_admits_once_even_where_reentry_is_allowed(offline: OfflineGate) -> None:
    offline.bundle(allow_reentry=True)
    gate, log = _gate(offline)
    bound = _bound(offline)
    code = make_code(bound, int(datetime.now(UTC).timestamp()), PHONE.sign)
    first = gate.decide(code)
    assert first.decision.allowed and first.to_json()["bound"] is True
    again = gate.decide(code)
    assert again.decision.reason is Reason.CODE_REPLAYED
    assert again.to_json()["message"]["en"] == "Code already used: show the live code"
    # the next code of the same phone is a new code: admitted (re-entry is allowed at this site)
    assert gate.decide(make_code(bound, int(datetime.now(UTC).timestamp()) + 30, PHONE.sign)).decision.allowed
    # a restarted scanner remembers: the memory is in the log's database
    restarted, _ = _gate(offline)
    assert restarted.decide(code).decision.reason is Reason.CODE_REPLAYED


def test_the_window_is_measured_on_the_corrected_clock(offline: OfflineGate) -> None:
    # the gate's wall clock is 10 minutes slow; the gateway told it so at the last sync
    offline.bundle(offset=600.0)
    wall = datetime.now(UTC) - timedelta(seconds=600)
    gate, _ = _gate(offline, clock=lambda: wall.astimezone())
    bound = _bound(offline)
    true_now = int((wall + timedelta(seconds=600)).timestamp())
    assert gate.decide(make_code(bound, true_now - 30, PHONE.sign)).decision.allowed
    old = gate.decide(make_code(bound, true_now - 300, PHONE.sign))
    assert old.decision.reason is Reason.CODE_EXPIRED
    assert old.to_json()["message"]["zh"] == "请出示手机上的实时通行码"


def test_static_pass_notice_and_required_sites(offline: OfflineGate) -> None:
    gate, _ = _gate(offline)
    outcome = gate.decide(offline.issue())
    assert outcome.decision.allowed and outcome.to_json()["notice"] == {
        "zh": "纸质/静态码：请核对身份证", "en": "static code: check the ID card"}
    assert render_panel(outcome).shape == (720, 1280, 3)
    offline.bundle(holder_binding="required")
    gate, _ = _gate(offline)
    assert gate.decide(offline.issue()).decision.reason is Reason.BINDING_REQUIRED
    code = make_code(_bound(offline), int(datetime.now(UTC).timestamp()), PHONE.sign)
    assert gate.decide(code).decision.allowed


def test_a_qg2_code_reads_from_phone_screen_frames_like_a_static_pass(offline: OfflineGate) -> None:
    from frames import phone_screen, qr_bgr

    from scanner.decoders import ZxingDecoder
    code = make_code(_bound(offline), int(datetime.now(UTC).timestamp()), PHONE.sign)
    static = offline.issue()
    decoder = ZxingDecoder()
    for seed in range(3):
        for text in (static, code):
            assert decoder.decode(phone_screen(qr_bgr(text), (1280, 720), seed=seed)) == [text]
