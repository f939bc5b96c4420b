"""Signed, versioned revocation lists with deltas; O(1) lookup by pass serial.

A list is held as the signed blob itself (sorted 12-byte serials) plus a bucket index on the
first two bytes of each serial: a million serials cost about 12 MB instead of the ~130 MB of
a Python set, and load in well under a second (bench/bench_keys.py). Serials are 96 random
bits, so a bucket holds ~15 entries at a million, and a lookup is one C-level `find` in it.
Lists of up to 65,536 serials are a plain frozenset: building the index would cost more.

Partitions (docs/device-api.md, "Revocations"): the gateway signs a large list as parts by the
first byte of the serial (as the EU DCC revocation design partitions by hash prefix) and a small
signed index naming each part's SHA-256, so a gate fetches only the parts whose digest changed.
The index is signed once per version; the gate's freshness comes from the gateway's signed time,
which names the digest of the index it vouches for as current (`RevocationList.vouched`).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .documents import open_document, sign_document
from .errors import DocumentError
from .keystore import IssuerKey
from .passes import SERIAL_LEN
from .trust import TrustSet

DOC_TYPE = "qrgate/revocations"
INDEX_DOC_TYPE = "qrgate/revocation-index"
R_SEQ, R_SINCE, R_SERIALS, R_PREFIX = 1, 2, 3, 4
I_SEQ, I_PARTS = 1, 2
MAX_PREFIX = 2  # bytes of serial a part is named by (0: the whole list is one part)
_BUCKETS = 1 << 16
_SMALL = 1 << 16  # up to this many serials a plain frozenset is small and needs no index to build
_EMPTY_INDEX = array("I", bytes(4 * (_BUCKETS + 1)))


def _chunks(blob: bytes) -> Iterator[bytes]:
    return (blob[i:i + SERIAL_LEN] for i in range(0, len(blob), SERIAL_LEN))


def _sorted_blob(serials: Iterable[bytes]) -> bytes:
    unique = set(serials)
    if any(not isinstance(s, bytes) or len(s) != SERIAL_LEN for s in unique):
        raise ValueError(f"every serial must be {SERIAL_LEN} bytes")
    return b"".join(sorted(unique))


def _bucket_index(blob: bytes) -> array | None:
    """Start of each 16-bit-prefix bucket (in entries); None if the blob is not sorted by prefix."""
    n = len(blob) // SERIAL_LEN
    prefixes = bytearray(2 * n)
    prefixes[0::2] = blob[0::SERIAL_LEN]
    prefixes[1::2] = blob[1::SERIAL_LEN]
    keys = array("H")
    keys.frombytes(prefixes)
    if sys.byteorder == "little":
        keys.byteswap()
    index = array("I", [bisect_left(keys, k) for k in range(_BUCKETS)])
    index.append(n)
    # bisect is only meaningful on sorted keys: rebuilding the prefixes from the bucket sizes
    # gives back the same bytes exactly when they were sorted
    rebuilt = b"".join(k.to_bytes(2, "big") * (index[k + 1] - index[k]) for k in range(_BUCKETS))
    return index if rebuilt == prefixes else None


class RevocationList:
    """An immutable set of revoked serials at a version (seq) and time (issued_at)."""

    __slots__ = ("seq", "issued_at", "current_at", "_blob", "_index", "_extra")

    def __init__(self, serials: Iterable[bytes] | frozenset[bytes], *, seq: int, issued_at: datetime) -> None:
        blob = _sorted_blob(serials)
        if len(blob) // SERIAL_LEN <= _SMALL:
            self._set(b"", frozenset(_chunks(blob)), seq=seq, issued_at=issued_at)
        else:
            self._set(blob, frozenset(), seq=seq, issued_at=issued_at)

    def _set(self, blob: bytes, extra: frozenset[bytes], *, seq: int, issued_at: datetime) -> None:
        index = _bucket_index(blob) if blob else _EMPTY_INDEX
        if index is None:  # not sorted by whoever signed it: sort it ourselves (slow, correct)
            blob = _sorted_blob(_chunks(blob))
            index = _bucket_index(blob)
        self.seq, self.issued_at, self.current_at = seq, issued_at, issued_at
        self._blob, self._index, self._extra = blob, index, extra

    def vouched(self, at: datetime) -> RevocationList:
        """The same list, known to be current at `at` (the gateway's signed time named its index)."""
        out = RevocationList.__new__(RevocationList)
        out.seq, out.issued_at, out.current_at = self.seq, self.issued_at, max(self.current_at, at)
        out._blob, out._index, out._extra = self._blob, self._index, self._extra
        return out

    @classmethod
    def from_blob(cls, blob: bytes, *, seq: int, issued_at: datetime) -> RevocationList:
        """From concatenated 12-byte serials, as signed; a large sorted blob is kept as it is."""
        if len(blob) % SERIAL_LEN:
            raise ValueError(f"the blob must be a multiple of {SERIAL_LEN} bytes")
        if len(blob) // SERIAL_LEN <= _SMALL:
            return cls(_chunks(blob), seq=seq, issued_at=issued_at)
        return cls._compact(blob, seq=seq, issued_at=issued_at)

    @classmethod
    def _compact(cls, blob: bytes, *, seq: int, issued_at: datetime) -> RevocationList:
        self = cls.__new__(cls)
        self._set(blob, frozenset(), seq=seq, issued_at=issued_at)
        return self

    def _in_blob(self, serial: bytes) -> bool:
        k = serial[0] << 8 | serial[1]
        lo, hi = self._index[k] * SERIAL_LEN, self._index[k + 1] * SERIAL_LEN  # type: ignore[index]
        pos = self._blob.find(serial, lo, hi)
        while pos >= 0:
            if pos % SERIAL_LEN == 0:  # a match straddling two serials is no match
                return True
            pos = self._blob.find(serial, pos + 1, hi)
        return False

    def __contains__(self, serial: object) -> bool:
        if not isinstance(serial, bytes) or len(serial) != SERIAL_LEN:
            return False
        return self._in_blob(serial) or serial in self._extra

    def __len__(self) -> int:
        return len(self._blob) // SERIAL_LEN + len(self._extra)

    def __repr__(self) -> str:
        return (f"RevocationList(seq={self.seq}, entries={len(self)}, issued_at={self.issued_at.isoformat()},"
                f" current_at={self.current_at.isoformat()})")

    @property
    def serials(self) -> frozenset[bytes]:
        """Every serial as a set (costs what the compact form saves: for tests and small lists)."""
        return frozenset(_chunks(self._blob)) | self._extra

    def apply(self, delta: RevocationDelta) -> RevocationList:
        if delta.since != self.seq:
            raise DocumentError(f"delta is since version {delta.since}, the list is at {self.seq}")
        if delta.seq < self.seq:
            raise DocumentError("delta goes backwards")
        new = [s for s in delta.serials if isinstance(s, bytes) and len(s) == SERIAL_LEN
               and not self._in_blob(s)]
        extra = self._extra.union(new)
        if len(extra) > _SMALL and len(extra) * 8 > len(self._blob) // SERIAL_LEN:
            return RevocationList(self.serials | extra, seq=delta.seq, issued_at=delta.issued_at)
        out = RevocationList.__new__(RevocationList)
        out.seq, out.issued_at, out.current_at = delta.seq, delta.issued_at, delta.issued_at
        out._blob, out._index, out._extra = self._blob, self._index, extra
        return out


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


def _read(doc: bytes, trust: TrustSet) -> tuple[int, int | None, bytes, datetime]:
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
    return seq, since, blob, opened.issued_at


def load_revocations(doc: bytes, trust: TrustSet, base: RevocationList | None = None) -> RevocationList:
    """Verify a full list, or a delta applied on `base`; raise DocumentError."""
    seq, since, blob, issued_at = _read(doc, trust)
    if since is None:
        return RevocationList.from_blob(blob, seq=seq, issued_at=issued_at)
    if base is None:
        raise DocumentError("revocations: a delta needs the list it applies to")
    serials = frozenset(_chunks(blob))
    return base.apply(RevocationDelta(serials, seq=seq, since=since, issued_at=issued_at))


# partitions ---------------------------------------------------------------------------------


def digest(doc: bytes) -> bytes:
    """The SHA-256 an index names a part by (and a signed time names an index by)."""
    return hashlib.sha256(doc).digest()


def sign_revocation_part(key: IssuerKey, serials: Iterable[bytes], *, prefix: bytes, seq: int,
                         issued_at: datetime) -> bytes:
    """The revoked serials that start with `prefix` (b"": the whole list), at version `seq`."""
    unique = set(serials)
    if len(prefix) > MAX_PREFIX or any(not s.startswith(prefix) for s in unique):
        raise ValueError(f"every serial of part {prefix.hex() or 'all'} must start with it")
    blob = _sorted_blob(unique)
    if seq < 0:
        raise ValueError("need seq >= 0")
    return sign_document(key, DOC_TYPE, {R_SEQ: seq, R_SERIALS: blob, R_PREFIX: prefix}, issued_at=issued_at)


def sign_revocation_index(key: IssuerKey, parts: Sequence[tuple[bytes, bytes]], *, seq: int,
                          issued_at: datetime) -> bytes:
    """The list at version `seq` as (prefix, digest of the part's document) pairs."""
    _check_prefixes([p for p, _ in parts])
    if seq < 0 or any(len(d) != 32 for _, d in parts):
        raise ValueError("need seq >= 0 and 32-byte digests")
    return sign_document(key, INDEX_DOC_TYPE, {I_SEQ: seq, I_PARTS: [[p, d] for p, d in sorted(parts)]},
                         issued_at=issued_at)


def _check_prefixes(prefixes: Sequence[bytes]) -> None:
    lengths = {len(p) for p in prefixes}
    # parts of one length never overlap, and one part of length 0 is the whole list
    if len(lengths) > 1 or (lengths and max(lengths) > MAX_PREFIX) or len(set(prefixes)) != len(prefixes):
        raise ValueError("part prefixes must be distinct, of one length, at most 2 bytes")


@dataclass(frozen=True, slots=True)
class RevocationIndex:
    """A verified index: the list's version, when it was signed, each part's digest by prefix."""

    seq: int
    issued_at: datetime
    parts: Mapping[bytes, bytes]
    digest: bytes  # of the index document itself


def load_revocation_index(doc: bytes, trust: TrustSet) -> RevocationIndex:
    """Verify an index; raise DocumentError."""
    opened = open_document(doc, trust, INDEX_DOC_TYPE)
    body = opened.body
    if not isinstance(body, dict):
        raise DocumentError("revocation index: body must be a map")
    seq, raw = body.get(I_SEQ), body.get(I_PARTS)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise DocumentError("revocation index: bad version")
    if not isinstance(raw, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], bytes)
                                            and isinstance(p[1], bytes) and len(p[1]) == 32 for p in raw):
        raise DocumentError("revocation index: parts must be [prefix, 32-byte digest] pairs")
    try:
        _check_prefixes([p[0] for p in raw])
    except ValueError as exc:
        raise DocumentError(f"revocation index: {exc}") from None
    return RevocationIndex(seq, opened.issued_at, {p[0]: p[1] for p in raw}, digest(doc))


