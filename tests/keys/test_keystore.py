"""The issuer key folder: init, rotate, withdraw, JWKS, file modes, passphrases, and no secrets in reprs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from keys import KeyStore, KeyStoreError, PassClaims, Reason, Secret, TrustSet, decide, issue_pass
from keys.trust import b64url

T0 = datetime(2020, 2, 1, tzinfo=UTC)
HOLDER = PassClaims(name="王芳", document="0421", community="KS-C0012")


@pytest.fixture(autouse=True)
def _no_passphrase_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QRGATE_KEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("QRGATE_KEY_PASSPHRASE_FILE", raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_private_files(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    key = store.init(T0)
    assert _mode(store.folder) == 0o700
    for name in ("keys.json", "passphrase", f"{key.kid.hex()}.pem"):
        assert _mode(store.folder / name) == 0o600, name
    pem = (store.folder / f"{key.kid.hex()}.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # cryptography: "Password was not given but private key is encrypted"
        load_pem_private_key(pem, None)
    [info] = store.list()
    assert (info.kid, info.state, info.created) == (key.kid.hex(), "active", "2020-02-01T00:00:00+00:00")
    assert "passphrase" not in (store.folder / "keys.json").read_text()
    with pytest.raises(KeyStoreError, match="already holds keys"):
        store.init(T0)


def test_encrypted_key_needs_the_passphrase(tmp_path: Path) -> None:
    key = KeyStore(tmp_path, passphrase=Secret("correct horse")).init(T0)
    again = KeyStore(tmp_path, passphrase=Secret("correct horse")).signing_key()
    assert again.kid == key.kid and again.sign(b"x") == key.sign(b"x")
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        KeyStore(tmp_path, passphrase=Secret("wrong")).signing_key()
    assert not (tmp_path / "passphrase").exists(), "a given passphrase is never written to disk"


def test_passphrase_from_environment_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRGATE_KEY_PASSPHRASE", "from-env")
    KeyStore(tmp_path / "a").init(T0)
    assert not (tmp_path / "a" / "passphrase").exists()
    monkeypatch.delenv("QRGATE_KEY_PASSPHRASE")
    secret_file = tmp_path / "cred"
    secret_file.write_text("from-env\n")
    monkeypatch.setenv("QRGATE_KEY_PASSPHRASE_FILE", str(secret_file))
    assert KeyStore(tmp_path / "a").signing_key()  # same passphrase, read from the file
    monkeypatch.setenv("QRGATE_KEY_PASSPHRASE_FILE", str(tmp_path / "missing"))
    with pytest.raises(KeyStoreError, match="QRGATE_KEY_PASSPHRASE_FILE"):
        KeyStore(tmp_path / "b").init(T0)


def test_reprs_never_show_secrets(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    key = store.init(T0)
    passphrase = (tmp_path / "passphrase").read_text().strip()
    raw = key._private.private_bytes_raw()  # only to look for it in the reprs
    texts = [repr(store), str(store), repr(key), str(key), repr(store.passphrase), str(store.passphrase),
             repr(store.list()), repr(store.trust_set(T0))]
    for text in texts:
        assert passphrase not in text
        for form in (raw.hex(), b64url(raw), repr(raw)):
            assert form not in text
    assert repr(Secret("hunter2")) == "Secret('**********')"
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(key)


def test_rotation_keeps_old_passes_until_trusted_until(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    old = store.init(T0)
    old_pass = issue_pass(old, HOLDER, now=T0, valid_for=timedelta(days=30))
    new = store.rotate(T0 + timedelta(days=1))
    assert store.signing_key().kid == new.kid != old.kid
    states = {i.kid: (i.state, i.trusted_until) for i in store.list()}
    until = T0 + timedelta(days=31)
    assert states[old.kid.hex()] == ("retired", until.isoformat())
    new_pass = issue_pass(new, HOLDER, now=T0 + timedelta(days=1), valid_for=timedelta(days=30))
    day29 = T0 + timedelta(days=29)
    trust = store.trust_set(day29)
    assert set(trust) == {old.kid, new.kid}
    assert decide(old_pass.qr_text, trust, None, None, now=day29).reason is Reason.OK
    assert decide(new_pass.qr_text, trust, None, None, now=day29).reason is Reason.OK
    assert set(store.trust_set(until - timedelta(seconds=1))) == {old.kid, new.kid}
    assert set(store.trust_set(until)) == {new.kid}


def test_withdrawn_key_fails_as_key_withdrawn(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    first = store.init(T0)
    second = store.rotate(T0 + timedelta(hours=1))
    leaked = issue_pass(first, HOLDER, now=T0, valid_for=timedelta(days=30)).qr_text
    current = issue_pass(second, HOLDER, now=T0 + timedelta(hours=1), valid_for=timedelta(days=30)).qr_text
    now = T0 + timedelta(days=2)
    store.withdraw(first.kid.hex(), now)
    trust = store.trust_set(now)
    assert decide(leaked, trust, None, None, now=now).reason is Reason.KEY_WITHDRAWN
    assert decide(current, trust, None, None, now=now).reason is Reason.OK
    # withdrawing the signing key rotates first: there is always exactly one signing key
    store.withdraw(second.kid.hex(), now)
    assert decide(current, store.trust_set(now), None, None, now=now).reason is Reason.KEY_WITHDRAWN
    with pytest.raises(KeyStoreError, match="already withdrawn"):
        store.withdraw(second.kid.hex(), now)
    third = store.signing_key()
    assert third.kid not in (first.kid, second.kid)
    assert [i.state for i in store.list()] == ["withdrawn", "withdrawn", "active"]
    with pytest.raises(KeyStoreError, match="no key"):
        store.withdraw("00" * 8, now)


def test_corrupt_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="keys init"):
        KeyStore(tmp_path / "nothing").list()
    store = KeyStore(tmp_path)
    store.init(T0)
    (tmp_path / "keys.json").write_text("{not json")
    with pytest.raises(KeyStoreError, match="corrupt"):
        store.list()


def test_jwks_from_the_store_verifies_its_passes(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    key = store.init(T0)
    jwks = json.loads(json.dumps(store.trust_set(T0).to_jwks()))
    [jwk] = jwks["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["kid"] == b64url(key.kid)
    assert "d" not in jwk
    issued = issue_pass(key, HOLDER, now=T0, valid_for=timedelta(days=1))
    assert decide(issued.qr_text, TrustSet.from_jwks(jwks), None, None, now=T0).allowed


def test_keys_cli(tmp_path: Path) -> None:
    qrgate = str(Path(sys.executable).parent / "qrgate")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QRGATE_KEY_PASSPHRASE")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([qrgate, "keys", "--dir", str(tmp_path / "k"), *args], capture_output=True,
                              text=True, env=env, timeout=60, check=False)

    assert run("list").returncode == 1
    init = run("init")
    assert init.returncode == 0 and "created signing key" in init.stdout
    first = init.stdout.split()[3]
    assert run("init").returncode == 1
    assert run("rotate").returncode == 0
    listed = run("list").stdout
    assert f"{first}  retired" in listed and "active" in listed
    assert len(json.loads(run("jwks").stdout)["keys"]) == 2
    assert run("withdraw", first, "--reason", "laptop stolen").returncode == 0
    jwks = json.loads(run("jwks").stdout)
    assert len(jwks["keys"]) == 1 and len(jwks["withdrawn"]) == 1
    assert "reason: laptop stolen" in run("list").stdout
    bad = run("withdraw", "nope", "--reason", "x")
    assert bad.returncode == 1 and "no key 'nope'" in bad.stderr
    passphrase = (tmp_path / "k" / "passphrase").read_text().strip()
    assert all(passphrase not in r.stdout + r.stderr for r in (init, bad))
    assert _mode(tmp_path / "k" / "passphrase") == 0o600
