"""Revocation lists: full and delta documents, refusals, and the compact O(1) lookup."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys import DocumentError, IssuerKey, RevocationList, TrustSet, load_revocations, sign_revocations
from keys.documents import sign_document
from keys.revocations import DOC_TYPE, R_SEQ, R_SERIALS, RevocationDelta

T0 = datetime(2020, 2, 15, 6, 0, tzinfo=UTC)
serial12 = st.binary(min_size=12, max_size=12)


def _serials(n: int) -> list[bytes]:
    return [os.urandom(12) for _ in range(n)]


def test_full_then_delta(issuer_key: IssuerKey, trust: TrustSet) -> None:
    first, later = _serials(50), _serials(5)
    full = load_revocations(sign_revocations(issuer_key, first, seq=3, issued_at=T0), trust)
    assert (full.seq, full.issued_at, len(full)) == (3, T0, 50)
    assert all(s in full for s in first) and not any(s in full for s in later)
    delta_doc = sign_revocations(issuer_key, later, seq=4, since=3, issued_at=T0 + timedelta(hours=1))
    updated = load_revocations(delta_doc, trust, base=full)
    assert (updated.seq, updated.issued_at, len(updated)) == (4, T0 + timedelta(hours=1), 55)
    assert all(s in updated for s in first + later)
    assert not any(s in full for s in later), "the base list is immutable"
    assert updated.serials == frozenset(first + later)


def test_delta_on_the_wrong_base_is_refused(issuer_key: IssuerKey, trust: TrustSet) -> None:
    full = load_revocations(sign_revocations(issuer_key, _serials(3), seq=3, issued_at=T0), trust)
    delta = sign_revocations(issuer_key, _serials(1), seq=6, since=5, issued_at=T0)
    with pytest.raises(DocumentError, match="since version 5"):
        load_revocations(delta, trust, base=full)
    with pytest.raises(DocumentError, match="needs the list"):
        load_revocations(delta, trust)


def test_tampered_or_foreign_documents_are_refused(issuer_key: IssuerKey, trust: TrustSet) -> None:
    doc = bytearray(sign_revocations(issuer_key, _serials(10), seq=1, issued_at=T0))
    doc[-80] ^= 0x01  # inside the serials blob
    with pytest.raises(DocumentError, match="bad signature"):
        load_revocations(bytes(doc), trust)
    stranger = IssuerKey.generate()
    with pytest.raises(DocumentError, match="unknown key"):
        load_revocations(sign_revocations(stranger, [], seq=1, issued_at=T0), trust)
    policy_doc = sign_document(issuer_key, "qrgate/site-policy", {}, issued_at=T0)
    with pytest.raises(DocumentError, match="expected a qrgate/revocations"):
        load_revocations(policy_doc, trust)
    for junk in (b"", b"\xd2\x84", os.urandom(300)):
        with pytest.raises(DocumentError):
            load_revocations(junk, trust)


@pytest.mark.parametrize("body", [
    {R_SEQ: -1, R_SERIALS: b""},
    {R_SEQ: True, R_SERIALS: b""},
    {R_SEQ: 1, R_SERIALS: b"x" * 13},
    {R_SEQ: 1, R_SERIALS: "text"},
    {R_SEQ: 1, 2: 5, R_SERIALS: b""},
    [1, 2],
])
def test_malformed_bodies_are_refused(issuer_key: IssuerKey, trust: TrustSet, body: object) -> None:
    with pytest.raises(DocumentError):
        load_revocations(sign_document(issuer_key, DOC_TYPE, body, issued_at=T0), trust)


@pytest.mark.slow
def test_unsorted_blob_from_another_signer_still_finds_every_serial(issuer_key: IssuerKey,
                                                                      trust: TrustSet) -> None:
    serials = _serials(70_000)  # above the frozenset threshold: the indexed form
    blob = b"".join(sorted(serials, reverse=True))
    doc = sign_document(issuer_key, DOC_TYPE, {R_SEQ: 1, R_SERIALS: blob}, issued_at=T0)
    revoked = load_revocations(doc, trust)
    assert all(s in revoked for s in serials) and len(revoked) == 70_000
    assert revoked._blob, "the indexed form"


def test_a_match_straddling_two_serials_is_no_match() -> None:
    a = bytes([1, 2, 3, 4, 5, 6, 1, 2, 9, 9, 9, 9])
    b = bytes([1, 2, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7])
    straddler = a[6:] + b[:6]
    revoked = RevocationList._compact(a + b, seq=1, issued_at=T0)
    assert a in revoked and b in revoked
    assert straddler not in revoked


def test_lookup_of_other_types_is_false() -> None:
    revoked = RevocationList([b"\x00" * 12], seq=1, issued_at=T0)
    for other in (None, "", b"", b"\x00" * 11, b"\x00" * 13, 0, bytearray(12)):
        assert other not in revoked


def test_constructor_refuses_serials_of_the_wrong_size() -> None:
    with pytest.raises(ValueError):
        RevocationList([b"short"], seq=1, issued_at=T0)
    with pytest.raises(ValueError):
        sign_revocations(IssuerKey.generate(), [b"short"], seq=1, issued_at=T0)


@settings(deadline=None, max_examples=60)
@given(st.sets(serial12, max_size=200), st.sets(serial12, max_size=30), st.lists(serial12, max_size=30),
       st.booleans(), st.booleans())
def test_membership_matches_a_set(base: set[bytes], delta: set[bytes], probes: list[bytes], compact: bool,
                                  shuffled: bool) -> None:
    blob = b"".join(sorted(base, reverse=shuffled))
    # small lists are a frozenset; _compact forces the bucket-indexed form that large lists take
    full = (RevocationList._compact if compact else RevocationList.from_blob)(blob, seq=1, issued_at=T0)
    assert len(full) == len(base)
    updated = full.apply(RevocationDelta(frozenset(delta), seq=2, since=1, issued_at=T0))
    assert len(updated) == len(base | delta)
    for s in [*base, *delta, *probes]:
        assert (s in full) == (s in base)
        assert (s in updated) == (s in base | delta)


@pytest.mark.slow
def test_large_list_and_deltas_in_the_indexed_form(issuer_key: IssuerKey, trust: TrustSet) -> None:
    blob = os.urandom(12 * 100_000)
    full = load_revocations(sign_revocations(issuer_key, [blob[i:i + 12] for i in range(0, len(blob), 12)],
                                             seq=1, issued_at=T0), trust)
    assert full._blob and len(full) == 100_000
    assert blob[:12] in full and blob[-12:] in full and os.urandom(12) not in full
    later = _serials(3)
    updated = load_revocations(sign_revocations(issuer_key, [*later, blob[12:24]], seq=2, since=1,
                                                issued_at=T0), trust, base=full)
    assert len(updated) == 100_003 and all(s in updated for s in later) and blob[:12] in updated
