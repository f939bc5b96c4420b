"""Root rotation and key-set import from the shell are audited like the other key operations."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from qrgate import cli
from gateway.config import GatewayConfig
from gateway.services import open_services
from gateway.store import audit


def _rows(config: GatewayConfig) -> list[tuple[str, str, str | None]]:
    async def read() -> list[tuple[str, str, str | None]]:
        async with open_services(config) as svc:
            found = await audit.search(svc.db.read, actor=None, action=None, target=None, after_id=0, limit=1000)
            return [(r.actor, r.action, r.reason) for r in found if r.action.split(".")[0] in ("keys", "root", "keyset")]
    return asyncio.run(read())


def test_offline_root_import_and_root_rotation_are_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = GatewayConfig.for_data_dir(tmp_path / "data")
    data = str(config.data_dir)

    async def first_start() -> tuple[str, str]:
        async with open_services(config) as svc:
            return svc.keystore.signing_key().kid.hex(), svc.authority.current_root().kid

    kid, root_kid = asyncio.run(first_start())
    # the root goes to a USB stick: the gateway can no longer sign key sets itself
    usb = tmp_path / "usb"
    usb.mkdir()
    pem = config.keys_dir / f"root-{root_kid}.pem"
    pem.rename(usb / pem.name)
    monkeypatch.setenv("QRGATE_ROOT_PASSPHRASE", (config.keys_dir / "root-passphrase").read_text().strip())
    assert cli.main(["keys", "--data", data, "withdraw", kid, "--reason", "key copied"]) == 0
    assert "waits for the offline root" in capsys.readouterr().out
    exported, signed = tmp_path / "pending.cbor", tmp_path / "signed.cbor"
    assert cli.main(["keys", "--data", data, "keyset", "export", str(exported)]) == 0
    assert cli.main(["keys", "keyset", "sign", "--in", str(exported), "--out", str(signed),
                     "--root-key", str(usb / pem.name)]) == 0
    assert cli.main(["keys", "--data", data, "keyset", "import", str(signed), "--reason", "signed at the office"]) == 0
    assert "imported key set version" in capsys.readouterr().out
    assert cli.main(["keys", "--data", data, "keyset", "import", str(tmp_path / "missing.cbor")]) == 66
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    (usb / pem.name).rename(pem)  # back on the gateway for a root rotation
    assert cli.main(["keys", "--data", data, "root", "rotate", "--reason", "yearly root change"]) == 0
    assert "new root of trust" in capsys.readouterr().out
    rows = _rows(config)
    assert ("cli:cli", "keys.withdraw", "key copied") in rows
    assert ("cli:cli", "keyset.pending", "key copied") in rows
    assert ("cli:cli", "keyset.import", "signed at the office") in rows
    assert ("cli:cli", "root.rotate", "yearly root change") in rows
    assert [a for _, a, _ in rows][:3] == ["keys.init", "root.init", "keyset.publish"]  # the first start
    assert os.environ["QRGATE_ROOT_PASSPHRASE"] not in str(rows)
