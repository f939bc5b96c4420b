"""The scanner's checkpoint mode against a real gateway: a Hubei car recorded offline, each person
decided (pass, ID card, fever, no document), the record queued and uploaded by the next sync."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import idcard
from tests.city import local_today

from cli_run import run
from gatewayproc import Gateway

from scanner.checkpoint import RecordQueue
from scanner.cli import EXIT_USAGE
from scanner.log import EntryLog

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

    # the next vehicle, in a new run (the queue reopened from its file): it links to the first record,
    # its pass person's entry to the entry log's chain; both chains verify at the device and the gateway
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"role": "driver", "pass": holder["qr_text"],
                                                             "temperature": 36.5}) + "\n"))
    assert run(["checkpoint", "--data", str(data), "--plate", "苏E12345", "--township", "T-BC",
                "--community", "C-DEST", "--no-sync"], capsys)[0] == 0
    with RecordQueue(data) as queue:
        [waiting] = queue.unsent()
        assert waiting["seq"] == 2 and queue.verify_chain() is None
    with EntryLog(data / "entries.db") as log:
        assert log.count() == 2 and log.verify_chain() is None
        assert waiting["people"][0]["entry_id"] == log.entries()[-1]["id"]  # the report counts them once
    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    assert not [a for a in gateway.alerts() if a["kind"] == "broken_chain"]
    assert gateway.ok("GET", "/api/v1/reports/daily?date=" + local_today().isoformat()
                      )["city"]["checkpoint"]["vehicles"] == 2


def test_the_queue_is_a_chain_kept_through_restarts(tmp_path: Path) -> None:
    """An old queue (before the chain) is upgraded: its waiting records chained in order, its sent ones
    left as they were; appends after a restart continue the chain; an edited body breaks it."""
    with sqlite3.connect(tmp_path / "checkpoint.db") as old:
        old.execute("CREATE TABLE records (id TEXT PRIMARY KEY, body TEXT NOT NULL, queued_at TEXT NOT NULL,"
                    " sent_at TEXT, refused TEXT)")
        old.execute("INSERT INTO records VALUES ('s', '{}', '2020-02-14T08:00:00+08:00', '2020-02-14T08:01', NULL)")
        for i in (1, 2):
            body = json.dumps({"id": f"w{i}", "people": [{"temperature": 36.5}]})
            old.execute("INSERT INTO records VALUES (?, ?, ?, NULL, NULL)", (f"w{i}", body, f"2020-02-14T09:0{i}"))
    old.close()
    with RecordQueue(tmp_path) as queue:
        assert [(r["id"], r["seq"]) for r in queue.unsent()] == [("w1", 1), ("w2", 2)]
        assert queue.append({"id": "n3", "people": []})["seq"] == 3
        queue.mark_sent(["w1"])  # its body goes, its hash stays: the chain still verifies
        assert queue.verify_chain() is None
    with RecordQueue(tmp_path) as queue:  # a restart
        fourth = queue.append({"id": "n4", "people": []})
        assert fourth["seq"] == 4 and fourth["prev_hash"] == json.loads(
            queue.db.execute("SELECT body FROM records WHERE id = 'n3'").fetchone()[0])["hash"]
        assert queue.verify_chain() is None and queue.count() == 5
        queue.db.execute("UPDATE records SET body = replace(body, '36.5', '36.6') WHERE id = 'w2'")
        assert queue.verify_chain() == 2


def test_bad_vehicle_input_is_one_line(gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "cp"
    token = gateway.enrolment("CP1")["token"]
    assert run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO('{"temperature": 36.5}\n'))
    code, _, out = run(["checkpoint", "--data", str(data), "--plate", "鄂I12345", "--township", "T",
                        "--community", "C"], capsys)
    assert code == EXIT_USAGE and "plate" in out and "I or O" in out
