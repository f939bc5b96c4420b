"""The root of trust and the key set: versions, withdrawal, root rotation, an offline root, bad input."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keys import PassClaims, Reason, Secret, decide, issue_pass
from keys.authority import KeyAuthority
from keys.errors import DocumentError, KeyStoreError
from keys.keyset import accept_keyset, fingerprint, load_keyset, read_unsigned, sign_payload

T0 = datetime(2020, 2, 1, tzinfo=UTC)
HOLDER = PassClaims(name="张三", document="1234", community="C1")


def authority(folder: Path) -> KeyAuthority:
    return KeyAuthority(folder, passphrase=Secret("issuing"), root_passphrase=Secret("root"))


def test_init_rotate_withdraw_make_monotonic_signed_key_sets(tmp_path: Path) -> None:
    auth = authority(tmp_path)
    events = auth.init(T0)
    assert [e.action for e in events] == ["keys.init", "root.init", "keyset.publish"]
    first = auth.issuers.signing_key()
    doc1, ks1 = auth.current_keyset()
    root = auth.current_root()
    assert ks1.version == 1 and [k.kid for k in ks1.keys] == [first.kid]
    assert load_keyset(doc1, root.public_key) == ks1
    assert len(root.fingerprint) == 39 and root.fingerprint == fingerprint(root.raw)

    auth.rotate(T0 + timedelta(hours=1))
    doc2, ks2 = auth.current_keyset()
    assert ks2.version == 2 and {k.kid for k in ks2.keys} == {first.kid, auth.issuers.signing_key().kid}
    assert next(k for k in ks2.keys if k.kid == first.kid).trusted_until is not None

    events = auth.withdraw(first.kid.hex(), "laptop  stolen", T0 + timedelta(hours=2))
    assert [e.action for e in events] == ["keys.withdraw", "keyset.publish"]
    assert events[0].detail["kid"] == first.kid.hex() and events[0].reason == "laptop stolen"
    doc3, ks3 = auth.current_keyset()
    assert ks3.version == 3 and ks3.withdrawal(first.kid) is not None
    assert ks3.withdrawal(first.kid).reason == "laptop stolen"  # type: ignore[union-attr]

    # a gate holding version 1 takes 3; then refuses 2 and 1 (replays)
    now = T0 + timedelta(hours=3)
    accepted = accept_keyset(doc3, [], root.raw, ks1, now=now)
    assert accepted.keyset == ks3 and accepted.pinned == root.raw
    for old in (doc1, doc2):
        with pytest.raises(DocumentError, match="older than the held version 3"):
            accept_keyset(old, [], root.raw, ks3, now=now)
    assert accept_keyset(doc3, [], root.raw, ks3, now=now).keyset == ks3  # the same one again is fine
    leaked = issue_pass(first, HOLDER, now=T0, valid_for=timedelta(days=30)).qr_text
    assert decide(leaked, ks3.trust_set(), None, None, now=now).reason is Reason.KEY_WITHDRAWN


def test_withdrawing_the_signing_key_rotates_and_needs_a_reason(tmp_path: Path) -> None:
    auth = authority(tmp_path)
    auth.init(T0)
    kid = auth.issuers.signing_key().kid.hex()
    with pytest.raises(KeyStoreError, match="needs a reason"):
        auth.withdraw(kid, "   ", T0)
    assert auth.current_keyset()[1].version == 1  # nothing changed
    events = auth.withdraw(kid, "leaked", T0)
    assert [e.action for e in events] == ["keys.rotate", "keys.withdraw", "keyset.publish"]
    assert auth.issuers.signing_key().kid.hex() != kid


def test_a_key_set_from_another_root_or_with_the_same_version_is_refused(tmp_path: Path) -> None:
    ours, theirs = authority(tmp_path / "a"), authority(tmp_path / "b")
    ours.init(T0)
    theirs.init(T0)
    doc, ks = ours.current_keyset()
    foreign, _ = theirs.current_keyset()
    with pytest.raises(DocumentError, match="not by the pinned root"):
        accept_keyset(foreign, [], ours.current_root().raw, None, now=T0)
    ours.publish(T0 + timedelta(seconds=5))  # version 2
    doc2, ks2 = ours.current_keyset()
    (tmp_path / "a" / "keysets" / "00000002.cose").unlink()
    ours.publish(T0 + timedelta(seconds=9))  # another version 2
    other2, _ = ours.current_keyset()
    with pytest.raises(DocumentError, match="another key set with the held version 2"):
        accept_keyset(other2, [], ours.current_root().raw, ks2, now=T0)
    with pytest.raises(DocumentError, match="expired"):
        accept_keyset(doc, [], ours.current_root().raw, None, now=ks.valid_until)


def test_root_rotation_is_announced_by_the_old_root(tmp_path: Path) -> None:
    auth = authority(tmp_path)
    auth.init(T0)
    old_root = auth.current_root()
    _, held = auth.current_keyset()
    events = auth.rotate_root(T0 + timedelta(days=1))
    assert [e.action for e in events] == ["root.rotate", "keyset.publish"]
    new_root = auth.current_root()
    doc, ks, chain, _ = auth.trust_for_gates()
    assert ks.version == 3 and len(chain) == 1  # version 2 is the old root's announcement
    # a gate pinned to the old root follows the announcement to the new one
    accepted = accept_keyset(doc, chain, old_root.raw, held, now=T0 + timedelta(days=2))
    assert accepted.pinned == new_root.raw and accepted.keyset == ks
    with pytest.raises(DocumentError, match="no announcement"):
        accept_keyset(doc, [], old_root.raw, held, now=T0 + timedelta(days=2))


def test_an_offline_root_signs_an_exported_key_set(tmp_path: Path) -> None:
    auth = authority(tmp_path / "gw")
    auth.init(T0)
    root = auth.current_root()
    usb = tmp_path / "usb"
    usb.mkdir()
    (tmp_path / "gw" / f"root-{root.kid}.pem").rename(usb / f"root-{root.kid}.pem")
    assert not auth.root_online()
    events = auth.withdraw(auth.issuers.signing_key().kid.hex(), "leaked", T0)
    assert events[-1].action == "keyset.pending"
    assert auth.current_keyset()[1].version == 1  # the gateway still serves the last signed one
    payload = auth.pending()
    assert payload is not None and read_unsigned(payload).version == 2

    from keys.authority import load_root_key
    signed = sign_payload(load_root_key(usb / f"root-{root.kid}.pem", Secret("root")), payload)
    with pytest.raises(KeyStoreError, match="does not verify"):
        auth.import_signed(signed[:-3] + b"\x00\x00\x00", T0)
    assert auth.import_signed(signed, T0).action == "keyset.import"
    assert auth.current_keyset()[1].version == 2 and auth.pending() is None


def test_no_passphrase_for_existing_keys_is_one_error_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QRGATE_KEY_PASSPHRASE", "QRGATE_KEY_PASSPHRASE_FILE", "QRGATE_ROOT_PASSPHRASE",
                 "QRGATE_ROOT_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    authority(tmp_path).init(T0)  # made with given passphrases: no passphrase files
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(KeyStoreError, match="set QRGATE_KEY_PASSPHRASE"):
        KeyAuthority(tmp_path).issuers.signing_key()
    with pytest.raises(KeyStoreError, match="set QRGATE_ROOT_PASSPHRASE"):
        KeyAuthority(tmp_path, passphrase=Secret("issuing")).rotate(T0)
    assert sorted(os.listdir(tmp_path)) == before


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=400))
def test_garbage_or_truncated_key_sets_are_refused(garbage: bytes, cut: int) -> None:
    doc, _, _, root = _SAMPLE
    for data in (garbage, doc[:cut] if cut < len(doc) else doc[:-1], doc + garbage[:1] if garbage else doc + b"\0"):
        with pytest.raises(DocumentError):
            accept_keyset(data, [], root.raw, None, now=T0)


def _sample() -> tuple:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="qrgate-keyset-"))
    auth = authority(folder)
    auth.init(T0)
    return auth.trust_for_gates()


_SAMPLE = _sample()
