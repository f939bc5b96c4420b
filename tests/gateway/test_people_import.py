"""Household lists: every row checked, nothing changed until all rows are good (or --valid-only),
and any file a worker might send answered clearly, never with a 500."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from gateway import idcard, people_import
from qrgate import cli
from gateway.appkeys import db_key

from .conftest import Client, make_site, resident_id

HEADER = "姓名,证件类型,证件号码,电话,社区,来自地区,抵达日期\n"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode("utf-8")


async def _count(client: Client) -> int:
    return int(await client.app[db_key].read.fetch_value("SELECT COUNT(*) FROM people"))


async def _post(client: Client, headers: dict[str, str], data: bytes, query: str = "") -> tuple[int, Any]:
    resp = await client.post(f"/api/v1/people/import{query}", headers=headers, data=data)
    return resp.status, await resp.json()


BAD_ROWS = [
    f"王一,resident_id,{resident_id(1)},13900000001,C1,,",
    f"王二,resident_id,{resident_id(1)},13900000002,C1,,",          # the same document as line 2
    "王三,resident_id,110105194912310021,,C1,,",                      # wrong check digit
    f"王四,resident_id,{resident_id(4)},,C1,420100,",                 # key area without arrival date
    f"王五,resident_id,{resident_id(5)},,C-NOWHERE,,",                # a community no site admits
    f"王六,居民身份证,{resident_id(6)},,C1,420100,2020-02-01",         # good, the type in words
]


async def test_a_list_with_errors_imports_nothing_and_names_every_row(client: Client,
                                                                      admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    status, body = await _post(client, admin, _csv(*BAD_ROWS), "?dry_run=1")
    assert status == 200 and body["imported"] == 0 and (body["valid"], body["invalid"]) == (2, 4)
    errors = {e["line"]: e["errors"] for e in body["errors"]}
    assert set(errors) == {3, 4, 5, 6}
    assert "line 2" in errors[3]["document_number"] and "GB 11643" in errors[4]["document_number"]
    assert "arrived_on" in errors[5] and "community" in errors[6]
    status, body = await _post(client, admin, _csv(*BAD_ROWS))
    assert status == 409 and body["error"]["code"] == "import_has_errors" and len(body["errors"]) == 4
    assert await _count(client) == 0  # nothing changed
    status, body = await _post(client, admin, _csv(*BAD_ROWS), "?valid_only=1")
    assert status == 201 and body["imported"] == 2
    assert await _count(client) == 2
    audit = await (await client.get("/api/v1/audit?action=people.import", headers=admin)).json()
    assert [(a["details"]["rows"], a["details"]["imported"], a["details"]["skipped"]) for a in audit["audit"]] == [
        (6, 2, 4)]  # one audited action with its row count
    # the same file again: every row is now a duplicate in the registry
    status, body = await _post(client, admin, _csv(*BAD_ROWS), "?dry_run=1")
    assert body["valid"] == 0


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (HEADER.encode(), "no people"),
    ("姓名,颜色\n张三,红\n".encode(), "unknown columns"),
    ("姓名,社区\n张三,C1\n".encode(), "missing: document_number"),
    (b"\xff\xfe\x00\x00garbage\x00", "neither UTF-8 nor GBK"),
    (b"PK\x03\x04not really a zip", "XLSX file cannot be read"),
    (("name,document_number\n" + "x,1\n" * (people_import.MAX_ROWS + 1)).encode(), "at most"),
])
async def test_files_that_are_no_household_list_get_a_clear_answer(client: Client, admin: dict[str, str],
                                                                   data: bytes, message: str) -> None:
    status, body = await _post(client, admin, data)
    assert status == 422 and body["error"]["code"] == "bad_import_file", body
    assert message in body["error"]["message"]
    assert await _count(client) == 0


async def test_a_gbk_csv_as_excel_in_china_saves_it(client: Client, admin: dict[str, str]) -> None:
    data = (HEADER + f"李秀英,身份证,{resident_id(20)},13900000020,C1,,\n").encode("gbk")
    status, body = await _post(client, admin, data)
    assert status == 201 and body["imported"] == 1, body
    people = await (await client.get("/api/v1/people", headers=admin)).json()
    assert people["people"][0]["name"] == "李秀英"


def _xlsx(rows: list[list[Any]], *, merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_xlsx_with_formulas_or_merged_cells_is_refused_clean_one_imports(client: Client,
                                                                             admin: dict[str, str]) -> None:
    header = ["姓名", "证件号码", "社区"]
    status, body = await _post(client, admin, _xlsx([header, ["张三", "=1+1", "C1"]]))
    assert status == 422 and "formula" in body["error"]["message"] and "B2" in body["error"]["message"]
    status, body = await _post(client, admin, _xlsx([header, ["张三", resident_id(30), "C1"], ["", "", ""]],
                                                    merge="A2:A3"))
    assert status == 422 and "merged" in body["error"]["message"]
    status, body = await _post(client, admin, _xlsx([header, ["张三", resident_id(31), "C1"]]))
    assert status == 201 and body["imported"] == 1


async def test_a_50_mb_file_is_refused_with_413(client: Client, admin: dict[str, str]) -> None:
    resp = await client.post("/api/v1/people/import", headers=admin, data=io.BytesIO(b"x" * (50 * 1024 * 1024)))
    status, body = resp.status, await resp.json()
    assert status == 413 and body["error"]["code"] == "body_too_large"


async def test_a_scoped_registrar_imports_into_her_community_only(client: Client, tokens: dict[str, str],
                                                                  admin: dict[str, str]) -> None:
    from gateway.auth import create_token
    from .conftest import bearer
    scoped = bearer(await create_token(client.app[db_key], role="registrar", label="desk", scope="community:C1"))
    rows = [f"甲,resident_id,{resident_id(40)},,C1,,", f"乙,resident_id,{resident_id(41)},,C2,,"]
    status, body = await _post(client, scoped, _csv(*rows), "?dry_run=1")
    assert body["valid"] == 1 and "outside your scope" in body["errors"][0]["errors"]["_row"]
    status, _ = await _post(client, bearer(tokens["viewer"]), _csv(*rows))
    assert status == 403


def test_cli_import_all_or_nothing_then_valid_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert cli.main(["init", "--data", data]) == 0  # the CLI works on a data folder made by qrgate init
    capsys.readouterr()
    path = tmp_path / "list.csv"
    path.write_bytes(_csv(f"王一,resident_id,{resident_id(50)},,,,", "王二,resident_id,110105194912310021,,,,"))
    assert cli.main(["people", "import", str(path), "--data", data]) == 1
    err = capsys.readouterr().err
    assert "line 3: document_number:" in err and "nothing was imported" in err
    assert cli.main(["people", "import", str(path), "--valid-only", "--data", data]) == 0
    assert "imported 1 of 2 rows, skipped 1" in capsys.readouterr().out
    assert cli.main(["people", "import", str(tmp_path / "missing.csv"), "--data", data]) == 66


FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


async def test_an_import_goes_through_the_same_canonical_input_and_key_area_rules(
        client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    # one person already registered through the API, by the ASCII number
    resp = await client.post("/api/v1/people", headers=admin, json={
        "name": "张已有", "document_type": "resident_id", "document_number": resident_id(30), "community": "C1"})
    assert resp.status == 201, await resp.text()
    arrived = "2020-02-01"
    rows = [
        f"张全角,resident_id,{resident_id(31).translate(FULLWIDTH)},１３９ ００００ ００３１,Ｃ１,４２０１００,{arrived}",
        f"张重复,resident_id,{resident_id(30).translate(FULLWIDTH)},,C1,,",   # the registered number, fullwidth
        f"张同行,resident_id,{resident_id(32)},,C1,,",
        f"张同行二,resident_id,{resident_id(32).translate(FULLWIDTH)},,C1,,",  # line 4's number, fullwidth
        f"张无日期,resident_id,{resident_id(33)},,C1,４２０１０６,",              # fullwidth Wuhan, no date
        f"张旧码,resident_id,{resident_id(34)},,C1,110103,",                    # 崇文区: withdrawn in 2010
        f"张老证,resident_id,{idcard.make('11010319800101123')},,C1,,",         # an ID from 崇文区: still valid
    ]
    status, body = await _post(client, admin, _csv(*rows), "?dry_run=1")
    assert status == 200, body
    errors = {e["line"]: e["errors"] for e in body["errors"]}
    assert set(errors) == {3, 5, 6, 7}, errors
    assert errors[3] == {"document_number": "a person with this document is already registered"}
    assert "line 4" in errors[5]["document_number"]
    assert "key epidemic area" in errors[6]["arrived_on"] and "420106" in errors[6]["arrived_on"]
    assert "110103" in errors[7]["origin"]
    status, body = await _post(client, admin, _csv(*rows), "?valid_only=1")
    assert status == 201 and body["imported"] == 3
    # the fullwidth row is one file under the ASCII number, quarantined for its fullwidth Hubei origin
    found = await (await client.get("/api/v1/people", headers=admin, params={
        "document_type": "resident_id", "document_number": resident_id(31)})).json()
    assert [p["name"] for p in found["people"]] == ["张全角"]
    person = found["people"][0]
    assert person["origin"] == "420100" and person["community"] == "C1"
    assert person["quarantine"] and person["quarantine"]["start"] == arrived
    by_phone = await (await client.get("/api/v1/people", headers=admin, params={"phone": "13900000031"})).json()
    assert [p["name"] for p in by_phone["people"]] == ["张全角"]


async def test_an_import_follows_the_key_areas_an_admin_set(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    resp = await client.put("/api/v1/key-areas/3301", headers=admin, json={"from": "2020-01-20", "reason": "outbreak"})
    assert resp.status == 200, await resp.text()
    status, body = await _post(client, admin, _csv(f"张杭州,resident_id,{resident_id(40)},,C1,330106,"), "?dry_run=1")
    assert status == 200 and body["invalid"] == 1
    assert "arrived_on" in body["errors"][0]["errors"]
