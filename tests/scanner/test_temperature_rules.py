"""每人必测: a site that requires a reading does not admit without one; a fever denial holds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from offline_gate import OfflineGate
from test_gate import gate_for

from keys import Reason, SitePolicy
from keys.reasons import label


@pytest.mark.parametrize(("kind", "required"), [("checkpoint", True), ("school", True), ("community", False),
                                                ("factory", False), ("construction_site", False)])
def test_require_temperature_defaults_by_kind(kind: str, required: bool) -> None:
    policy = SitePolicy.from_json({"kind": kind, "site": "S"})
    assert policy.require_temperature is required
    assert SitePolicy.from_json(policy.to_json()) == policy


def test_a_site_that_requires_a_reading_does_not_admit_without_one(offline: OfflineGate) -> None:
    offline.bundle(kind="school", schools=["SCH"], require_cleared=False)
    gate, log = gate_for(offline)
    text = offline.issue(school="SCH")
    denied = gate.decide(text)
    assert (denied.decision.allowed, denied.decision.reason) == (False, Reason.TEMPERATURE_REQUIRED)
    assert denied.to_json()["message"] == {"zh": "请先测量体温", "en": "Take the temperature first"}
    assert gate.decide(text, 36.5).decision.allowed
    assert [e["reason"] for e in log.entries()] == ["temperature_required", "ok"]


def test_a_community_gate_admits_without_a_reading_by_default(offline: OfflineGate) -> None:
    gate, _ = gate_for(offline)
    assert gate.decide(offline.issue()).decision.allowed


def test_a_fever_denial_holds_until_a_new_normal_reading(offline: OfflineGate) -> None:
    offline.bundle(fever_hold_minutes=240, allow_reentry=True)
    t = [datetime.now().astimezone()]
    gate, _ = gate_for(offline, clock=lambda: t[0])
    text = offline.issue()
    assert gate.decide(text, 37.5).decision.reason is Reason.FEVER
    t[0] += timedelta(minutes=70)  # the worker comes back without a reading
    assert gate.decide(text).decision.reason is Reason.TEMPERATURE_REQUIRED
    assert gate.decide(text, 37.6).decision.reason is Reason.FEVER
    assert gate.decide(text, 36.7).decision.allowed  # re-measured: normal
    t[0] += timedelta(minutes=241)
    assert gate.decide(text).decision.allowed  # the hold has run out
    other = offline.issue(name="李四")
    assert gate.decide(other).decision.allowed  # the hold is per pass


def test_the_hold_can_be_switched_off(offline: OfflineGate) -> None:
    offline.bundle(fever_hold_minutes=0, allow_reentry=True)
    gate, _ = gate_for(offline)
    text = offline.issue()
    assert gate.decide(text, 38.0).decision.reason is Reason.FEVER
    assert gate.decide(text).decision.allowed


def test_every_reason_has_both_labels() -> None:
    for reason in Reason:
        zh, en = label(reason)
        assert zh and en
