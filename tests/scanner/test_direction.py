"""Gate direction at the gate: stepping out and back in is not a shared pass (issue #10)."""

from __future__ import annotations

from offline_gate import OfflineGate
from test_gate import gate_for

from keys import Reason
from scanner.gate import Gate
from scanner.log import EntryLog


def test_out_then_in_at_one_gate_is_admitted(offline: OfflineGate) -> None:
    gate, log = gate_for(offline)
    text = offline.issue()
    assert gate.decide(text).decision.allowed
    assert gate.decide(text, direction="out").decision.allowed  # steps out for a parcel
    assert gate.decide(text).decision.allowed                   # and back in within 5 minutes
    again = gate.decide(text)                                   # in again without going out
    assert again.decision.reason is Reason.DUPLICATE
    assert [e["direction"] for e in log.entries()] == ["both", "out", "both", "both"]


def test_an_exit_gate_never_denies_duplicate(offline: OfflineGate) -> None:
    log = EntryLog(offline.state.log_path)
    snap = offline.state.load()
    gate = Gate(offline.state.device(), log, lambda: snap, direction="out")
    text = offline.issue()
    assert gate.decide(text).decision.allowed and gate.decide(text).decision.allowed
