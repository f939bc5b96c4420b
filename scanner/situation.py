"""What `qrgate-scanner` says when the gateway cannot be reached or refuses: what is true for this gate.

The same network error means different things for a gate that was never enrolled (nothing is
stored, it cannot decide anything: check the URL, enrol again), for an enrolled gate (it keeps
deciding offline with the data of its last sync) and for a gate the admin disabled (a person must
act; retrying will not help). The words come from the device's own state, read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .state import Device, DeviceState, Snapshot, StateError
from .sync import GatewayRefused, SyncError


@dataclass(frozen=True)
class Situation:
    """The device's state as far as a message needs it."""

    device: Device | None      # None: never enrolled (or its enrolment is unreadable)
    snapshot: Snapshot | None  # None: nothing usable stored

    @classmethod
    def of(cls, data: Path) -> Situation:
        state = DeviceState(data)
        try:
            device = state.device()
        except StateError:
            return cls(None, None)
        try:
            return cls(device, state.load())
        except StateError:
            return cls(device, None)

    @property
    def enrolled(self) -> bool:
        return self.device is not None

    @property
    def disabled_at(self) -> datetime | None:
        return self.snapshot.disabled_at if self.snapshot is not None else None

    @property
    def can_decide(self) -> bool:
        return self.snapshot is not None and self.snapshot.can_decide


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _offline(s: Situation, then: str = "retry later") -> str:
    """What the gate does while it cannot sync, in its state; `then` what the operator does."""
    assert s.device is not None
    who = f"gate {s.device.name} ({s.device.device_id}, site {s.device.site})"
    if not s.can_decide:
        return (f"{who} is enrolled but holds no usable bundle yet, so it cannot decide passes until a sync "
                "succeeds; " + ("check the network, then run 'qrgate-scanner sync'" if then == "retry later" else then))
    assert s.snapshot is not None and s.snapshot.policy is not None
    synced = _when(s.snapshot.synced_at) if s.snapshot.synced_at else "unknown"
    hours = s.snapshot.policy.max_data_age / 3600
    return (f"{who} keeps deciding offline with the data of its last sync ({synced}, good for {hours:g} h by "
            f"the site's policy) and keeps its entries; {then}")


def explain(exc: SyncError, data: Path, *, enrolling: bool = False) -> str:
    """The one line for a failed enrol or sync, true for the state the device in `data` is in.

    `enrolling`: the failure came from `enroll` (an enrolled folder being enrolled again keeps its
    old enrolment: nothing is stored until the gateway's answer verifies).
    """
    s = Situation.of(data)
    admin = "contact the admin"
    if isinstance(exc, GatewayRefused) and exc.disabled:
        return f"{exc}: the admin disabled this gate; " + (_offline(s, admin) if s.enrolled else admin)
    if s.disabled_at is not None:  # disabled before, and now the gateway cannot even be asked
        return f"{exc}: the gateway disabled this gate on {_when(s.disabled_at)}; {_offline(s, admin)}"
    if not s.enrolled:
        if isinstance(exc, GatewayRefused):
            return (f"{exc}: this gate is not enrolled (nothing was stored); ask the admin for a new enrolment "
                    "token (the console's site page)")
        return (f"{exc}: this gate is not enrolled yet (nothing was stored); check --gateway (the address on "
                "the console's enrolment QR) and that the gateway runs, then enroll again")
    if enrolling:
        then = admin if isinstance(exc, GatewayRefused) else "retry later"
        return f"{exc}: not enrolled again, the enrolment it had is kept; {_offline(s, then)}"
    if isinstance(exc, GatewayRefused):
        return f"{exc}: {_offline(s, admin)}"
    return f"{exc}: {_offline(s)}"
