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
    load_partitioned,
    load_policy,
    load_revocation_index,
)
from keys.revocations import digest as revocation_digest
from keys.trust import b64url_decode

from .clock import DEFAULT_MAX_JUMP, NOTICE_JUMP, ClockAnchor, boot_clock, measure
from .log import EntryLog, Stored
from .state import Device, DeviceState, Snapshot, StateError, read_time

TIME_DOC_TYPE = "qrgate/time"
TIME_NONCE, TIME = "Qrgate-Time-Nonce", "Qrgate-Time"  # the bundle's request and answer headers: one-request sync
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


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body, headers, and when its headers arrived (wall, boot clock)."""

    status: int
    body: bytes
    headers: Any  # http.client.HTTPMessage: case-insensitive .get
    received: tuple[float, tuple[str, float]]

    @property
    def etag(self) -> str | None:
        got = self.headers.get("ETag")
        return got.strip().removeprefix("W/").strip('"') if got else None


def _http(method: str, url: str, body: Any = None, credential: Secret | None = None,
          timeout: float = TIMEOUT, etag: str | None = None, accept: str = "application/json",
          headers: dict[str, str] | None = None) -> Answer:
    """One request; a 304 when `etag` (If-None-Match) is still current is an answer, not an error."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", accept)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if credential is not None:
        req.add_header("Authorization", "Bearer " + credential.reveal().decode())
    if etag is not None:
        req.add_header("If-None-Match", f'"{etag}"')
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            received = time.time(), boot_clock()  # before the body: the server's time was taken then
            raw = resp.read(MAX_RESPONSE + 1)
            status, got = resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Answer(304, b"", exc.headers, (time.time(), boot_clock()))
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
    return Answer(status, raw, got, received)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise SyncError("gateway answered with something that is not JSON") from None


