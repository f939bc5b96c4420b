"""Issue #10 in the registry: key areas as data, canonical input, who may shorten a quarantine."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import canonical, idcard, key_area_command
from qrgate.cli import build_parser
from gateway.config import GatewayConfig
from gateway.errors import InvalidInput
from keys.exitcodes import Exit
from gateway.registry import normalise_document, normalise_origin, normalise_phone
from tests.city import local_today

from .conftest import Client, person_body, resident_id

FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
ARABIC_INDIC = {ord(c): 0x0660 + int(c) for c in "0123456789"}


def fullwidth(text: str) -> str:
    return text.translate(FULLWIDTH)


async def _post(client: Client, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    resp = await client.post("/api/v1/people", headers=headers, json=body)
    return resp.status, await resp.json()


# --- canonical input -------------------------------------------------------------------------

@given(st.from_regex(r"\A[0-9]{17}[0-9X]\Z"), st.sampled_from([fullwidth, lambda t: t.translate(ARABIC_INDIC)]),
       st.lists(st.sampled_from([" ", "-", "\u3000", "\u2013", "\u200b", "\uff0d"]), max_size=3))
def test_any_spelling_of_a_number_folds_to_the_ascii_one(number: str, spell: Any, separators: list[str]) -> None:
    typed = spell(number)
    for i, sep in enumerate(separators):
        at = 6 + 4 * i
        typed = typed[:at] + sep + typed[at:]
    assert canonical.fold(typed) == number
    assert canonical.fold(typed.lower()) == number


@given(st.text(max_size=40))
def test_what_the_registry_accepts_is_ascii_and_canonical(text: str) -> None:
    for check in (lambda t: normalise_document("resident_id", t), lambda t: normalise_document("passport", t),
                  normalise_phone, normalise_origin):
        try:
            value = check(text)
        except InvalidInput:
            continue
        assert value.isascii() and canonical.fold(value) == value and check(value) == value


@given(st.text(max_size=30))
def test_a_resident_id_that_passes_is_ascii_digits_and_x(text: str) -> None:
    if idcard.problem(text) is None:
        assert all(c in "0123456789X" for c in text)


@pytest.mark.parametrize(("number", "words"), [
    (idcard.make("00000019900101123"), "region code"),
    (idcard.make("42010200010101123"), "plausible"),
    (idcard.make("42010220990101123"), "plausible"),
    ("9" * 17 + "X", "region code"),
])
def test_id_numbers_are_checked_fully(number: str, words: str) -> None:
    problem = idcard.problem(number, today=date(2026, 1, 1))
    assert problem is not None and words in problem


async def test_a_fullwidth_id_number_is_the_same_file(client: Client, registrar: dict[str, str]) -> None:
    status, first = await _post(client, registrar, person_body(21))
    assert status == 201
    for spelling in (fullwidth(resident_id(21)), resident_id(21).translate(ARABIC_INDIC),
                     " ".join(fullwidth(resident_id(21))[i:i + 6] for i in range(0, 18, 6))):
        status, answer = await _post(client, registrar, person_body(21, name="李四", document_number=spelling))
        assert (status, answer["error"]["code"]) == (409, "duplicate_document"), spelling
        resp = await client.get("/api/v1/people", headers=registrar,
                                params={"document_type": "resident_id", "document_number": spelling})
        assert [p["id"] for p in (await resp.json())["people"]] == [first["id"]]
    resp = await client.get("/api/v1/people", headers=registrar, params={"phone": fullwidth("13800000021")})
    assert [p["id"] for p in (await resp.json())["people"]] == [first["id"]]


async def test_a_fullwidth_hubei_origin_is_quarantined(client: Client, registrar: dict[str, str]) -> None:
    arrived = local_today().isoformat()
    status, person = await _post(client, registrar, person_body(22, origin="４２０１０６", arrived_on=arrived,
                                                                community="Ｃ１"))
    assert status == 201, person
    assert person["origin"] == "420106" and person["community"] == "C1"
    assert person["quarantine"]["end"] == (local_today() + timedelta(days=14)).isoformat()


@pytest.mark.parametrize(("field", "value"), [("origin", "000000"), ("origin", "42010"), ("origin", "4201O6"),
                                             ("phone", "１３８ＡＢＣ"), ("document_number", "4" * 200)])
async def test_bad_numbers_name_their_field_and_change_nothing(client: Client, registrar: dict[str, str],
                                                               field: str, value: str) -> None:
    status, answer = await _post(client, registrar, person_body(23, **{field: value}))
    assert status == 422 and answer["error"]["field"] == field
    resp = await client.get("/api/v1/people", headers=registrar)
    assert (await resp.json())["people"] == []


# --- a key-area arrival needs a date --------------------------------------------------------

async def test_a_hubei_origin_without_arrival_date_is_refused(client: Client, registrar: dict[str, str]) -> None:
    status, answer = await _post(client, registrar, person_body(24, origin="420100"))
    assert status == 422
    error = answer["error"]
    assert error["field"] == "arrived_on" and "key epidemic area" in error["message"] and "湖北" in error["message"]
    assert (await (await client.get("/api/v1/people", headers=registrar)).json())["people"] == []
    status, person = await _post(client, registrar, person_body(24, origin="110101"))  # Beijing: no date needed
    assert status == 201 and person["quarantine"] is None
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=registrar, json={"origin": "420100"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "arrived_on"


# --- key areas as data -----------------------------------------------------------------------

async def test_key_areas_are_listed_with_names(client: Client, viewer: dict[str, str]) -> None:
    resp = await client.get("/api/v1/key-areas", headers=viewer)
    assert resp.status == 200
    assert [(a["prefix"], a["name"], a["from"], a["until"]) for a in (await resp.json())["key_areas"]] == [
        ("42", "湖北省", "2020-01-24", None)]


async def test_changing_key_areas_recomputes_quarantines_and_reissues(
        client: Client, admin: dict[str, str], registrar: dict[str, str]) -> None:
    arrived = local_today().isoformat()
    _, shanghai = await _post(client, registrar, person_body(25, origin="310101", arrived_on=arrived))
    _, hubei = await _post(client, registrar, person_body(26, origin="420106", arrived_on=arrived))
    assert shanghai["quarantine"] is None and hubei["quarantine"] is not None
    issued = await (await client.post(f"/api/v1/people/{shanghai['id']}/passes", headers=registrar)).json()

    resp = await client.put("/api/v1/key-areas/31", headers=registrar, json={"from": "2020-01-01", "reason": "x"})
    assert resp.status == 403
    resp = await client.put("/api/v1/key-areas/31", headers=admin, json={"from": "2020-01-01"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "reason"
    resp = await client.put("/api/v1/key-areas/31", headers=admin,
                            json={"from": "2020-01-01", "until": "2019-01-01", "reason": "x"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "until"
    resp = await client.put("/api/v1/key-areas/３１", headers=admin,
                            json={"from": "2020-01-01", "reason": "outbreak in Shanghai"})
    assert resp.status == 200, await resp.text()
    change = await resp.json()
    assert (change["prefix"], change["people_recomputed"], change["passes_reissued"]) == ("31", 1, 1)
    person = await (await client.get(f"/api/v1/people/{shanghai['id']}", headers=admin)).json()
    assert person["quarantine"]["end"] == (local_today() + timedelta(days=14)).isoformat()
    assert person["pass"]["serial"] != issued["serial"]

    resp = await client.request("DELETE", "/api/v1/key-areas/42", headers=admin, json={"reason": "lifted"})
    assert resp.status == 200 and (await resp.json())["people_recomputed"] == 1
    person = await (await client.get(f"/api/v1/people/{hubei['id']}", headers=admin)).json()
    assert person["quarantine"] is None
    resp = await client.request("DELETE", "/api/v1/key-areas/42", headers=admin, json={"reason": "again"})
    assert resp.status == 404
    audit = await (await client.get("/api/v1/audit", headers=admin, params={"action": "key_area.set"})).json()
    assert [(a["target"], a["reason"]) for a in audit["audit"]] == [("key_area:31", "outbreak in Shanghai")]


async def test_key_area_periods_count_by_arrival_day(client: Client, admin: dict[str, str]) -> None:
    resp = await client.put("/api/v1/key-areas/42", headers=admin,
                            json={"from": "2020-01-24", "until": "2020-04-08", "reason": "Wuhan reopened"})
    assert resp.status == 200
    _, before = await _post(client, admin, person_body(27, origin="420106", arrived_on="2020-04-08"))
    _, after = await _post(client, admin, person_body(28, origin="420106", arrived_on="2020-04-09"))
    assert before["quarantine"]["end"] == "2020-04-22" and after["quarantine"] is None
    status, _ = await _post(client, admin, person_body(29, origin="420106"))  # long over: no date needed
    assert status == 201


def test_key_areas_cli(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d"
    assert key_area_command.run(argparse.Namespace(data=data, key_areas_cmd="list")) == Exit.CONFIG  # no database: a wrong --data (docs/cli.md)
    config = GatewayConfig.for_data_dir(data)
    import asyncio

    from gateway.services import open_services

    async def make() -> None:
        async with open_services(config):
            pass
    asyncio.run(make())
    parser = build_parser()
    args = parser.parse_args(["key-areas", "set", "4201", "--from", "2020-01-23", "--reason", "Wuhan",
                              "--data", str(data)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "key area 4201" in out and "湖北省武汉市" in out
    args = parser.parse_args(["key-areas", "set", "99", "--from", "2020-01-23", "--reason", "x", "--data", str(data)])
    assert args.func(args) == 1
    assert capsys.readouterr().err.startswith("qrgate key-areas: prefix:")
    # a region by its name, as in the console; a name two regions share is one clear line
    args = parser.parse_args(["key-areas", "set", "浙江省杭州市", "--from", "2020-01-20", "--reason", "x",
                              "--data", str(data)])
    assert args.func(args) == 0 and "key area 3301" in capsys.readouterr().out
    args = parser.parse_args(["key-areas", "remove", "朝阳区", "--reason", "x", "--data", str(data)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("qrgate key-areas: prefix: several regions") and err.count("\n") == 1


# --- who may shorten a quarantine -----------------------------------------------------------

@pytest.mark.parametrize("change", [{"origin": "110101"}, {"arrived_on": "2020-01-25"},
                                    {"quarantine_kind": "home"}])
async def test_a_registrar_cannot_shorten_a_quarantine(client: Client, registrar: dict[str, str],
                                                       admin: dict[str, str], change: dict[str, str]) -> None:
    arrived = local_today().isoformat()
    _, person = await _post(client, registrar, person_body(30, origin="420106", arrived_on=arrived,
                                                           quarantine_kind="central",
                                                           quarantine_place="市隔离酒店 3 楼"))
    assert person["quarantine"]["kind"] == "central" and person["quarantine"]["place"] == "市隔离酒店 3 楼"
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=registrar, json={**change, "reason": "x"})
    assert resp.status == 403
    error = (await resp.json())["error"]
    assert error["code"] == "quarantine_shortening" and "only an admin" in error["message"]
    unchanged = await (await client.get(f"/api/v1/people/{person['id']}", headers=admin)).json()
    assert unchanged["quarantine"] == person["quarantine"] and unchanged["origin"] == "420106"

    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=admin, json=change)
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "reason"
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=admin,
                              json={**change, "reason": "origin was mistyped"})
    assert resp.status == 200, await resp.text()
    done = await resp.json()
    assert done["quarantine"] is None or done["quarantine"]["ended_early"] is True
    audit = await (await client.get("/api/v1/audit", headers=admin,
                                    params={"action": "person.quarantine_shorten"})).json()
    assert [a["reason"] for a in audit["audit"]] == ["origin was mistyped"]


async def test_a_registrar_may_lengthen_a_quarantine(client: Client, registrar: dict[str, str]) -> None:
    _, person = await _post(client, registrar, person_body(31, origin="420106", arrived_on="2020-02-01"))
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=registrar,
                              json={"arrived_on": local_today().isoformat()})
    assert resp.status == 200 and (await resp.json())["quarantine"]["ended_early"] is False
