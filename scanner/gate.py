"""One decision at the gate: `keys.decide` with the device's data, plus clock checks, anti-passback and the log."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keys import Decision, Reason, decide
from keys.chain import text_hash

from .clock import boot_clock
from .log import EntryLog
from .state import Device, Snapshot

MAX_SKEW = 300.0     # seconds: a clock further off than this is shown to the guard and recorded
JUMP_TOLERANCE = 2.0  # seconds backwards that are noise (NTP slews), not a jump
LOGGED_READINGS = (0.0, 100.0)  # °C: beyond this a "temperature" is a typo or a misread suffix, not evidence
CODE_MEMORY = 7200.0  # seconds an admitted QG2 code is remembered: past its widest possible window


def local_now() -> datetime:
    return datetime.now().astimezone()


def corrected_offset(wall: datetime, snap: Snapshot, boot: tuple[str, float]) -> tuple[float, str | None]:
    """(seconds to add to the wall clock now, a note for the guard): from the boot-clock anchor when
    there is one, so a wall clock set back, forward or held still does not move the gate's time."""
    if snap.anchor is None:
        return snap.clock_offset or 0.0, None
    true, carried = snap.anchor.now(wall.timestamp(), boot)
    offset = true - wall.timestamp()
    note = None
    if not carried:
        note = "restarted since the last sync: time is the local clock plus the last offset"
    elif abs(offset - snap.anchor.offset) > MAX_SKEW:
        note = f"local clock moved {snap.anchor.offset - offset:+.0f} s since the last sync; using the gateway's time"
    return offset, note


@dataclass(frozen=True)
class Outcome:
    """A decision as logged and shown."""

    decision: Decision
    entry: dict[str, Any]
    temperature: float | None
    corrected_now: datetime
    clock_warning: str | None
    synced_at: datetime | None
    data_problem: str | None
    device_disabled: bool = False  # the gateway refuses this gate: the guard must call the admin

    def to_json(self) -> dict[str, Any]:
        """The headless line: no full document number, no raw QR text."""
        zh, en = self.decision.labels()
        holder = self.decision.holder
        return {
            "time": self.entry["scanned_at"], "seq": self.entry["seq"], "id": self.entry["id"],
            "decision": self.decision.decision, "reason": self.decision.reason.value,
            "cannot_verify": self.decision.cannot_verify,
            "message": {"zh": zh, "en": en},
            "serial": self.entry["serial"],
            "name": holder.name if holder else None,
            "document": holder.document if holder else None,
            "temperature": self.temperature,
            "clock_warning": self.clock_warning,
            "synced_at": self.synced_at.isoformat() if self.synced_at else None,
            "device_disabled": self.device_disabled,
            "latency_ms": self.entry.get("latency_ms"),
            "bound": self.decision.bound,
            "notice": dict(zip(("zh", "en"), notice, strict=True)) if (notice := self.decision.notice()) else None,
        }


def latency_ms(captured: float | None, now: float) -> float | None:
    """Milliseconds from capture to now, to 0.1 ms; None without a capture time."""
    return None if captured is None else round(max(now - captured, 0.0) * 1000, 1)


class _AdmittedCodes:
    """The `seen` of decide(): the QG2 codes this gate admitted, looked up in its log."""

    def __init__(self, log: EntryLog) -> None:
        self.log = log

    def __contains__(self, code_id: object) -> bool:
        return isinstance(code_id, bytes) and self.log.code_admitted(code_id)


