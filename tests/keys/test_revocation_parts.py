"""Partitioned revocation lists: a signed index naming each part by digest, parts by first byte."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from keys import (
    DocumentError,
    IssuerKey,
    TrustSet,
    load_partitioned,
    load_revocation_index,
    sign_revocation_index,
    sign_revocation_part,
)
from keys.revocations import digest

T0 = datetime(2020, 2, 15, 6, 0, tzinfo=UTC)


def _parts(key: IssuerKey, serials: list[bytes], seq: int = 7) -> dict[bytes, bytes]:
    by: dict[bytes, list[bytes]] = {}
    for s in serials:
        by.setdefault(s[:1], []).append(s)
    return {p: sign_revocation_part(key, ss, prefix=p, seq=seq, issued_at=T0) for p, ss in by.items()}


def _index(key: IssuerKey, parts: dict[bytes, bytes], seq: int = 7) -> bytes:
    return sign_revocation_index(key, [(p, digest(d)) for p, d in parts.items()], seq=seq, issued_at=T0)


def test_parts_make_the_whole_list(issuer_key: IssuerKey, trust: TrustSet) -> None:
    serials = [os.urandom(12) for _ in range(3000)]
    parts = _parts(issuer_key, serials)
    index = load_revocation_index(_index(issuer_key, parts), trust)
    listed = load_partitioned(index, parts, trust)
    assert (listed.seq, listed.issued_at, len(listed)) == (7, T0, 3000)
    assert all(s in listed for s in serials) and os.urandom(12) not in listed


def test_one_part_for_a_short_list(issuer_key: IssuerKey, trust: TrustSet) -> None:
    serials = [os.urandom(12) for _ in range(5)]
    part = sign_revocation_part(issuer_key, serials, prefix=b"", seq=1, issued_at=T0)
    index = load_revocation_index(sign_revocation_index(issuer_key, [(b"", digest(part))], seq=1, issued_at=T0),
                                  trust)
    assert load_partitioned(index, {b"": part}, trust).serials == frozenset(serials)
    empty = load_revocation_index(sign_revocation_index(issuer_key, [], seq=0, issued_at=T0), trust)
    assert len(load_partitioned(empty, {}, trust)) == 0


def test_a_part_must_be_the_one_the_index_names(issuer_key: IssuerKey, trust: TrustSet) -> None:
    a, b = bytes([1]) + os.urandom(11), bytes([2]) + os.urandom(11)
    parts = _parts(issuer_key, [a, b])
    index = load_revocation_index(_index(issuer_key, parts), trust)
    with pytest.raises(DocumentError, match="missing"):
        load_partitioned(index, {b"\x01": parts[b"\x01"]}, trust)
    other = sign_revocation_part(issuer_key, [b"\x02" + os.urandom(11)], prefix=b"\x02", seq=7, issued_at=T0)
    with pytest.raises(DocumentError, match="not the one the index names"):
        load_partitioned(index, {**parts, b"\x02": other}, trust)
    # a part signed for one prefix, named by the index under another: refused
    swapped = sign_revocation_index(issuer_key, [(b"\x01", digest(parts[b"\x02"])), (b"\x02", digest(parts[b"\x01"]))],
                                    seq=7, issued_at=T0)
    with pytest.raises(DocumentError, match="not a part for that prefix"):
        load_partitioned(load_revocation_index(swapped, trust), {b"\x01": parts[b"\x02"], b"\x02": parts[b"\x01"]},
                         trust)


def test_signing_refuses_what_a_gate_would_refuse(issuer_key: IssuerKey) -> None:
    with pytest.raises(ValueError, match="must start with it"):
        sign_revocation_part(issuer_key, [b"\x02" + os.urandom(11)], prefix=b"\x01", seq=1, issued_at=T0)
    with pytest.raises(ValueError, match="one length"):
        sign_revocation_index(issuer_key, [(b"", b"\0" * 32), (b"\x01", b"\0" * 32)], seq=1, issued_at=T0)


def test_an_index_signed_by_an_unknown_key_is_refused(issuer_key: IssuerKey, trust: TrustSet) -> None:
    stranger = IssuerKey.generate()
    with pytest.raises(DocumentError, match="unknown key"):
        load_revocation_index(sign_revocation_index(stranger, [], seq=0, issued_at=T0), trust)


def test_vouched_moves_freshness_only_forward(issuer_key: IssuerKey, trust: TrustSet) -> None:
    index = load_revocation_index(sign_revocation_index(issuer_key, [], seq=0, issued_at=T0), trust)
    listed = load_partitioned(index, {}, trust)
    later = listed.vouched(T0 + timedelta(days=3))
    assert (later.issued_at, later.current_at) == (T0, T0 + timedelta(days=3))
    assert later.vouched(T0).current_at == T0 + timedelta(days=3)
    assert listed.current_at == T0  # immutable
