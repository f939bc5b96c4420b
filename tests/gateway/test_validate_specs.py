"""A field spec's check and its JSON Schema agree (gateway/validate.py): what the schema accepts the
handler accepts and, but for the look-alike digits canonical.fold also takes, nothing more."""

from __future__ import annotations

import re
import unicodedata

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import checkpoint, key_areas, registry
from gateway.errors import InvalidInput
from gateway.validate import (CODE, CONTROL_CATEGORIES, CONTROL_CLASS, REASON, WS_CLASS, Day, Moment, Spec,
                              Text)

EXACT: dict[str, Spec] = {"text64": Text(64), "reason": REASON, "code": CODE, "short": Text(3, 2),
                          "raw": Text(20, trim=False), "day": Day(), "moment": Moment(), "gate_time": Moment(1900),
                          "record_id": checkpoint.RECORD_ID}
FOLDED: dict[str, Spec] = {"phone": registry.PHONE_NUMBER, "origin": registry.ORIGIN_CODE,
                           "document": registry.DOCUMENT_NUMBER, "prefix": key_areas.PREFIX}


def _accepts(spec: Spec, value: str) -> bool:
    try:
        spec.check(value, "f")
    except InvalidInput:
        return False
    return True


def _strings(spec: Spec) -> st.SearchStrategy[str]:
    """Random text, text near the schema's pattern, and the pattern's own strings with spaces around."""
    pattern = spec.schema()["pattern"]
    near = st.from_regex(re.compile(pattern), fullmatch=True)
    return st.one_of(st.text(max_size=80), near, st.tuples(near, st.sampled_from(["", " ", "\t", "\u3000"]))
                     .map(lambda t: t[1] + t[0] + t[1]))


@pytest.mark.parametrize("name", sorted(EXACT))
def test_check_accepts_exactly_what_the_schema_accepts(name: str) -> None:
    spec = EXACT[name]
    validator = jsonschema_rs.validator_for(spec.schema(), validate_formats=True)

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(value=_strings(spec))
    def run(value: str) -> None:
        assert _accepts(spec, value) == validator.is_valid(value), (value, spec.schema())

    run()


@pytest.mark.parametrize("name", sorted(FOLDED))
def test_what_the_schema_accepts_the_check_accepts(name: str) -> None:
    spec = FOLDED[name]
    validator = jsonschema_rs.validator_for(spec.schema(), validate_formats=True)

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(value=_strings(spec))
    def run(value: str) -> None:
        if validator.is_valid(value):
            assert _accepts(spec, value), (value, spec.schema())

    run()


def test_the_written_out_classes_are_what_python_computes() -> None:
    def members(body: str) -> set[str]:
        cls = re.compile(f"[{body}]")
        return {chr(c) for c in range(0x10000) if cls.fullmatch(chr(c))}

    assert members(WS_CLASS) == {chr(c) for c in range(0x10000) if chr(c).isspace()}
    assert members(CONTROL_CLASS) == {chr(c) for c in range(0x10000)
                                      if unicodedata.category(chr(c)) in CONTROL_CATEGORIES}


def test_text_trims_folds_and_refuses_what_disguises() -> None:
    assert CODE.check("\u3000Ｓ１ ", "code") == "S1"
    assert Text(64).check("  李\u3000伟 ", "name") == "李\u3000伟"  # an ideographic space inside is fine
    for bad in ("a\u200bb", "a\u202eb", "a\x85b", "a\ud800b"):
        with pytest.raises(InvalidInput):
            Text(64).check(bad, "name")
