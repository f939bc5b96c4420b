"""The device's state in its data folder; everything signed is verified again when loaded.

    DATA/device.json    enrolment: gateway URL, device id, site, credential   (mode 0600)
    DATA/trust.json     the trusted issuer keys (JWKS): first from enrolment, then from each bundle
    DATA/bundle.json    the signed revocation documents (a full list and the deltas on it),
                        the signed site policy, the last sync time and the measured clock offset
    DATA/disabled.json  present while the gateway refuses this device (403 device_disabled): since when
    DATA/entries.db     the entry log (scanner/log.py)
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from keys import (
    DocumentError,
    RevocationList,
    Secret,
    SitePolicy,
    TrustSet,
    load_policy,
    load_revocations,
)

MAX_DELTAS = 100  # beyond this many stored deltas the next sync asks for a full list


class StateError(Exception):
    """The data folder is missing, not enrolled or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Device:
    gateway: str
    device_id: str
    site: str
    name: str
    credential: Secret = field(repr=False)

    def to_json(self) -> dict[str, str]:
        return {"gateway": self.gateway, "device_id": self.device_id, "site": self.site,
                "name": self.name, "credential": self.credential.reveal().decode()}


@dataclass(frozen=True)
class Snapshot:
    """What the gate decides with; replaced whole by each sync, so readers never see half of one."""

    trust: TrustSet
    revocations: RevocationList | None
    policy: SitePolicy | None
    clock_offset: float | None = None  # seconds to add to the local clock
    synced_at: datetime | None = None  # gateway time of the last successful bundle
    problem: str | None = None         # why the stored bundle could not be used, if so
    disabled_at: datetime | None = None  # when the gateway first answered device_disabled, if it does

    @property
    def can_decide(self) -> bool:
        return self.revocations is not None and self.policy is not None


def write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write atomically and durably: a power cut leaves the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class DeviceState:
    """Reads and writes the files of one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir)

    @property
    def log_path(self) -> Path:
        return self.dir / "entries.db"

    def ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    # enrolment ----------------------------------------------------------------
    def save_device(self, device: Device, jwks: dict[str, Any]) -> None:
        TrustSet.from_jwks(jwks)  # refuse to store a trust set we could not load
        self.ensure_dir()
        write_file(self.dir / "device.json", json.dumps(device.to_json(), indent=2).encode())
        write_file(self.dir / "trust.json", json.dumps(jwks, indent=2).encode(), 0o644)
        (self.dir / "bundle.json").unlink(missing_ok=True)  # a new enrolment starts from scratch
        (self.dir / "disabled.json").unlink(missing_ok=True)

    def device(self) -> Device:
        path = self.dir / "device.json"
        if not path.exists():
            raise StateError(f"{self.dir} is not enrolled: run 'qrgate-scanner enroll' first")
        try:
            raw = json.loads(path.read_text())
            return Device(gateway=str(raw["gateway"]), device_id=str(raw["device_id"]),
                          site=str(raw["site"]), name=str(raw.get("name", "")),
                          credential=Secret(str(raw["credential"])))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(f"{path} is unreadable ({type(exc).__name__}): enrol again") from None

    def trust(self) -> TrustSet:
        path = self.dir / "trust.json"
        try:
            return TrustSet.from_jwks(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise StateError(f"{path} is unreadable ({exc}): enrol again") from None

    def save_trust(self, trust: TrustSet) -> None:
        write_file(self.dir / "trust.json", json.dumps(trust.to_jwks(), indent=2).encode(), 0o644)

    # disabled by the admin ------------------------------------------------------------
    def disabled_at(self) -> datetime | None:
        """When the gateway started refusing this device, or None while it is accepted."""
        path = self.dir / "disabled.json"
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            raw = None
        # a damaged file still means "disabled": the gateway said so; the time is then unknown
        return _when(raw.get("since") if isinstance(raw, dict) else None) or datetime.fromtimestamp(0).astimezone()

    def mark_disabled(self, at: datetime, message: str) -> bool:
        """Record that the gateway refuses this device; True if it was not recorded before."""
        if self.disabled_at() is not None:
            return False
        write_file(self.dir / "disabled.json", json.dumps({"since": at.isoformat(), "message": message}).encode(),
                   0o644)
        return True

    def clear_disabled(self) -> bool:
        """The gateway accepted the device again; True if it had been disabled."""
        path = self.dir / "disabled.json"
        if not path.exists():
            return False
        path.unlink(missing_ok=True)
        return True

    # bundle ---------------------------------------------------------------------
    def raw_bundle(self) -> dict[str, Any]:
        path = self.dir / "bundle.json"
        if not path.exists():
            return {}
        try:
            raw = json.loads(path.read_text())
            return raw if isinstance(raw, dict) else {}
        except (OSError, ValueError):
            return {}

    def save_bundle(self, revocation_docs: list[bytes], policy_doc: bytes, *, synced_at: datetime,
                    clock_offset: float) -> None:
        body = {"revocations": [_b64(d) for d in revocation_docs], "policy": _b64(policy_doc),
                "synced_at": synced_at.isoformat(), "clock_offset": clock_offset}
        write_file(self.dir / "bundle.json", json.dumps(body).encode(), 0o644)

    def load(self) -> Snapshot:
        """The trust set and the verified bundle; a bundle that fails to verify leaves the gate unable to decide."""
        trust = self.trust()
        raw = self.raw_bundle()
        offset = raw.get("clock_offset")
        offset = float(offset) if isinstance(offset, int | float) else None
        synced_at = _when(raw.get("synced_at"))
        disabled = self.disabled_at()
        if not raw:
            return Snapshot(trust, None, None, offset, synced_at, "no bundle yet: sync with the gateway", disabled)
        try:
            docs = [_unb64(d) for d in raw.get("revocations", [])]
            if not docs:
                raise DocumentError("no revocation list stored")
            revocations = load_revocations(docs[0], trust)
            for delta in docs[1:]:
                revocations = load_revocations(delta, trust, revocations)
            policy = load_policy(_unb64(raw.get("policy")), trust)
        except (DocumentError, ValueError, TypeError) as exc:
            return Snapshot(trust, None, None, offset, synced_at, f"stored bundle rejected: {exc}", disabled)
        return Snapshot(trust, revocations, policy, offset, synced_at, disabled_at=disabled)

    def revocation_docs(self) -> list[bytes]:
        try:
            return [_unb64(d) for d in self.raw_bundle().get("revocations", [])]
        except (ValueError, TypeError):
            return []


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text, validate=True)


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
