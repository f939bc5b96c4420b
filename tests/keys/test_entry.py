"""keys/entry.py: the one entry record. Property tests (hypothesis) and the vectors of tests/vectors/entries.json.

- from_json(to_json(e)) == e for every entry, and to_json(from_json(x)) == x for every JSON form a gate
  writes (so the hash the gateway checks covers the gate's own bytes);
- anything else is one EntryError naming a field, never another exception.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keys import Reason
from keys.chain import GENESIS, canonical, entry_hash
from keys.entry import OPTIONAL, REQUIRED, Entry, EntryError, json_schema
from keys.policy import DIRECTIONS

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "entries.json").read_text())["entries"]

hex24 = st.text("0123456789abcdef", min_size=24, max_size=24)
hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=6)),
                                                  timezone(-timedelta(hours=9, minutes=30))]))
reading = st.none() | st.integers(-100, 200) | st.floats(-100, 200, allow_nan=False)


@st.composite
def entry_json(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON form a gate may write: every required field, any subset of the optional ones."""
    body: dict[str, Any] = {
        "id": str(draw(st.uuids())), "seq": draw(st.integers(1, 2**53)),
        "device_id": draw(st.text(min_size=1, max_size=64)), "site": draw(st.text(min_size=1, max_size=64)),
        "scanned_at": draw(moments).isoformat(timespec=draw(st.sampled_from(["seconds", "milliseconds"]))),
        "decision": draw(st.sampled_from(["allow", "deny"])), "reason": draw(st.sampled_from([r.value for r in Reason])),
        "prev_hash": draw(hex64), "hash": draw(hex64)}
    optional = {"serial": st.none() | hex24, "text_hash": st.none() | hex64, "temperature": reading,
                "clock_offset": st.none() | st.floats(-1e9, 1e9, allow_nan=False) | st.integers(-10**9, 10**9),
                "direction": st.none() | st.sampled_from(DIRECTIONS),
                "latency_ms": st.none() | st.floats(0, 1e9, allow_nan=False)}
    for key in draw(st.sets(st.sampled_from(OPTIONAL))):
        body[key] = draw(optional[key])
    return body


@given(entry_json())
def test_the_json_form_comes_back_byte_for_byte(body: dict[str, Any]) -> None:
    entry = Entry.from_json(body)
    assert entry.to_json() == body and canonical(entry.to_json()) == canonical(body)
    assert Entry.from_json(entry.to_json()) == entry
    assert entry.hash_ok() == (entry_hash(body) == body["hash"])


@given(entry_json())
def test_an_entry_comes_back_from_its_json(body: dict[str, Any]) -> None:
    entry = Entry.from_json(json.loads(json.dumps(Entry.from_json(body).to_json())))
    assert Entry.from_json(entry.to_json()) == entry


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10)


@given(entry_json(), st.sampled_from(REQUIRED + OPTIONAL + ("extra",)), json_values)
def test_a_wrong_field_is_one_entry_error_naming_it(body: dict[str, Any], key: str, value: object) -> None:
    changed = {**body, key: value}
    try:
        entry = Entry.from_json(changed)
    except EntryError as exc:
        assert exc.field == key[:40] and str(exc)
        path, sentence = exc.at("entries[2]")
        assert path == f"entries[2].{key}" and key in sentence
    else:
        assert key != "extra" and entry.to_json()[key] == value


@given(json_values)
def test_anything_is_an_entry_or_one_entry_error(raw: object) -> None:
    try:
        Entry.from_json(raw)
    except EntryError as exc:
        assert isinstance(exc.field, str)


@given(entry_json(), st.sampled_from(REQUIRED))
def test_a_missing_required_field_is_named(body: dict[str, Any], key: str) -> None:
    with pytest.raises(EntryError, match=f"^{key} is required$"):
        Entry.from_json({k: v for k, v in body.items() if k != key})


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vectors_verify_and_come_back_unchanged(vector: dict[str, Any]) -> None:
    body = vector["entry"]
    entry = Entry.from_json(body)
    assert entry.hash_ok() and entry.to_json() == body and entry_hash(body) == body["hash"]


def test_the_vectors_are_one_chain_where_they_say_so() -> None:
    first, second = VECTORS[0]["entry"], VECTORS[1]["entry"]
    assert first["prev_hash"] == GENESIS and second["prev_hash"] == first["hash"]
    # the canonical encoding is fixed: a change of it would make every gate's log unverifiable
    assert first["hash"] == entry_hash(first) == "8860c4734210b991adacce03ed6e52333015bc71726f7eb4512cfa745c7cd3cd"


def test_chained_makes_the_hash_and_checks_every_field() -> None:
    values = {k: v for k, v in VECTORS[0]["entry"].items() if k not in ("id", "seq", "prev_hash", "hash")}
    made = Entry.chained(id=str(uuid.uuid4()), seq=1, prev_hash=GENESIS, **values)
    assert made.hash_ok() and made.absent == frozenset()
    with pytest.raises(EntryError, match="^temperature must be a number"):
        Entry.chained(id=str(uuid.uuid4()), seq=1, prev_hash=GENESIS, **{**values, "temperature": float("nan")})


def test_the_schema_names_every_field_and_requires_the_required() -> None:
    schema = json_schema()
    assert set(schema["properties"]) == set(REQUIRED + OPTIONAL) and schema["required"] == list(REQUIRED)
    assert schema["additionalProperties"] is False


uuid_like = (st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper()) | st.uuids().map(lambda u: u.hex)
             | st.uuids().map(lambda u: f"{{{u}}}") | st.uuids().map(lambda u: f"urn:uuid:{u}")
             | st.uuids().map(lambda u: f" {u}") | st.uuids().map(lambda u: f"{u}\n")
             | st.text("0123456789abcdefABCDEF-{}:_ \n", max_size=45) | st.text(max_size=40))


@given(uuid_like)
def test_an_id_is_accepted_exactly_when_it_is_its_uuid_spelled_canonically(text: str) -> None:
    """The id check is a pattern (cheaper, #12); it keeps the rule it replaced: str(uuid.UUID(x)) == x."""
    try:
        canonical_form = str(uuid.UUID(text)) == text
    except ValueError:
        canonical_form = False
    body = {**VECTORS[0]["entry"], "id": text}
    try:
        Entry.from_json(body)
        accepted = True
    except EntryError as exc:
        assert exc.field == "id"
        accepted = False
    assert accepted == canonical_form