class Gate:
    """Decides, checks the clock and passback, and commits the entry before returning it."""

    def __init__(self, device: Device, log: EntryLog, snapshot: Callable[[], Snapshot],
                 clock: Callable[[], datetime] = local_now,
                 monotonic: Callable[[], float] = time.monotonic,
                 boot: Callable[[], tuple[str, float]] = boot_clock, direction: str | None = None) -> None:
        self.device, self.log, self.snapshot, self.clock, self.boot = device, log, snapshot, clock, boot
        self.direction = direction or device.direction  # in | out | both (both: every scan counts as in)
        self.monotonic = monotonic  # the clock of Frame.captured / TextLine.captured

    def decide(self, text: str, temperature: float | None = None, *, whole: str | None = None,
               captured: float | None = None, direction: str | None = None) -> Outcome:
        """`captured`: when the frame or line was read (monotonic); logged as the decision's latency."""
        way = direction or self.direction
        wall = self.clock()
        snap = self.snapshot()
        offset, note = corrected_offset(wall, snap, self.boot())
        now = wall + timedelta(seconds=offset)
        warning = self._clock_warning(wall, offset, note, snap.held_jump)
        # decide() sees the reading as given: NaN or an impossible value denies `fever` (re-measure);
        # the log keeps only a number the gateway accepts, so one typo never blocks every later upload
        logged = temperature if temperature is not None and math.isfinite(temperature) \
            and LOGGED_READINGS[0] <= temperature <= LOGGED_READINGS[1] else None
        if not snap.can_decide:
            decision = self._cannot_verify(text, snap, now)
        else:
            seen = _AdmittedCodes(self.log)
            decision = decide(text, snap.trust, snap.revocations, snap.policy, now=now,
                              temperature=temperature, seen=seen)
            if decision.reason is Reason.UNREADABLE and whole is not None:
                # the "temperature" after a space was the end of the QR text itself
                decision = decide(whole, snap.trust, snap.revocations, snap.policy, now=now, seen=seen)
                text, logged = whole, None
            decision = self._fever_hold(decision, snap, now, temperature)
            decision = self._passback(decision, snap, now, way)
            if decision.allowed and decision.code_id is not None:
                self.log.remember_code(decision.code_id, now.timestamp(), keep=CODE_MEMORY)
        fields: dict[str, Any] = {
            "device_id": self.device.device_id, "site": self.device.site,
            "scanned_at": wall.isoformat(timespec="milliseconds"),
            "serial": decision.serial.hex() if decision.serial else None,
            "text_hash": None if decision.serial else text_hash(text),
            "decision": decision.decision, "reason": decision.reason.value,
            "temperature": float(logged) if logged is not None else None,
            "clock_offset": round(offset, 3) if snap.clock_offset is not None or snap.anchor else None,
            # capture -> decision, measured before the commit below (which the entry cannot include)
            "latency_ms": latency_ms(captured, self.monotonic()),
            "direction": way,
        }
        entry = self.log.append(fields, decided_at=now.timestamp(), wall_at=wall.timestamp())
        logged_temperature: float | None = fields["temperature"]
        problem = snap.problem or (f"cannot update: {snap.update_problem}" if snap.update_problem else None)
        return Outcome(decision, entry, logged_temperature, now, warning, snap.synced_at, problem,
                       snap.disabled_at is not None)

    def _cannot_verify(self, text: str, snap: Snapshot, now: datetime) -> Decision:
        """No usable data: say so, but still name the pass (signature checked) so the log has its serial."""
        probe = decide(text, snap.trust, None, None, now=now)
        if probe.reason is Reason.UNREADABLE:
            return probe
        return Decision(False, Reason.STALE_DATA, probe.serial, probe.holder, probe.expires_at)

    def _fever_hold(self, decision: Decision, snap: Snapshot, now: datetime,
                    temperature: float | None) -> Decision:
        """After a fever denial the same pass needs a new (normal) reading here for a while."""
        policy = snap.policy
        if not decision.allowed or temperature is not None or policy is None or not policy.fever_hold_minutes:
            return decision
        assert decision.serial is not None
        last = self.log.last_fever_at(decision.serial.hex())
        if last is not None and abs(now.timestamp() - last) < policy.fever_hold_minutes * 60:
            return Decision(False, Reason.TEMPERATURE_REQUIRED, decision.serial, decision.holder,
                            decision.expires_at)
        return decision

    def _passback(self, decision: Decision, snap: Snapshot, now: datetime, way: str) -> Decision:
        """A second entry *in* soon after the last one, with no way out between, is a shared pass."""
        policy = snap.policy
        if not decision.allowed or policy is None or policy.allow_reentry or not policy.passback_minutes \
                or way == "out":
            return decision
        assert decision.serial is not None
        last, last_way = self.log.last_allowed(decision.serial.hex())
        # abs(): after a clock jump backwards an earlier admission may look like the future
        if last is not None and last_way != "out" and abs(now.timestamp() - last) < policy.passback_minutes * 60:
            return Decision(False, Reason.DUPLICATE, decision.serial, decision.holder, decision.expires_at)
        return decision

    def _clock_warning(self, wall: datetime, offset: float, note: str | None = None,
                       held_jump: float | None = None) -> str | None:
        warnings = [note] if note else []
        if held_jump is not None:
            warnings.append(f"gateway time differs by {held_jump:+.0f} s: not applied until an admin confirms "
                            "(qrgate-scanner clock accept)")
        if abs(offset) > MAX_SKEW:
            warnings.append(f"clock off by {offset:+.0f} s; corrected from the gateway's time")
        last = self.log.last_wall_time()
        if last is not None and wall.timestamp() < last - JUMP_TOLERANCE:
            jump = f"clock jumped back {last - wall.timestamp():.0f} s"
            self.log.record_event("clock_jump", jump, wall)
            warnings.append(jump)
        if abs(offset) > MAX_SKEW:
            self._record_skew_once(offset, wall)
        return "; ".join(warnings) or None

    def _record_skew_once(self, offset: float, wall: datetime) -> None:
        key = round(offset)
        if getattr(self, "_skew_recorded", None) != key:
            self.log.record_event("clock_skew", f"offset {offset:+.1f} s", wall)
            self._skew_recorded = key
