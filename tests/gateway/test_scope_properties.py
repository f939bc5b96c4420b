"""Property tests for the scope parser with class entries (gateway/access.Scope.parse): any text is a
scope or one ValueError, never a crash; a parsed scope reads back as itself; a class reaches exactly
the people of that class of that school."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.access import Scope, resolve

CODE = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,20}", fullmatch=True)


@given(st.text(max_size=200))
def test_any_text_is_a_scope_or_a_value_error(text: str) -> None:
    try:
        scope = Scope.parse(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert Scope.parse(scope.text()) == scope


@given(st.lists(st.tuples(CODE, CODE), min_size=1, max_size=5), CODE, CODE)
def test_a_class_scope_reaches_its_classes_only(classes: list[tuple[str, str]], school: str, klass: str) -> None:
    scope = Scope.parse(",".join(f"class:{s}/{k}" for s, k in classes))
    assert Scope.parse(scope.text()) == scope
    reach = resolve(scope, [("SITE", '{"schools": ["%s"]}' % school)])
    assert not reach.sites  # a class reaches no site, whatever the sites admit
    assert reach.covers_person(None, None, school, klass) is ((school, klass) in classes)
    assert not reach.covers_person("C1", None, school, None)  # no class: not reached
    for s, k in classes:
        assert reach.covers_class(s, k) and reach.covers_person(None, None, s, k)


@pytest.mark.parametrize("text", ["class:S1", "class:/1A", "class:S1/", "class:S1/1A/2", "class:S 1/1A",
                                  "class:S1/1Ａ/"])
def test_a_class_entry_is_two_codes(text: str) -> None:
    with pytest.raises(ValueError, match="class:SCHOOL/CLASS"):
        Scope.parse(text)
