"""Enrolment and sync with the gateway (docs/device-api.md), over plain urllib: light on a gate device.

    SyncError
    ├── GatewayUnreachable   network down, timeout, 5xx: retry later with backoff
    └── GatewayRefused       4xx: enrolment invalid, device disabled, bad data: a person must act
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from keys import (
    DocumentError,
    Secret,
    TrustSet,
    accept_keyset,
    fingerprint,
    load_policy,
    load_revocations,
    open_document,
)
from keys.trust import b64url_decode

from .clock import DEFAULT_MAX_JUMP, NOTICE_JUMP, ClockAnchor, boot_clock, measure
from .log import EntryLog, Stored
from .state import MAX_DELTAS, Device, DeviceState, Snapshot, StateError

TIME_DOC_TYPE = "qrgate/time"
BATCH = 500
TIMEOUT = 15.0
MAX_RESPONSE = 64 * 1024 * 1024
ENROL_PREFIX = "QGENROLL:"
DEVICE_DISABLED = "device_disabled"
DISABLED_BACKOFF = 900.0  # a disabled gate asks again every ~15 min: a person must act, retrying won't help


class SyncError(Exception):
    pass


class GatewayUnreachable(SyncError):
    pass


class GatewayRefused(SyncError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"gateway refused ({status} {code}): {message}")
        self.status, self.code = status, code

    @property
    def disabled(self) -> bool:
        return self.code == DEVICE_DISABLED


def _request(method: str, url: str, body: Any = None, credential: Secret | None = None,
             timeout: float = TIMEOUT) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if credential is not None:
        req.add_header("Authorization", "Bearer " + credential.reveal().decode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise GatewayUnreachable(f"gateway error {exc.code}") from None
        code, message = "http_" + str(exc.code), exc.reason
        try:
            err = json.loads(exc.read(65536))["error"]
            code, message = str(err.get("code", code)), str(err.get("message", message))
        except (ValueError, KeyError, TypeError, OSError):
            pass
        raise GatewayRefused(exc.code, code, message) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror  # "Connection refused", not "[Errno 111] Connection refused"
        raise GatewayUnreachable(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {reason}") from None
    if len(raw) > MAX_RESPONSE:
        raise SyncError("gateway response too large")
    try:
        return json.loads(raw)
    except ValueError:
        raise SyncError("gateway answered with something that is not JSON") from None


def check_gateway_url(url: str) -> str:
    """Validate a gateway URL; ValueError says what is wrong."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"gateway URL must be http(s)://host[:port], not {url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def parse_enrolment_qr(text: str) -> tuple[str, str]:
    """`QGENROLL:{"gateway": ..., "token": ...}` → (gateway URL, token); ValueError if not one."""
    gateway, token, _ = parse_enrolment(text)
    return gateway, token


