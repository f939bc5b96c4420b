"""Signed, versioned revocation lists with deltas; O(1) lookup by pass serial."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .documents import open_document, sign_document
from .errors import DocumentError
from .keystore import IssuerKey
from .passes import SERIAL_LEN
from .trust import TrustSet

DOC_TYPE = "qrgate/revocations"
R_SEQ, R_SINCE, R_SERIALS = 1, 2, 3


class RevocationList:
    """An immutable set of revoked serials at a version (seq) and time (issued_at)."""

    __slots__ = ("seq", "issued_at", "_serials")

    def __init__(self, serials: Iterable[bytes] | frozenset[bytes], *, seq: int, issued_at: datetime) -> None:
        self.seq = seq
        self.issued_at = issued_at
        self._serials = serials if isinstance(serials, frozenset) else frozenset(serials)

    def __contains__(self, serial: object) -> bool:
        return serial in self._serials

    def __len__(self) -> int:
        return len(self._serials)

    def __repr__(self) -> str:
        return f"RevocationList(seq={self.seq}, entries={len(self)}, issued_at={self.issued_at.isoformat()})"

    @property
    def serials(self) -> frozenset[bytes]:
        return self._serials

    def apply(self, delta: RevocationDelta) -> RevocationList:
        if delta.since != self.seq:
            raise DocumentError(f"delta is since version {delta.since}, the list is at {self.seq}")
        if delta.seq < self.seq:
            raise DocumentError("delta goes backwards")
        return RevocationList(self._serials | delta.serials, seq=delta.seq, issued_at=delta.issued_at)


class RevocationDelta:
    __slots__ = ("seq", "since", "issued_at", "serials")

    def __init__(self, serials: frozenset[bytes], *, seq: int, since: int, issued_at: datetime) -> None:
        self.serials, self.seq, self.since, self.issued_at = serials, seq, since, issued_at


def sign_revocations(key: IssuerKey, serials: Iterable[bytes], *, seq: int, issued_at: datetime,
                     since: int | None = None) -> bytes:
    """A full list (since=None) or the serials revoked after version `since`."""
    blob = b"".join(sorted(set(serials)))
    if len(blob) % SERIAL_LEN:
        raise ValueError(f"every serial must be {SERIAL_LEN} bytes")
    if seq < 0 or (since is not None and not 0 <= since <= seq):
        raise ValueError("need 0 <= since <= seq")
    body = {R_SEQ: seq, R_SERIALS: blob}
    if since is not None:
        body[R_SINCE] = since
    return sign_document(key, DOC_TYPE, body, issued_at=issued_at)


def _read(doc: bytes, trust: TrustSet) -> tuple[int, int | None, frozenset[bytes], datetime]:
    opened = open_document(doc, trust, DOC_TYPE)
    body = opened.body
    if not isinstance(body, dict):
        raise DocumentError("revocations: body must be a map")
    seq, since, blob = body.get(R_SEQ), body.get(R_SINCE), body.get(R_SERIALS)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise DocumentError("revocations: bad version")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or not 0 <= since <= seq):
        raise DocumentError("revocations: bad base version")
    if not isinstance(blob, bytes) or len(blob) % SERIAL_LEN:
        raise DocumentError("revocations: serials must be a multiple of 12 bytes")
    serials = frozenset([blob[i:i + SERIAL_LEN] for i in range(0, len(blob), SERIAL_LEN)])
    return seq, since, serials, opened.issued_at


def load_revocations(doc: bytes, trust: TrustSet, base: RevocationList | None = None) -> RevocationList:
    """Verify a full list, or a delta applied on `base`; raise DocumentError."""
    seq, since, serials, issued_at = _read(doc, trust)
    if since is None:
        return RevocationList(serials, seq=seq, issued_at=issued_at)
    if base is None:
        raise DocumentError("revocations: a delta needs the list it applies to")
    return base.apply(RevocationDelta(serials, seq=seq, since=since, issued_at=issued_at))
