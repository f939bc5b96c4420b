"""The desk's look-up allowance (gateway/desk.py `spend`): the limit at once, then one per window / limit
seconds; never more than limit + s × limit / window in any s seconds; a desk at its pace never refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import GatewayConfig
from gateway.desk import Allowance, spend


def _run(times: list[float], limit: int, window: float) -> list[tuple[float, float]]:
    """(time, wait) for each look-up asked for at `times`, in order."""
    state: Allowance | None = None
    out = []
    for moment in times:
        state, wait = spend(state, moment, limit, window)
        out.append((moment, wait))
    return out


def test_thirty_at_once_then_one_every_twenty_seconds() -> None:
    answers = _run([0.0] * 31 + [19.0, 20.0, 20.0, 40.0], 30, 600.0)
    assert [w for _, w in answers[:30]] == [0.0] * 30
    assert answers[30][1] == pytest.approx(20.0) and answers[31][1] == pytest.approx(1.0)
    assert [w for _, w in answers[32:]] == [0.0, pytest.approx(20.0), 0.0]


def test_a_burst_is_counted_until_the_allowance_is_whole_again() -> None:
    state = None
    for _ in range(3):
        state, _wait = spend(state, 0.0, 3, 600.0)
    state, wait = spend(state, 1.0, 3, 600.0)
    assert wait and state.refused == 1  # the first refusal of the burst (the one audited)
    state, wait = spend(state, 2.0, 3, 600.0)
    assert wait and state.refused == 2
    state, wait = spend(state, 200.0, 3, 600.0)
    assert not wait and state.refused == 2  # allowed again, but still the same burst
    state, wait = spend(state, 900.0, 3, 600.0)
    assert not wait and state.refused == 0  # a whole allowance: a later refusal starts a new burst


@given(st.integers(1, 60), st.integers(1, 3600),
       st.lists(st.floats(0, 5000, allow_nan=False, allow_infinity=False), min_size=1, max_size=200))
def test_never_more_than_the_allowance_in_any_stretch(limit: int, window: int, times: list[float]) -> None:
    made = [t for t, wait in _run(sorted(times), limit, float(window)) if not wait]
    interval = window / limit
    for i, start in enumerate(made):
        for j in range(i, len(made)):
            assert j - i + 1 <= limit + (made[j] - start) / interval + 1e-6


@given(st.integers(1, 60), st.integers(1, 3600), st.lists(st.floats(0, 100, allow_nan=False), max_size=100))
def test_a_desk_at_its_pace_is_never_refused_and_a_wait_is_exact(limit: int, window: int,
                                                                 gaps: list[float]) -> None:
    interval = window / limit
    moment, state = 0.0, None
    for gap in gaps:  # never faster than one look-up per interval
        moment += interval + gap
        state, wait = spend(state, moment, limit, float(window))
        assert wait == 0.0
    for _ in range(limit):  # then the whole allowance at once ...
        state, wait = spend(state, moment + interval * 2, limit, float(window))
        assert wait == 0.0
    state, wait = spend(state, moment + interval * 2, limit, float(window))
    assert wait > 0  # ... and one more is refused, until the wait it was told
    assert spend(state, moment + interval * 2 + wait, limit, float(window))[1] == 0.0


@pytest.mark.parametrize("setting", ["desk_lookup_limit", "desk_lookup_window_seconds"])
def test_the_settings_must_be_positive(setting: str) -> None:
    with pytest.raises(ValueError, match=setting):
        GatewayConfig(**{setting: 0})
