"""Property tests: whatever a keyboard-wedge scanner types, the pipeline neither crashes nor admits."""

from __future__ import annotations

import io
import json

from offline_gate import OfflineGate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keys.base45 import ALPHABET as B45
from scanner.display import Headless
from scanner.gate import Gate
from scanner.log import EntryLog
from scanner.pipeline import Pipeline
from scanner.sources import StdinLines, parse_line

lines = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=B45, max_size=400).map(lambda t: "QG1:" + t),
    st.tuples(st.text(alphabet=B45, max_size=200), st.floats(allow_nan=True, allow_infinity=True))
      .map(lambda p: f"QG1:{p[0]}\t{p[1]}"),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines, max_size=8))
def test_random_lines_never_crash_and_never_allow(offline: OfflineGate, batch: list[str]) -> None:
    out = io.StringIO()
    with EntryLog(offline.state.log_path) as log:
        snap = offline.state.load()
        pipeline = Pipeline(Gate(offline.state.device(), log, lambda: snap), Headless(out))
        stream = io.StringIO("".join(line.replace("\n", " ").replace("\r", " ") + "\n" for line in batch))
        import threading

        pipeline.run_lines(StdinLines(stream).lines(threading.Event()))
        assert log.verify_chain() is None
    for shown in map(json.loads, out.getvalue().splitlines()):
        assert shown["decision"] == "deny"


@given(st.text(max_size=500))
def test_parse_line_never_raises_and_keeps_the_text(line: str) -> None:
    text, temp, whole = parse_line(line)
    assert isinstance(text, str)
    assert temp is None or (temp == temp and abs(temp) != float("inf"))
    assert whole is None or whole.startswith(text)


@given(st.text(alphabet=B45, min_size=1, max_size=300).filter(lambda t: t.strip() == t and t),
       st.floats(min_value=30, max_value=45).map(lambda f: round(f, 1)))
def test_tab_separated_temperature_round_trips(text: str, temp: float) -> None:
    assert parse_line(f"QG1:{text}\t{temp}\n") == (f"QG1:{text}", temp, None)


def test_space_separated_temperature_keeps_the_whole_line_for_a_second_try() -> None:
    assert parse_line("QG1:ABC 36.8") == ("QG1:ABC", 36.8, "QG1:ABC 36.8")
    assert parse_line("QG1:ABC") == ("QG1:ABC", None, None)
    assert parse_line("QG1:ABC\tnan") == ("QG1:ABC\tnan", None, None)


def test_whitespace_around_the_pass_text_is_kept_for_decide_to_refuse() -> None:
    assert parse_line(" QG1:ABC\n") == (" QG1:ABC", None, None)
    assert parse_line("QG1:ABC \t36.8") == ("QG1:ABC ", 36.8, None)
    assert parse_line("\u3000QG1:ABC 36.8")[0] == "\u3000QG1:ABC"
