"""The checkpoint record parser: any JSON is a parsed record or one InvalidInput naming a field, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checkpoint import parse_record
from gateway.errors import InvalidInput

RECEIVED = "2020-02-14T08:00:00.000+00:00"
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=50))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                           max_leaves=12)
GOOD: dict[str, Any] = {"id": "3f2b6c1e-8d4a-4b7e-9a51-2c6f0d9e8b17", "seq": 1, "prev_hash": "0" * 64,
                        "hash": "a" * 64, "recorded_at": "2020-02-14T08:00:01+08:00",
                        "plate": "鄂A12345", "vehicle_kind": "car", "direction": "in", "origin": "420100",
                        "township": "T", "community": "C",
                        "people": [{"temperature": 36.5, "decision": "allow", "reason": "ok"}]}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(GOOD)), json_values)
def test_one_field_changed_to_anything(field: str, value: Any) -> None:
    raw = {**GOOD, field: value}
    try:
        parsed = parse_record(raw, 0, RECEIVED, retention_days=28)
    except InvalidInput as exc:
        assert exc.field and exc.field.startswith("records[0]") and exc.message
    else:
        assert parsed["id"] == GOOD["id"] and 30.0 <= parsed["people"][0]["temperature"] <= 45.0


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["temperature", "decision", "reason", "serial", "document_type", "document_number", "name",
                        "resident", "transport", "clinic", "role", "x"]), json_values)
def test_one_person_field_changed_to_anything(field: str, value: Any) -> None:
    raw = {**GOOD, "people": [{**GOOD["people"][0], field: value}]}
    try:
        parse_record(raw, 0, RECEIVED, retention_days=28)
    except InvalidInput as exc:
        assert exc.field and exc.field.startswith("records[0].people[0]")


@given(json_values)
def test_anything_at_all(value: Any) -> None:
    try:
        parse_record(value, 0, RECEIVED, retention_days=28)
    except InvalidInput as exc:
        assert exc.field
