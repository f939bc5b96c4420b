"""Key operations are audited (CLI and domain alike); withdrawing a key reissues its live passes.

Real SQLite, real key folder, real passes verified with `keys.decide`; the CLI through
`qrgate.cli.main` as a user would type it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from gateway import keyops, passes, registry, reissue
from qrgate import cli
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.errors import Conflict, InvalidInput, NotFound
from gateway.services import Services, open_services
from gateway.store import audit
from gateway.store import passes as pass_store
from keys import Reason, decide

from .conftest import person_body


async def _people(svc: Services, count: int, start: int = 1) -> list[passes.IssuedPassInfo]:
    issued = []
    for seed in range(start, start + count):
        person = await registry.register(svc, person_body(seed), CLI)
        issued.append(await passes.issue(svc, person.id, CLI, "http://gw.example"))
    return issued


async def _audit(svc: Services, action: str | None = None) -> list[audit.AuditRow]:
    return await audit.search(svc.db.read, actor=None, action=action, target=None, after_id=0, limit=100_000)


def _config(tmp_path: Path) -> GatewayConfig:
    return GatewayConfig.for_data_dir(tmp_path / "data")


async def test_first_start_rotate_and_withdraw_are_audited_with_actor_time_and_reason(tmp_path: Path) -> None:
    async with open_services(_config(tmp_path)) as svc:
        first = svc.keystore.signing_key().kid.hex()
        (init,) = await _audit(svc, "keys.init")
        assert (init.actor, init.target) == ("gateway", f"key:{first}") and init.at
        assert len(await _audit(svc, "root.init")) == 1 and len(await _audit(svc, "keyset.publish")) == 1
        new, _ = await keyops.rotate(svc, CLI, "yearly rotation")
        (rot,) = await _audit(svc, "keys.rotate")
        assert (rot.actor, rot.target, rot.reason) == ("cli:cli", f"key:{new}", "yearly rotation")
        assert json.loads(rot.details) == {"previous": first}
        done = await keyops.withdraw(svc, first, "laptop stolen", CLI)
        assert done.signing_kid == new and done.job.kid == first
        (wd,) = await _audit(svc, "keys.withdraw")
        assert (wd.actor, wd.target, wd.reason) == ("cli:cli", f"key:{first}", "laptop stolen")
        # each change signs a new key set for the gates: audited too, with the same actor and reason
        published = await _audit(svc, "keyset.publish")
        assert [(r.actor, r.reason) for r in published[1:]] == [("cli:cli", "yearly rotation"),
                                                                ("cli:cli", "laptop stolen")]
        with pytest.raises(Conflict):
            await keyops.withdraw(svc, first, "again", CLI)
        with pytest.raises(InvalidInput):
            await keyops.withdraw(svc, new, "", CLI)
        with pytest.raises(InvalidInput):
            await keyops.withdraw(svc, "not a kid", "why", CLI)
        with pytest.raises(NotFound):
            await keyops.withdraw(svc, "00" * 8, "why", CLI)
    async with open_services(_config(tmp_path)) as svc:  # a second start makes no key and no row
        assert len(await _audit(svc, "keys.init")) == 1


async def test_withdrawing_the_signing_key_rotates_first_and_both_are_audited(tmp_path: Path) -> None:
    async with open_services(_config(tmp_path)) as svc:
        first = svc.keystore.signing_key().kid.hex()
        done = await keyops.withdraw(svc, first, "leaked", CLI)
        assert done.signing_kid != first
        (rot,) = await _audit(svc, "keys.rotate")
        assert rot.target == f"key:{done.signing_kid}" and rot.reason == "leaked"


async def test_a_withdrawal_reissues_every_live_pass_it_signed_resumably(tmp_path: Path) -> None:
    async with open_services(_config(tmp_path)) as svc:
        old = await _people(svc, 7)
        old_kid = svc.keystore.signing_key().kid.hex()
        await keyops.rotate(svc, CLI, "rotation")
        newer = await _people(svc, 2, start=50)  # signed by the new key: not touched
        seq_before = await pass_store.revocation_seq(svc.db.read)
        done = await keyops.withdraw(svc, old_kid, "key file copied", CLI)
        assert (done.job.total, done.job.done, done.job.state) == (7, 0, "running")

        seen: list[tuple[int, str]] = []

        def stop_after_first_batch(job: Any) -> None:
            seen.append((job.done, job.state))
            raise KeyboardInterrupt  # what Ctrl-C does to the CLI between two batches

        with pytest.raises(KeyboardInterrupt):
            await reissue.run(svc, done.job.id, progress=stop_after_first_batch, batch=3)
        assert seen == [(3, "running")]
        assert (await reissue.get(svc.db, done.job.id)).done == 3
        # resumed, as `qrgate reissue --resume` or the next gateway start does
        progress: list[int] = []
        job = await reissue.run(svc, done.job.id, progress=lambda j: progress.append(j.done), batch=3)
        assert (job.state, job.done, job.total, progress) == ("done", 7, 7, [6, 7])
        assert (await reissue.run(svc, done.job.id)).done == 7  # running a finished job does nothing
        assert (await reissue.start(svc.db, old_kid, "again", CLI)).id == job.id  # one job per key

        trust = svc.keystore.trust_set()
        for info in old:
            row = await pass_store.get(svc.db.read, serial=info.serial)
            assert row is not None and (row.state, row.revoke_reason) == ("revoked", "key_withdrawn")
            live = await pass_store.live_for(svc.db.read, person_id=info.person_id)
            assert live is not None and live.serial == row.replaced_by and live.kid == done.signing_kid
            assert decide(live.qr_text, trust, None, None, now=_now()).reason is Reason.OK
            assert decide(info.qr_text, trust, None, None, now=_now()).allowed is False
        for info in newer:
            live = await pass_store.live_for(svc.db.read, person_id=info.person_id)
            assert live is not None and live.serial == info.serial
        # the withdrawn key already turns its passes away at every gate: the list does not grow
        assert await pass_store.revocation_seq(svc.db.read) == seq_before
        rows = await _audit(svc)
        assert [r.action for r in rows if r.action.startswith("reissue.")] == ["reissue.start", "reissue.finish"]
        reissued = [r for r in rows if r.action == "pass.reissue"]
        assert len(reissued) == 7 and {r.reason for r in reissued} == {"key_withdrawn"}
        assert {json.loads(r.details)["withdrawn_key"] for r in reissued} == {old_kid}


async def test_the_reprint_list_names_people_whose_printed_card_is_void(tmp_path: Path) -> None:
    async with open_services(_config(tmp_path)) as svc:
        old = await _people(svc, 4)
        old_kid = svc.keystore.signing_key().kid.hex()
        await reissue.cards_printed(svc.db, [old[0].serial, old[2].serial], CLI)
        await reissue.cards_printed(svc.db, [old[0].serial], "resident")  # a second print changes nothing
        assert await reissue.reprint_list(svc.db) == []
        done = await keyops.withdraw(svc, old_kid, "leaked", CLI)
        await reissue.run(svc, done.job.id)
        listed = await reissue.reprint_list(svc.db)
        assert [r.person_id for r in listed] == [old[0].person_id, old[2].person_id]
        assert [r.voided_serial for r in listed] == [old[0].serial, old[2].serial]
        live = await pass_store.live_for(svc.db.read, person_id=old[0].person_id)
        assert live is not None and listed[0].serial == live.serial and listed[0].qr_text == live.qr_text
        assert [r.person_id for r in await reissue.reprint_list(svc.db, after_person=old[0].person_id)] \
            == [old[2].person_id]
        await reissue.cards_printed(svc.db, [listed[0].serial], CLI)  # the new card is printed
        assert [r.person_id for r in await reissue.reprint_list(svc.db)] == [old[2].person_id]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_cli_withdraw_is_audited_and_reissues_with_a_progress_bar(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")

    async def seed() -> str:
        async with open_services(_config(tmp_path)) as svc:
            await _people(svc, 3)
            return svc.keystore.signing_key().kid.hex()

    kid = asyncio.run(seed())
    assert cli.main(["keys", "--data", data, "rotate", "--reason", "planned"]) == 0
    assert "new signing key" in capsys.readouterr().out
    assert cli.main(["keys", "--data", data, "withdraw", kid, "--reason", "key copied"]) == 0
    captured = capsys.readouterr()
    assert f"withdrew {kid}" in captured.out and "reissued 3 live passes" in captured.out
    assert "3/3 passes (100%)" in captured.err  # the progress bar
    assert cli.main(["keys", "--data", data, "withdraw", kid, "--reason", "again"]) == 1
    assert capsys.readouterr().err.strip() == f"qrgate keys: key {kid} is already withdrawn"
    assert cli.main(["reissue", "--data", data]) == 0
    assert "done" in capsys.readouterr().out

    async def rows() -> list[tuple[str, str, str | None]]:
        async with open_services(_config(tmp_path)) as svc:
            return [(r.actor, r.action, r.reason) for r in await _audit(svc) if r.action.startswith("keys.")]

    assert asyncio.run(rows()) == [("gateway", "keys.init", None),
                                   ("cli:cli", "keys.rotate", "planned"),
                                   ("cli:cli", "keys.withdraw", "key copied")]


def test_cli_key_commands_refuse_a_folder_without_a_gateway(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo"
    for argv in (["keys", "--data", str(missing), "rotate"],
                 ["keys", "--data", str(missing), "withdraw", "00" * 8, "--reason", "x"],
                 ["reissue", "--data", str(missing)]):
        assert cli.main(argv) == 78  # a wrong --data is a set-up problem (docs/cli.md)
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(missing) in err[0]
    assert not missing.exists()


def test_cli_keys_init_is_audited_as_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert cli.main(["keys", "--data", data, "init", "--reason", "new district"]) == 0
    assert "created signing key" in capsys.readouterr().out
    assert cli.main(["keys", "--data", data, "init"]) == 1
    assert "already holds keys" in capsys.readouterr().err

    async def rows() -> list[tuple[str, str | None]]:
        async with open_services(_config(tmp_path)) as svc:
            return [(r.actor, r.reason) for r in await _audit(svc, "keys.init")]

    assert asyncio.run(rows()) == [("cli:cli", "new district")]
