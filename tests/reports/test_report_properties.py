"""Properties of the pure report functions: sums that must add up, masks, CSV cells, day windows."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.reports import (DENY_REASONS, GROUP_OF, OTHER, REASON_GROUPS, _cell, day_window, entry_figures,
                             fingerprint, mask_name, tallies)
from gateway.store.reports import CountRow, DayRow
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


@st.composite
def day_rows(draw: st.DrawFn) -> list[DayRow]:
    """What one GROUP BY site, decision, reason, direction gives: each key at most once."""
    keys = draw(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["allow", "deny"]),
                                   st.sampled_from(["ok", "fever", "expired"]), st.sampled_from(["in", "out", "both"])),
                         unique=True, max_size=30))
    rows = []
    for key in keys:
        count = draw(st.integers(1, 10**6))
        rows.append(DayRow(*key, count, draw(st.integers(0, count)), draw(st.integers(0, count))))
    return rows


@given(day_rows())
def test_one_scan_gives_what_the_three_did(rows: list[DayRow]) -> None:
    """tallies() of the one scan = the three scans it replaced: counts by (site, decision, reason), temperatures
    taken by site (sites with a reading only), entries by (site, direction)."""
    counts, measured, ways = tallies(rows)
    by_reason = {(c.site, c.decision, c.reason): (c.count, c.late) for c in counts}
    assert len(by_reason) == len(counts)
    for key, (n, late) in by_reason.items():
        assert n == sum(r.count for r in rows if (r.site, r.decision, r.reason) == key)
        assert late == sum(r.late for r in rows if (r.site, r.decision, r.reason) == key)
    assert set(by_reason) == {(r.site, r.decision, r.reason) for r in rows}
    assert dict(measured) == {s: n for s in {r.site for r in rows}
                              if (n := sum(r.measured for r in rows if r.site == s))}
    assert sorted(ways) == sorted({(r.site, r.direction, sum(x.count for x in rows if (x.site, x.direction)
                                                              == (r.site, r.direction))) for r in rows})


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=8))
def test_the_fingerprint_ignores_key_order_and_its_own_fields(figs: dict[str, object]) -> None:
    reordered = dict(reversed(list(figs.items())))
    assert fingerprint(figs) == fingerprint(reordered)
    assert fingerprint(figs) == fingerprint({**figs, "fingerprint": "x", "changed_since_first_produced": True})
    assert fingerprint(figs) != fingerprint({**figs, "an extra figure": -1})


def _shown(masked: str) -> list[str]:
    return [c for c in masked if c != "*"]


@given(st.text(min_size=2, max_size=30).filter(lambda s: sum(not c.isspace() for c in s) >= 2))
def test_a_masked_name_never_shows_more_than_its_first_character(name: str) -> None:
    masked = mask_name(name)
    first = next(c for c in name if not c.isspace())
    assert masked is not None and masked[0] == first
    # nothing past the first character: every other character is an asterisk, and no spacing survives
    assert set(masked[1:]) == {"*"}
    assert not any(c.isspace() for c in masked)


@pytest.mark.parametrize("alphabet", ["张三 \u3000", "Li W\t", "0*\u200b", "ا ب", "\u0301e e"])
def test_every_short_name_over_a_small_alphabet_is_masked(alphabet: str) -> None:
    """Exhaustive for names of two to four characters over alphabets mixing scripts, spaces and marks."""
    for length in range(2, 5):
        for letters in itertools.product(alphabet, repeat=length):
            name = "".join(letters)
            visible = [c for c in name if not c.isspace()]
            masked = mask_name(name)
            if len(visible) >= 2:
                assert masked is not None and masked[0] == visible[0] and set(masked[1:]) == {"*"}, name
            elif visible:
                assert masked == visible[0] + "*", name
            else:
                assert masked is None, repr(name)


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