def parse_enrolment(text: str) -> tuple[str, str, str | None]:
    """As parse_enrolment_qr, with the root fingerprint the QR names (None if it names none)."""
    if not text.startswith(ENROL_PREFIX):
        raise ValueError("not an enrolment QR (QGENROLL:...)")
    try:
        body = json.loads(text[len(ENROL_PREFIX):])
    except ValueError:
        raise ValueError("enrolment QR does not hold JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not body["token"]:
        raise ValueError("enrolment QR has no token")
    root = body.get("root")
    return check_gateway_url(str(body.get("gateway", ""))), body["token"], root if isinstance(root, str) else None


def _server_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise SyncError("gateway sent no server_time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SyncError("gateway sent a bad server_time") from None
    if moment.tzinfo is None:
        raise SyncError("gateway server_time has no offset")
    return moment


def _same_fingerprint(a: str, b: str) -> bool:
    return a.replace("-", "").replace(" ", "").lower() == b.replace("-", "").replace(" ", "").lower()


def enroll(gateway: str, token: str, data_dir: Path, name: str = "gate", expect_root: str | None = None) -> Device:
    """Exchange a single-use enrolment token for this device's credential, and pin the root of trust.

    `expect_root` (from the enrolment QR or --root) is the fingerprint the console shows: an answer
    pinning any other root is refused, and nothing is stored.
    """
    gateway = check_gateway_url(gateway)
    answer = _request("POST", gateway + "/api/v1/devices/enroll", {"token": token, "name": name})
    try:
        device = Device(gateway=gateway, device_id=str(answer["device_id"]), site=str(answer["site"]),
                        name=name, credential=Secret(str(answer["credential"])),
                        direction=str(answer.get("direction", "both")))
        jwks = answer["jwks"]
        TrustSet.from_jwks(jwks)
        root = b64url_decode(answer["root"])
        keyset = _doc(answer, "keyset")
        # the gate's clock is not known yet: the key set's own validity is checked at the first sync
        accept_keyset(keyset, [], root, None, now=None)
    except (KeyError, TypeError, ValueError, DocumentError, SyncError) as exc:
        raise SyncError(f"gateway enrolment answer is malformed: {exc}") from None
    if expect_root is not None and not _same_fingerprint(expect_root, fingerprint(root)):
        raise GatewayRefused(200, "root_mismatch", f"the gateway pins root {fingerprint(root)}, "
                                                   f"not {expect_root} as the enrolment QR/--root says")
    DeviceState(data_dir).save_device(device, jwks, root=root, keyset=keyset)
    return device


@dataclass(frozen=True)
class SyncResult:
    snapshot: Snapshot
    pushed: int
    duplicates: int
    alerts: list[dict[str, Any]]


def _doc(bundle: dict[str, Any], name: str) -> bytes:
    value = bundle.get(name)
    if not isinstance(value, str):
        raise SyncError(f"bundle has no {name}")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise SyncError(f"bundle {name} is not base64") from None


class BundleRefused(GatewayRefused):
    """The gateway answered, but with documents this gate must not use; it keeps what it held."""

    def __init__(self, message: str) -> None:
        super().__init__(200, "bundle_rejected", message)
        self.reason = message


def pull_bundle(state: DeviceState, device: Device, *, max_clock_jump: float = DEFAULT_MAX_JUMP,
                full: bool = False) -> Snapshot:
    """Fetch, verify and store the bundle; nothing is stored unless all of it verifies.

    A stored delta chain that no longer verifies under the new key set (its key was withdrawn)
    makes the gate ask again for the full list: a gate never stays stuck on what it held.
    """
    current = state.load()
    roots = state.pinned_root()
    docs = state.revocation_docs() if current.revocations is not None and not full else []
    since = current.revocations.seq if current.revocations is not None and docs and len(docs) <= MAX_DELTAS \
        else None
    nonce = secrets.token_bytes(16)
    query = {"nonce": nonce.hex(), **({"since": str(since)} if since is not None else {})}
    url = device.gateway + "/api/v1/devices/bundle?" + urllib.parse.urlencode(query)
    wall_sent, boot_sent = time.time(), boot_clock()
    bundle = _request("GET", url, credential=device.credential)
    wall_got, boot_got = time.time(), boot_clock()
    if not isinstance(bundle, dict):
        raise BundleRefused("bundle is not a JSON object")
    if roots is None:
        raise BundleRefused("no root of trust pinned at enrolment: enrol this gate again")
    wall_mid = (wall_sent + wall_got) / 2
    boot_mid = (boot_got[0], (boot_sent[1] + boot_got[1]) / 2) if boot_sent[0] == boot_got[0] else boot_got
    believed = _believed_now(current.anchor, wall_mid, boot_mid)
    try:
        chain = [_doc({"d": d}, "d") for d in bundle.get("root_chain") or []]
        keyset_doc = _doc(bundle, "keyset")
        accepted = accept_keyset(keyset_doc, chain, roots[0], state.held_keyset(),
                                 now=datetime.fromtimestamp(believed, UTC))
        trust = accepted.keyset.trust_set()
        server = _signed_time(bundle, trust, nonce, device)
        rev_doc = _doc(bundle, "revocations")
        if bundle.get("revocations_kind") == "delta" and docs:
            try:
                # re-verify the stored chain with the new trust, so a withdrawn key's list is not kept
                base = load_revocations(docs[0], trust)
                for d in docs[1:]:
                    base = load_revocations(d, trust, base)
                revocations = load_revocations(rev_doc, trust, base)
            except DocumentError as exc:
                if full:
                    raise
                _record(state, "revocations_refetch", f"stored revocations no longer verify ({exc}): "
                                                      "asking for the full list")
                return pull_bundle(state, device, max_clock_jump=max_clock_jump, full=True)
            docs = [*docs, rev_doc]
        else:
            revocations = load_revocations(rev_doc, trust)
            docs = [rev_doc]
        policy_doc = _doc(bundle, "policy")
        policy = load_policy(policy_doc, trust)
    except (DocumentError, SyncError) as exc:
        raise BundleRefused(str(exc)) from None
    if current.revocations is not None and revocations.issued_at < current.revocations.issued_at:
        # every bundle is signed afresh: an older list is a replay that would un-revoke passes
        raise BundleRefused("revocation list is older than the one this gate holds")
    if policy.site != device.site:
        raise BundleRefused(f"policy is for site {policy.site}, not {device.site}")
    anchor, held = _clock(state, current.anchor, measure(server, wall_mid, boot_mid), believed, max_clock_jump)
    synced_at = datetime.fromtimestamp(server, UTC).replace(microsecond=0)
    state.save_keyset(keyset_doc, pinned=accepted.pinned, signed_by=accepted.signed_by)
    state.save_trust(trust)
    state.save_bundle(docs, policy_doc, synced_at=synced_at, clock_offset=anchor.offset, anchor=anchor, held=held)
    return state.load()


def _believed_now(anchor: ClockAnchor | None, wall: float, boot: tuple[str, float]) -> float:
    return anchor.now(wall, boot)[0] if anchor is not None else wall


def _signed_time(bundle: dict[str, Any], trust: TrustSet, nonce: bytes, device: Device) -> float:
    """The gateway's time, signed with our nonce: a recorded answer cannot be replayed to move the clock."""
    opened = open_document(_doc(bundle, "time"), trust, TIME_DOC_TYPE)
    body = opened.body
    if not isinstance(body, dict) or body.get("nonce") != nonce:
        raise DocumentError("time: not the answer to this request (a replay?)")
    if body.get("device") != device.device_id:
        raise DocumentError("time: signed for another device")
    ms = body.get("ms")
    if not isinstance(ms, int) or isinstance(ms, bool) or abs(ms / 1000 - opened.issued_at.timestamp()) > 1:
        raise DocumentError("time: bad time")
    return ms / 1000


def _clock(state: DeviceState, anchor: ClockAnchor | None, measured: ClockAnchor, believed: float,
           max_jump: float) -> tuple[ClockAnchor, ClockAnchor | None]:
    """(the anchor to use, a measurement held for an admin). A jump beyond `max_jump` is not applied
    while the gate can tell the time itself (same boot); a smaller one is applied, and noted if large."""
    jump = measured.server - believed
    same_boot = anchor is not None and anchor.boot_id == measured.boot_id
    if anchor is not None and same_boot and abs(jump) > max_jump:
        if state.held_clock() is None or abs((state.held_clock() or measured).server - measured.server) > 60:
            _record(state, "clock_jump_held", f"the gateway's signed time is {jump:+.0f} s from this gate's: "
                                              "not applied; an admin must confirm (qrgate-scanner clock accept)")
        return anchor, measured
    if anchor is not None and abs(jump) > NOTICE_JUMP:
        _record(state, "clock_jump", f"clock corrected by {jump:+.0f} s from the gateway's signed time"
                + ("" if same_boot else " (after a restart)"))
    return measured, None


REFUSED_INPUT = frozenset({400, 413, 422})  # the gateway will never take these bytes, however often sent


def push_entries(log: EntryLog, device: Device, batch: int = BATCH) -> tuple[int, int, list[dict[str, Any]]]:
    """Upload unsent entries in batches, marking each batch sent once the gateway has it."""
    pushed = duplicates = 0
    alerts: list[dict[str, Any]] = []
    while rows := log.unsent(batch):
        p, d, a = _upload(log, device, rows)
        pushed, duplicates = pushed + p, duplicates + d
        alerts.extend(a)
    return pushed, duplicates, alerts


def _upload(log: EntryLog, device: Device, rows: list[Stored]) -> tuple[int, int, list[dict[str, Any]]]:
    """Send `rows`; when the gateway refuses the batch's content, halve it until the refused entries
    are found, so that one bad entry can never hold back every entry behind it."""
    try:
        answer = _request("POST", device.gateway + "/api/v1/entries", {"entries": [r.entry for r in rows]},
                          credential=device.credential)
    except GatewayRefused as exc:
        if exc.status not in REFUSED_INPUT:
            raise
        if len(rows) == 1:
            log.mark_refused(rows[0].seq, str(exc), datetime.now().astimezone())
            return 0, 0, []
        half = len(rows) // 2
        first, second = _upload(log, device, rows[:half]), _upload(log, device, rows[half:])
        return first[0] + second[0], first[1] + second[1], first[2] + second[2]
    if not isinstance(answer, dict):
        raise SyncError("entries answer is not a JSON object")
    log.mark_sent([r.seq for r in rows])
    alerts = [a for a in answer.get("alerts", []) or [] if isinstance(a, dict)]
    return int(answer.get("accepted", 0) or 0), int(answer.get("duplicates", 0) or 0), alerts


def sync_once(data_dir: Path, max_clock_jump: float = DEFAULT_MAX_JUMP) -> SyncResult:
    """Pull the bundle, then push the unsent entries; a device_disabled refusal is recorded, then raised.

    A refused bundle is recorded and reported to the gateway (the console shows "cannot update").
    """
    state = DeviceState(data_dir)
    device = state.device()
    try:
        try:
            pull_bundle(state, device, max_clock_jump=max_clock_jump)
        except BundleRefused as exc:
            if state.update_problem()[0] != exc.reason:
                _record(state, "bundle_rejected", exc.reason)
                state.set_update_problem(exc.reason, reported=False)
            _report_problem(state, device)
            raise
        if state.update_problem()[0] is not None:
            state.set_update_problem(None, reported=False)
        _report_problem(state, device)
        if state.clear_disabled():
            _record(state, "device_enabled", "the gateway accepts this device again")
        with EntryLog(state.log_path) as log:
            pushed, duplicates, alerts = push_entries(log, device)
        if (state.dir / "checkpoint.db").exists():  # a checkpoint's vehicle records, queued like entries
            from .checkpoint import RecordQueue, push_records

            with RecordQueue(state.dir) as queue:
                push_records(queue, device)
    except GatewayRefused as exc:
        if exc.disabled and state.mark_disabled(datetime.now().astimezone(), str(exc)):
            _record(state, DEVICE_DISABLED, str(exc))
        raise
    return SyncResult(state.load(), pushed, duplicates, alerts)


def _report_problem(state: DeviceState, device: Device) -> None:
    """Tell the gateway once whether this gate can use its bundles; retried at the next contact."""
    problem, reported = state.update_problem()
    if reported:
        return
    try:
        _request("POST", device.gateway + "/api/v1/devices/status", {"problem": problem},
                 credential=device.credential)
    except SyncError:
        return  # not reported yet: the next contact tries again
    state.set_update_problem(problem, reported=True)


def _record(state: DeviceState, kind: str, detail: str) -> None:
    with EntryLog(state.log_path) as log:
        log.record_event(kind, detail, datetime.now().astimezone())


class BackgroundSync:
    """Syncs every `interval` seconds in a thread; backs off exponentially while the gateway is away."""

    def __init__(self, data_dir: Path, on_snapshot: Callable[[Snapshot], None], interval: float = 60.0,
                 cap: float = 300.0, on_error: Callable[[str], None] | None = None,
                 max_clock_jump: float = DEFAULT_MAX_JUMP) -> None:
        self.data_dir, self.on_snapshot = Path(data_dir), on_snapshot
        self.max_clock_jump = max_clock_jump
        self.interval, self.cap, self.on_error = interval, cap, on_error
        self.failures = 0
        self.attempts = 0
        self.disabled = False  # the gateway answered device_disabled: ask again only every ~15 min
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=TIMEOUT + 5)

    def kick(self) -> None:
        """Sync now rather than at the next interval."""
        self._wake.set()

    def delay(self) -> float:
        if self.disabled:
            return max(self.interval, DISABLED_BACKOFF) * random.uniform(0.9, 1.0)
        if not self.failures:
            return self.interval
        # exponential with jitter, so a fleet of gates does not return all at once
        base = min(self.cap, min(self.interval, 5.0) * 2 ** min(self.failures - 1, 16))
        return base * random.uniform(0.8, 1.0)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.attempts += 1
            try:
                result = sync_once(self.data_dir, self.max_clock_jump)
                self.failures, self.last_error, self.disabled = 0, None, False
                self.on_snapshot(result.snapshot)
            except (SyncError, StateError, OSError) as exc:
                self.failures += 1
                self.last_error = str(exc)
                if isinstance(exc, GatewayRefused) and exc.disabled:
                    self.disabled = True
                    self._show_disabled()
                elif isinstance(exc, BundleRefused):
                    self._show_disabled()  # the guard sees "cannot update" at once
                if self.on_error:
                    self.on_error(self.last_error)
            self._wake.wait(self.delay())
            self._wake.clear()


    def _show_disabled(self) -> None:
        """Hand the gate its stored data again, now marked disabled, so the guard sees it at once."""
        try:
            self.on_snapshot(DeviceState(self.data_dir).load())
        except (StateError, OSError) as exc:
            self.last_error = f"{self.last_error}; {exc}"


def age(synced_at: datetime | None, now: datetime) -> timedelta | None:
    return now - synced_at if synced_at else None
