"""Properties of the pure report functions: sums that must add up, masks, CSV cells, day windows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.reports import (DENY_REASONS, GROUP_OF, OTHER, REASON_GROUPS, _cell, day_window, entry_figures,
                             fingerprint, mask_name)
from gateway.store.reports import CountRow
from keys import Reason

count_rows = st.lists(st.builds(
    CountRow, site=st.sampled_from(["A", "B"]), decision=st.sampled_from(["allow", "deny"]),
    reason=st.sampled_from([r.value for r in Reason]), count=st.integers(0, 10**6),
    late=st.integers(0, 10**6)), max_size=40)


def test_every_deny_reason_is_in_exactly_one_group() -> None:
    assert sorted(DENY_REASONS) == sorted(r.value for r in Reason if r is not Reason.OK)
    assert len(DENY_REASONS) == len(set(DENY_REASONS)) == len(GROUP_OF)


@given(count_rows)
def test_groups_and_reasons_add_up_to_the_denials(rows: list[CountRow]) -> None:
    figs = entry_figures(rows)
    entries = figs["entries"]
    assert entries["allowed"] == sum(r.count for r in rows if r.decision == "allow")
    assert entries["denied"] == sum(r.count for r in rows if r.decision == "deny")
    assert entries["total"] == entries["allowed"] + entries["denied"]
    assert entries["late_uploads"] == sum(r.late for r in rows)
    assert sum(figs["denials"].values()) == sum(figs["denial_reasons"].values()) == entries["denied"]
    assert list(figs["denials"]) == [*REASON_GROUPS, OTHER]  # every group, zeros included, in order
    assert list(figs["denial_reasons"]) == [*DENY_REASONS, OTHER]
    assert figs["denials"][OTHER] == sum(r.count for r in rows if r.decision == "deny" and r.reason == "ok")


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=8))
def test_the_fingerprint_ignores_key_order_and_its_own_fields(figs: dict[str, object]) -> None:
    reordered = dict(reversed(list(figs.items())))
    assert fingerprint(figs) == fingerprint(reordered)
    assert fingerprint(figs) == fingerprint({**figs, "fingerprint": "x", "changed_since_first_produced": True})
    assert fingerprint(figs) != fingerprint({**figs, "an extra figure": -1})


@given(st.text(min_size=2, max_size=30).filter(lambda s: s.strip() != ""))
def test_a_masked_name_never_shows_more_than_the_initials(name: str) -> None:
    masked = mask_name(name)
    # a name is only its own mask when all it has past its initials are asterisks already (e.g. "0*")
    assert masked is not None and (masked != name or set(name) - set(masked.replace("*", "")) <= {"*"})
    words = name.split()
    assert masked[0] == (words[0][0] if len(words) > 1 else name[0])
    assert sum(c != "*" for c in masked if not c.isspace()) <= max(1, len(words))


@given(st.text(max_size=40))
def test_csv_cells_never_start_a_formula_and_survive_a_round_trip(text: str) -> None:
    cell = _cell(text)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell, "next"])
    assert next(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) == [cell, "next"]


@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2200, 1, 1)),
       st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/Berlin", "America/New_York",
                        "Asia/Kolkata", "Asia/Kathmandu"]))
def test_a_day_window_runs_from_local_midnight_to_the_next(day: date, tz: str) -> None:
    window = day_window(day, tz)
    assert 23 * 3600 <= window.end_ts - window.start_ts <= 25 * 3600
    assert day_window(day.fromordinal(day.toordinal() + 1), tz).start_ts == window.end_ts
    assert datetime.fromisoformat(window.start_iso).timestamp() == window.start_ts
    assert window.start_iso < window.end_iso
