"""`qrgate report daily` as a real process over the data folder the API wrote."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from report_helpers import Client, Gate, make_site, report

from gateway.appkeys import config_key


async def qrgate(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "qrgate.cli", *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def database(client: Client) -> list[str]:
    """The --database option naming the test's PostgreSQL database, if it runs on one."""
    url = client.app[config_key].database_url
    return ["--database", url] if url else []


async def test_the_cli_prints_the_same_report_as_the_api(client: Client, tokens: dict[str, Any],
                                                         tmp_path: Path) -> None:
    await make_site(client, tokens["admin"], "K1", "community", communities=["C1"])
    await make_site(client, tokens["admin"], "K2", "checkpoint")
    gate = await Gate.enrol(client, tokens["admin"], "K1", "gate")
    gate.scan("2020-02-14T09:00:00+08:00")
    gate.scan("2020-02-14T09:01:00+08:00", reason="revoked")
    await gate.upload()
    api = await report(client, tokens["admin"], "2020-02-14")  # the first report: remembered
    data = str(client.app[config_key].data_dir)

    code, out, err = await qrgate("report", "daily", "--date", "2020-02-14", "--data", data,
                                  *database(client))
    assert code == 0, err
    printed = json.loads(out)
    assert printed["sites"] == api["sites"] and printed["city"] == api["city"]

    code, out, err = await qrgate("report", "daily", "--date", "2020-02-14", "--site", "K2",
                                  "--format", "csv", "--data", data, *database(client))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["site"], r["zero_report"], r["summary_en"]) for r in rows] == [
        ("K2", "true", "Nothing to report (zero report)")]


async def test_cli_errors_are_one_clear_line(client: Client, tmp_path: Path) -> None:
    data = str(client.app[config_key].data_dir)
    code, _, err = await qrgate("report", "daily", "--date", "2020-02-14", "--site", "NOPE", "--data", data,
                                *database(client))
    assert code == 1 and err.strip() == "qrgate report: there is no site 'NOPE'"
    code, _, err = await qrgate("report", "daily", "--date", "2020-02-31", "--data", data)
    assert code == 2 and "--date must be an ISO date" in err
    missing = tmp_path / "nowhere"
    code, _, err = await qrgate("report", "daily", "--date", "2020-02-14", "--data", str(missing))
    assert code == 78 and f"no data folder {missing}" in err and not missing.exists()