def _request(method: str, url: str, body: Any = None, credential: Secret | None = None,
             timeout: float = TIMEOUT) -> Any:
    return _json(_http(method, url, body, credential, timeout).body)


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

    The bundle is asked for with the ETag held (304: nothing changed, the held documents stay)
    and a fresh nonce, which the gateway answers with its signed time in a header, 304 or not:
    an unchanged sync is one request. The time also vouches that the index held is current. Of the
    revocation parts the index names, only those whose digest changed are fetched. A gateway from
    before the header is asked for the time apart (GET /devices/time).
    """
    current = state.load()
    roots = state.pinned_root()
    held = state.held_documents()
    etag = held.etag if current.can_decide and held.index is not None and not full else None
    nonce = secrets.token_bytes(16)
    sent = time.time(), boot_clock()
    answer = _http("GET", device.gateway + "/api/v1/devices/bundle", credential=device.credential,
                   etag=etag, headers={TIME_NONCE: nonce.hex()})
    status, raw, new_etag = answer.status, answer.body, answer.etag
    if roots is None:
        raise BundleRefused("no root of trust pinned at enrolment: enrol this gate again")
    accepted = None
    try:
        if status == 304 and current.revocations is not None and current.policy is not None \
                and held.index is not None and held.policy is not None:
            trust, index_doc, parts, policy_doc = current.trust, held.index, held.parts, held.policy
            revocations, policy = current.revocations, current.policy
            new_etag = etag
        else:
            bundle = _json(raw)
            if not isinstance(bundle, dict):
                raise BundleRefused("bundle is not a JSON object")
            believed = _believed_now(current.anchor, time.time(), boot_clock())
            chain = [_doc({"d": d}, "d") for d in bundle.get("root_chain") or []]
            keyset_doc = _doc(bundle, "keyset")
            accepted = accept_keyset(keyset_doc, chain, roots[0], state.held_keyset(),
                                     now=datetime.fromtimestamp(believed, UTC))
            trust = accepted.keyset.trust_set()
            index_doc = _doc(bundle, "revocations_index")
            index = load_revocation_index(index_doc, trust)
            parts = {p: held.parts[p] if p in held.parts and revocation_digest(held.parts[p]) == d
                     else _part(device, p, d) for p, d in index.parts.items()}
            revocations = load_partitioned(index, parts, trust)
            policy_doc = _doc(bundle, "policy")
            policy = load_policy(policy_doc, trust)
        timed = answer.headers.get(TIME)
        if timed is not None:
            (wall_sent, boot_sent), (wall_got, boot_got) = sent, answer.received
            time_doc: bytes | None = _doc({TIME: timed}, TIME)
        else:  # a gateway from before the header
            nonce = secrets.token_bytes(16)
            url = device.gateway + "/api/v1/devices/time?" + urllib.parse.urlencode({"nonce": nonce.hex()})
            wall_sent, boot_sent = time.time(), boot_clock()
            got = _request("GET", url, credential=device.credential)
            wall_got, boot_got = time.time(), boot_clock()
            time_doc = _doc(got if isinstance(got, dict) else {}, "time")
        assert time_doc is not None
        server, named = _signed_time(time_doc, trust, nonce, device)
    except (DocumentError, SyncError) as exc:
        if isinstance(exc, GatewayRefused | GatewayUnreachable) and not isinstance(exc, BundleRefused):
            raise
        raise BundleRefused(str(exc)) from None
    index_digest = revocation_digest(index_doc)
    if named == index_digest:  # the gateway says: at `server`, this is the current list
        revocations = revocations.vouched(datetime.fromtimestamp(server, UTC))
    else:  # the list changed between the two requests: the next sync takes the new one
        time_doc = held.time if held.time is not None and held.index == index_doc else None
    if current.revocations is not None and revocations.seq < current.revocations.seq:
        # an older version would un-revoke passes: a replay, or a gateway restored from an old backup
        raise BundleRefused("revocation list is older than the one this gate holds")
    if policy.site != device.site:
        raise BundleRefused(f"policy is for site {policy.site}, not {device.site}")
    wall_mid = (wall_sent + wall_got) / 2
    boot_mid = (boot_got[0], (boot_sent[1] + boot_got[1]) / 2) if boot_sent[0] == boot_got[0] else boot_got
    believed = _believed_now(current.anchor, wall_mid, boot_mid)
    anchor, held_clock = _clock(state, current.anchor, measure(server, wall_mid, boot_mid), believed,
                                max_clock_jump)
    synced_at = datetime.fromtimestamp(server, UTC).replace(microsecond=0)
    if accepted is not None:
        state.save_keyset(keyset_doc, pinned=accepted.pinned, signed_by=accepted.signed_by)
        state.save_trust(trust)
    state.save_partitioned(etag=new_etag, index=index_doc, parts=parts, policy_doc=policy_doc, time_doc=time_doc,
                           synced_at=synced_at, clock_offset=anchor.offset, anchor=anchor, held=held_clock)
    return state.load()


def _part(device: Device, prefix: bytes, digest: bytes) -> bytes:
    """A revocation part by its digest; the caller checks the digest and the signature."""
    url = f"{device.gateway}/api/v1/revocations/{prefix.hex() or 'all'}/{digest.hex()}"
    return _http("GET", url, accept="application/cose").body


def _believed_now(anchor: ClockAnchor | None, wall: float, boot: tuple[str, float]) -> float:
    return anchor.now(wall, boot)[0] if anchor is not None else wall


def _signed_time(doc: bytes, trust: TrustSet, nonce: bytes, device: Device) -> tuple[float, bytes | None]:
    """(the gateway's time signed with our nonce, the digest of the revocation index it names).

    A recorded answer cannot be replayed to move the clock: the nonce is this request's.
    """
    at, got, named = read_time(doc, trust, device.device_id)
    if got != nonce:
        raise DocumentError("time: not the answer to this request (a replay?)")
    return at.timestamp(), named


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
