"""The scanner's checkpoint mode against a real gateway: a Hubei car recorded offline, each person
decided (pass, ID card, fever, no document), the record queued and uploaded by the next sync."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import idcard
from tests.city import local_today

from cli_run import run
from gatewayproc import Gateway

from scanner.cli import EXIT_USAGE

HUBEI_ID = idcard.make("42010219850612123")
ZHEJIANG_ID = idcard.make("33010219790304567")


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = Gateway(tmp_path / "gw").start()
    gw.ok("POST", "/api/v1/sites", {"code": "CP1", "name": "G312", "kind": "checkpoint", "policy": {}})
    gw.ok("PUT", "/api/v1/key-areas/42", {"from": "2020-01-23", "reason": "Hubei"})
    yield gw
    gw.stop()


def test_a_car_is_recorded_offline_and_synced_later(gateway: Gateway, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "cp"
    token = gateway.enrolment("CP1")["token"]
    assert run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)[0] == 0
    holder = gateway.person_pass("张三", "E12345678", community="C1")
    people = [{"role": "driver", "document_type": "resident_id", "document_number": ZHEJIANG_ID, "temperature": 38.7},
              {"role": "passenger", "pass": holder["qr_text"], "temperature": 36.4},
              {"role": "passenger", "document_type": "resident_id", "document_number": HUBEI_ID, "name": "李乘客",
               "temperature": 36.6},
              {"role": "passenger", "resident": False, "temperature": 36.5},
              {"role": "passenger", "document_type": "resident_id", "document_number": "1234"},  # no reading
              {"role": "passenger", "document_type": "resident_id", "document_number": HUBEI_ID[:-1] + "0"
               if HUBEI_ID[-1] != "0" else HUBEI_ID[:-1] + "1", "temperature": 36.5}]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(p) + "\n" for p in people)))
    code, lines, out = run(["checkpoint", "--data", str(data), "--plate", "鄂a·12345", "--origin", "420100",
                            "--township", "T-BC", "--community", "C-DEST", "--no-sync"], capsys)
    assert code == 0, out
    decided = [(line.get("decision"), line.get("reason")) for line in lines if "person" in line]
    assert decided[:4] == [("deny", "fever"), ("allow", "ok"), ("allow", "ok"), ("deny", "no_document")]
    assert "temperature required" in lines[4]["refused"] and "check digit" in lines[5]["refused"]
    assert HUBEI_ID not in out and ZHEJIANG_ID not in out  # never a full number on the screen
    assert lines[-1]["queued"] == 1 and lines[-1]["uploaded"] is False
    assert gateway.ok("GET", "/api/v1/handovers")["handovers"] == []  # offline: nothing sent yet

    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    handovers = gateway.ok("GET", "/api/v1/handovers")["handovers"]
    assert sorted(h["kind"] for h in handovers) == ["handover"] * 4 + ["referral"]
    assert {h["plate"] for h in handovers} == {"鄂A12345"} and {h["community"] for h in handovers} == {"C-DEST"}
    report = gateway.ok("GET", "/api/v1/reports/daily?date=" + local_today().isoformat())
    assert report["city"]["checkpoint"]["no_document"] == 1 and report["city"]["checkpoint"]["people"] == 4
    # a second sync sends nothing twice
    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    assert len(gateway.ok("GET", "/api/v1/handovers")["handovers"]) == 5


def test_bad_vehicle_input_is_one_line(gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "cp"
    token = gateway.enrolment("CP1")["token"]
    assert run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO('{"temperature": 36.5}\n'))
    code, _, out = run(["checkpoint", "--data", str(data), "--plate", "鄂I12345", "--township", "T",
                        "--community", "C"], capsys)
    assert code == EXIT_USAGE and "plate" in out and "I or O" in out