def load_partitioned(index: RevocationIndex, parts: Mapping[bytes, bytes], trust: TrustSet) -> RevocationList:
    """The list an index names, from its parts' documents (by prefix); raise DocumentError.

    Each part must be the one the index names (its digest), signed, and hold only its prefix's serials.
    """
    blobs = []
    for prefix in sorted(index.parts):
        doc = parts.get(prefix)
        if doc is None:
            raise DocumentError(f"revocations: part {prefix.hex() or 'all'} is missing")
        if digest(doc) != index.parts[prefix]:
            raise DocumentError(f"revocations: part {prefix.hex() or 'all'} is not the one the index names")
        opened = open_document(doc, trust, DOC_TYPE)
        body = opened.body
        if not isinstance(body, dict) or body.get(R_PREFIX) != prefix or body.get(R_SINCE) is not None:
            raise DocumentError(f"revocations: part {prefix.hex() or 'all'} is not a part for that prefix")
        blob = body.get(R_SERIALS)
        if not isinstance(blob, bytes) or len(blob) % SERIAL_LEN:
            raise DocumentError("revocations: serials must be a multiple of 12 bytes")
        if prefix and blob and any(blob[i:i + len(prefix)] != prefix for i in range(0, len(blob), SERIAL_LEN)):
            raise DocumentError(f"revocations: part {prefix.hex()} holds serials of another part")
        blobs.append(blob)
    # parts are sorted inside and come in prefix order: the joined blob is sorted as from_blob wants
    return RevocationList.from_blob(b"".join(blobs), seq=index.seq, issued_at=index.issued_at)
