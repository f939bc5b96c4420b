"""The device's state in its data folder; everything signed is verified again when loaded.

    DATA/device.json    enrolment: gateway URL, device id, site, credential   (mode 0600)
    DATA/root.json      the root of trust pinned at enrolment (and the root that signed the held key set)
    DATA/keyset.cose    the key set the root signed: the issuing keys this gate trusts, the withdrawn ones
    DATA/trust.json     the trust set in JWKS form (read only by a gate enrolled without a root)
    DATA/bundle.json    the signed revocation index and the parts it names (or, kept from before
                        partitions, a full list and the deltas on it), the signed site policy, the
                        bundle's ETag, the signed time that vouched for the index, the last sync time
                        and the clock anchor (scanner/clock.py), and a clock jump held for an admin
    DATA/problem.json   present while the bundles this gate receives cannot be used: why, and if reported
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
    KeySet,
    RevocationList,
    Secret,
    SitePolicy,
    TrustSet,
    load_keyset,
    load_partitioned,
    load_policy,
    load_revocation_index,
    load_revocations,
    open_document,
)
from keys.policy import DIRECTIONS
from keys.trust import b64url, b64url_decode

from .clock import ClockAnchor

MAX_DELTAS = 100  # beyond this many stored deltas the next sync asks for a full list
TIME_DOC_TYPE = "qrgate/time"


class StateError(Exception):
    """The data folder is missing, not enrolled or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Device:
    gateway: str
    device_id: str
    site: str
    name: str
    credential: Secret = field(repr=False)
    direction: str = "both"  # in | out | both, from the enrolment

    def to_json(self) -> dict[str, str]:
        return {"gateway": self.gateway, "device_id": self.device_id, "site": self.site,
                "name": self.name, "credential": self.credential.reveal().decode(),
                "direction": self.direction}


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
    anchor: ClockAnchor | None = None  # the gateway's signed time carried on the boot clock
    held_jump: float | None = None     # seconds of a clock jump waiting for an admin (not applied)
    update_problem: str | None = None  # why the last bundle was refused ("cannot update: ...")

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
    def save_device(self, device: Device, jwks: dict[str, Any], root: bytes | None = None,
                    keyset: bytes | None = None) -> None:
        TrustSet.from_jwks(jwks)  # refuse to store a trust set we could not load
        self.ensure_dir()
        write_file(self.dir / "device.json", json.dumps(device.to_json(), indent=2).encode())
        write_file(self.dir / "trust.json", json.dumps(jwks, indent=2).encode(), 0o644)
        for name in ("bundle.json", "disabled.json", "problem.json", "root.json", "keyset.cose"):
            (self.dir / name).unlink(missing_ok=True)  # a new enrolment starts from scratch
        if root is not None and keyset is not None:
            self.save_keyset(keyset, pinned=root, signed_by=root)

    # root of trust ------------------------------------------------------------------
    def pinned_root(self) -> tuple[bytes, bytes] | None:
        """(the pinned root, the root that signed the held key set), or None for a gate enrolled without one."""
        path = self.dir / "root.json"
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text())
            return b64url_decode(raw["pinned"]), b64url_decode(raw["signed_by"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(f"{path} is unreadable ({type(exc).__name__}): enrol again") from None

    def held_keyset(self) -> KeySet | None:
        """The key set held, verified again against the root that signed it."""
        roots = self.pinned_root()
        if roots is None:
            return None
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        path = self.dir / "keyset.cose"
        try:
            return load_keyset(path.read_bytes(), Ed25519PublicKey.from_public_bytes(roots[1]))
        except (OSError, ValueError) as exc:
            raise StateError(f"{path} is unreadable or does not verify ({exc}): enrol again") from None

    def save_keyset(self, doc: bytes, *, pinned: bytes, signed_by: bytes) -> None:
        write_file(self.dir / "keyset.cose", doc, 0o644)
        write_file(self.dir / "root.json", json.dumps({"pinned": b64url(pinned), "signed_by": b64url(signed_by)},
                                                      indent=2).encode(), 0o644)

    # a bundle this gate could not use ---------------------------------------------------
    def update_problem(self) -> tuple[str | None, bool]:
        """(why the last bundle was refused or None, whether the gateway has been told)."""
        path = self.dir / "problem.json"
        if not path.exists():
            return None, True
        try:
            raw = json.loads(path.read_text())
            problem = raw["problem"]
            return (None if problem is None else str(problem)), bool(raw.get("reported"))
        except (OSError, ValueError, KeyError, TypeError):
            return "unreadable problem.json", False

    def set_update_problem(self, problem: str | None, *, reported: bool) -> None:
        path = self.dir / "problem.json"
        if problem is None and reported:
            path.unlink(missing_ok=True)
            return
        write_file(path, json.dumps({"problem": problem, "reported": reported}).encode(), 0o644)

    def device(self) -> Device:
        path = self.dir / "device.json"
        if not path.exists():
            raise StateError(f"{self.dir} is not enrolled: run 'qrgate-scanner enroll --gateway URL --token TOKEN "
                             f"--data {self.dir}' first (the token is on the console's site page)")
        try:
            raw = json.loads(path.read_text())
            return Device(gateway=str(raw["gateway"]), device_id=str(raw["device_id"]),
                          site=str(raw["site"]), name=str(raw.get("name", "")),
                          credential=Secret(str(raw["credential"])),
                          direction=_direction(raw.get("direction", "both")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(f"{path} is unreadable ({type(exc).__name__}): enrol again") from None

    def trust(self) -> TrustSet:
        """The issuing keys: from the root-signed key set, or (enrolled without a root) trust.json."""
        keyset = self.held_keyset()
        if keyset is not None:
            return keyset.trust_set()
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
                    clock_offset: float, anchor: ClockAnchor | None = None,
                    held: ClockAnchor | None = None) -> None:
        body: dict[str, Any] = {"revocations": [_b64(d) for d in revocation_docs], "policy": _b64(policy_doc),
                                "synced_at": synced_at.isoformat(), "clock_offset": clock_offset}
        if anchor is not None:
            body["clock"] = anchor.to_json()
        if held is not None:
            body["clock_held"] = held.to_json()
        write_file(self.dir / "bundle.json", json.dumps(body).encode(), 0o644)

    def save_partitioned(self, *, etag: str | None, index: bytes, parts: dict[bytes, bytes], policy_doc: bytes,
                         time_doc: bytes | None, synced_at: datetime, clock_offset: float,
                         anchor: ClockAnchor | None = None, held: ClockAnchor | None = None) -> None:
        """Store a bundle: the index, its parts (by prefix), the policy, the time that vouched for the index."""
        body: dict[str, Any] = {"etag": etag, "index": _b64(index),
                                "parts": {p.hex() or "all": _b64(d) for p, d in sorted(parts.items())},
                                "policy": _b64(policy_doc), "synced_at": synced_at.isoformat(),
                                "clock_offset": clock_offset}
        if time_doc is not None:
            body["time"] = _b64(time_doc)
        if anchor is not None:
            body["clock"] = anchor.to_json()
        if held is not None:
            body["clock_held"] = held.to_json()
        write_file(self.dir / "bundle.json", json.dumps(body).encode(), 0o644)

    def held_documents(self) -> HeldDocuments:
        """The signed documents of the stored bundle, as stored (load() is what verifies them)."""
        raw = self.raw_bundle()
        try:
            parts = {bytes.fromhex("" if p == "all" else p): _unb64(d) for p, d in (raw.get("parts") or {}).items()}
            return HeldDocuments(raw.get("etag") if isinstance(raw.get("etag"), str) else None,
                                 _unb64(raw["index"]) if "index" in raw else None, parts,
                                 _unb64(raw["policy"]) if "policy" in raw else None,
                                 _unb64(raw["time"]) if "time" in raw else None)
        except (ValueError, TypeError):
            return HeldDocuments(None, None, {}, None, None)

    def held_clock(self) -> ClockAnchor | None:
        """A measurement of the gateway's time that jumped too far to apply without an admin."""
        return ClockAnchor.from_json(self.raw_bundle().get("clock_held"))

    def accept_held_clock(self) -> ClockAnchor | None:
        """The admin confirmed the held jump: it becomes the anchor. None if nothing was held."""
        raw = self.raw_bundle()
        held = ClockAnchor.from_json(raw.get("clock_held"))
        if held is None:
            return None
        raw["clock"], raw["clock_offset"] = held.to_json(), held.offset
        raw.pop("clock_held", None)
        write_file(self.dir / "bundle.json", json.dumps(raw).encode(), 0o644)
        return held

    def load(self) -> Snapshot:
        """The trust set and the verified bundle; a bundle that fails to verify leaves the gate unable to decide."""
        trust = self.trust()
        raw = self.raw_bundle()
        offset = raw.get("clock_offset")
        offset = float(offset) if isinstance(offset, int | float) else None
        synced_at = _when(raw.get("synced_at"))
        disabled = self.disabled_at()
        anchor = ClockAnchor.from_json(raw.get("clock"))
        held = ClockAnchor.from_json(raw.get("clock_held"))
        held_jump = held.server - anchor.server - (held.boot - anchor.boot) if held and anchor else None
        extra: dict[str, Any] = {"anchor": anchor, "held_jump": held_jump, "update_problem": self.update_problem()[0]}
        if not raw:
            return Snapshot(trust, None, None, offset, synced_at, "no bundle yet: sync with the gateway", disabled,
                            **extra)
        try:
            revocations = self._revocations(raw, trust)
            policy = load_policy(_unb64(raw.get("policy")), trust)
        except (DocumentError, ValueError, TypeError) as exc:
            return Snapshot(trust, None, None, offset, synced_at, f"stored bundle rejected: {exc}", disabled,
                            **extra)
        return Snapshot(trust, revocations, policy, offset, synced_at, disabled_at=disabled, **extra)

    def _revocations(self, raw: dict[str, Any], trust: TrustSet) -> RevocationList:
        if "index" not in raw:  # kept from before partitions: a full list and its deltas, each signed at sync
            docs = [_unb64(d) for d in raw.get("revocations", [])]
            if not docs:
                raise DocumentError("no revocation list stored")
            revocations = load_revocations(docs[0], trust)
            for delta in docs[1:]:
                revocations = load_revocations(delta, trust, revocations)
            return revocations
        held = self.held_documents()
        assert held.index is not None
        index = load_revocation_index(held.index, trust)
        revocations = load_partitioned(index, held.parts, trust)
        if held.time is not None and (self.dir / "device.json").exists():
            at = vouched_at(held.time, trust, self.device().device_id, index.digest)
            if at is not None:
                revocations = revocations.vouched(at)
        return revocations

    def revocation_docs(self) -> list[bytes]:
        try:
            return [_unb64(d) for d in self.raw_bundle().get("revocations", [])]
        except (ValueError, TypeError):
            return []


@dataclass(frozen=True)
class HeldDocuments:
    etag: str | None
    index: bytes | None
    parts: dict[bytes, bytes]
    policy: bytes | None
    time: bytes | None


def read_time(doc: bytes, trust: TrustSet, device_id: str) -> tuple[datetime, bytes | None, bytes | None]:
    """(the signed time, its nonce, the digest of the revocation index it vouches for); DocumentError."""
    opened = open_document(doc, trust, TIME_DOC_TYPE)
    body = opened.body
    if not isinstance(body, dict) or body.get("device") != device_id:
        raise DocumentError("time: signed for another device")
    ms = body.get("ms")
    if not isinstance(ms, int) or isinstance(ms, bool) or abs(ms / 1000 - opened.issued_at.timestamp()) > 1:
        raise DocumentError("time: bad time")
    nonce, index = body.get("nonce"), body.get("revocations")
    return (datetime.fromtimestamp(ms / 1000, opened.issued_at.tzinfo),
            nonce if isinstance(nonce, bytes) else None, index if isinstance(index, bytes) else None)


def vouched_at(doc: bytes, trust: TrustSet, device_id: str, index_digest: bytes) -> datetime | None:
    """When the gateway's signed time said the index with this digest was the current list, if it did."""
    try:
        at, _, named = read_time(doc, trust, device_id)
    except DocumentError:
        return None
    return at if named == index_digest else None


def _direction(value: object) -> str:
    if value not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    return str(value)


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
