"""Deciding at the gate with real signed data: reasons, passback, staleness, clock, the log's chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from offline_gate import OfflineGate

from keys import Reason, issue_pass, PassClaims, IssuerKey
from keys.chain import text_hash
from scanner.gate import Gate
from scanner.log import EntryLog


def gate_for(offline: OfflineGate, clock=None) -> tuple[Gate, EntryLog]:
    log = EntryLog(offline.state.log_path)
    snap = offline.state.load()
    kwargs = {"clock": clock} if clock else {}
    return Gate(offline.state.device(), log, lambda: snap, **kwargs), log


def test_allow_then_duplicate_within_passback(offline: OfflineGate) -> None:
    gate, log = gate_for(offline)
    text = offline.issue()
    first = gate.decide(text)
    assert first.decision.allowed and first.decision.reason is Reason.OK
    second = gate.decide(text)
    assert not second.decision.allowed and second.decision.reason is Reason.DUPLICATE
    assert second.to_json()["message"]["en"] == "Already admitted just now"
    assert [e["decision"] for e in log.entries()] == ["allow", "deny"]


def test_reentry_allowed_when_the_site_says_so(offline: OfflineGate) -> None:
    offline.bundle(allow_reentry=True)
    gate, _ = gate_for(offline)
    text = offline.issue()
    assert gate.decide(text).decision.allowed
    assert gate.decide(text).decision.allowed


def test_passback_window_ends(offline: OfflineGate) -> None:
    offline.bundle(passback_minutes=1)
    t = [datetime.now().astimezone()]
    gate, _ = gate_for(offline, clock=lambda: t[0])
    text = offline.issue()
    assert gate.decide(text).decision.allowed
    t[0] += timedelta(seconds=61)
    assert gate.decide(text).decision.allowed


def test_reasons(offline: OfflineGate) -> None:
    other = IssuerKey.generate()
    revoked = issue_pass(offline.key, PassClaims("李四", "5678", community="C1"),
                         now=datetime.now(UTC) - timedelta(hours=1), valid_for=timedelta(days=3))
    offline.bundle(revoked=(revoked.serial,))
    gate, _ = gate_for(offline)
    qend = date.today() + timedelta(days=3)
    cases = {
        offline.issue(quarantine_end=qend): Reason.QUARANTINE,
        revoked.qr_text: Reason.REVOKED,
        offline.issue(community="C9"): Reason.WRONG_SITE,
        offline.issue(status="red"): Reason.STATUS_RED,
        issue_pass(other, PassClaims("王五", "1111", community="C1"), now=datetime.now(UTC),
                   valid_for=timedelta(days=1)).qr_text: Reason.UNKNOWN_KEY,
        "hello world": Reason.UNREADABLE,
    }
    for text, reason in cases.items():
        outcome = gate.decide(text)
        assert (outcome.decision.allowed, outcome.decision.reason) == (False, reason), reason
    quarantined = gate.decide(offline.issue(quarantine_end=qend))
    assert quarantined.to_json()["message"]["zh"] == f"隔离期内，{qend.month}月{qend.day}日起可通行"


def test_fever_at_threshold_and_normal_below(offline: OfflineGate) -> None:
    offline.bundle(fever_threshold=37.3)
    gate, log = gate_for(offline)
    assert gate.decide(offline.issue(), 37.3).decision.reason is Reason.FEVER
    ok = gate.decide(offline.issue(), 36.6)
    assert ok.decision.allowed and ok.entry["temperature"] == 36.6
    assert log.entries()[0]["temperature"] == 37.3


def test_impossible_readings_deny_for_a_re_measure_and_are_not_logged_as_numbers(offline: OfflineGate) -> None:
    gate, log = gate_for(offline)
    for reading in (float("nan"), float("inf"), -1e9, 3.0, 99999.0):
        outcome = gate.decide(offline.issue(), reading)
        assert outcome.decision.reason is Reason.FEVER, reading  # never admitted without a real reading
    assert [e["temperature"] for e in log.entries()] == [None, None, None, 3.0, None]


def test_stale_data_cannot_verify(offline: OfflineGate) -> None:
    offline.bundle(issued_at=datetime.now(UTC) - timedelta(hours=30), max_data_age=86400)
    gate, _ = gate_for(offline)
    outcome = gate.decide(offline.issue(now=datetime.now(UTC) - timedelta(hours=31)))
    assert outcome.decision.reason is Reason.STALE_DATA and outcome.decision.cannot_verify
    assert outcome.to_json()["cannot_verify"] is True


def test_no_bundle_cannot_verify_but_logs_the_serial(offline: OfflineGate) -> None:
    (offline.folder / "bundle.json").unlink()
    gate, log = gate_for(offline)
    outcome = gate.decide(offline.issue())
    assert outcome.decision.reason is Reason.STALE_DATA and outcome.entry["serial"]
    assert outcome.data_problem and "sync" in outcome.data_problem
    assert gate.decide("garbage").decision.reason is Reason.UNREADABLE


def test_tampered_bundle_is_refused_not_trusted(offline: OfflineGate) -> None:
    path = offline.folder / "bundle.json"
    path.write_text(path.read_text().replace('"policy": "', '"policy": "AAAA'))
    snap = offline.state.load()
    assert snap.policy is None and snap.problem and "rejected" in snap.problem
    gate, _ = gate_for(offline)
    assert gate.decide(offline.issue()).decision.reason is Reason.STALE_DATA


def test_unreadable_logs_a_hash_never_the_text(offline: OfflineGate) -> None:
    gate, log = gate_for(offline)
    secret_text = "https://example.com/private?id=110101199001011234"
    outcome = gate.decide(secret_text)
    assert outcome.entry["text_hash"] == text_hash(secret_text) and outcome.entry["serial"] is None
    raw = Path(offline.state.log_path).read_bytes()
    wal = Path(str(offline.state.log_path) + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert b"110101199001011234" not in raw


def test_chain_continues_across_restarts(offline: OfflineGate) -> None:
    gate, log = gate_for(offline)
    for _ in range(3):
        gate.decide(offline.issue())
    log.close()
    gate, log = gate_for(offline)
    entry = gate.decide(offline.issue()).entry
    assert entry["seq"] == 4
    assert log.verify_chain() is None
    assert log.entries()[2]["hash"] == entry["prev_hash"]


def test_chain_detects_an_edited_row(offline: OfflineGate) -> None:
    gate, log = gate_for(offline)
    for _ in range(3):
        gate.decide(offline.issue())
    log._db.execute("UPDATE entries SET body = replace(body, '\"allow\"', '\"deny\"') WHERE seq = 2")
    assert log.verify_chain() == 2


def test_clock_skew_and_backward_jump_are_shown_and_recorded(offline: OfflineGate) -> None:
    offline.bundle(offset=-600.0)  # the local clock is ten minutes fast
    t = [datetime.now().astimezone()]
    gate, log = gate_for(offline, clock=lambda: t[0])
    first = gate.decide(offline.issue())
    assert first.clock_warning and "off by -600" in first.clock_warning
    assert first.entry["clock_offset"] == -600.0
    assert abs((first.corrected_now - (t[0] - timedelta(seconds=600))).total_seconds()) < 1e-6
    t[0] -= timedelta(hours=2)
    second = gate.decide(offline.issue())
    assert second.clock_warning and "jumped back 7200 s" in second.clock_warning
    kinds = [kind for _, kind, _ in log.events()]
    assert kinds.count("clock_jump") == 1 and kinds.count("clock_skew") == 1


def test_space_temperature_that_was_part_of_the_text_is_decided_whole(offline: OfflineGate) -> None:
    gate, _ = gate_for(offline)
    text = offline.issue()
    # as if the pass had ended in " 36.8": split off, the rest is unreadable, so the whole line is used
    outcome = gate.decide(text[:-3], 36.8, whole=text)
    assert outcome.decision.allowed and outcome.temperature is None


def test_sync_backoff_grows_to_the_cap_and_resets() -> None:
    from scanner.sync import BackgroundSync

    sync = BackgroundSync(Path("/nonexistent"), lambda s: None, interval=60.0, cap=300.0)
    assert sync.delay() == 60.0
    delays = []
    for failures in range(1, 10):
        sync.failures = failures
        delays.append(sync.delay())
    assert all(4.0 <= d <= 300.0 for d in delays) and delays[-1] >= 240.0
    assert delays[0] < delays[3] < delays[6]
    sync.failures = 0
    assert sync.delay() == 60.0
