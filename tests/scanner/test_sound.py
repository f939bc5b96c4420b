"""Decision sounds: valid, different WAV tones; a player off the decision path; no player, no crash."""

from __future__ import annotations

import io
import stat
import time
import wave
from array import array
from pathlib import Path

import pytest

from scanner.sound import RATE, Sounder, tone


def samples(wav: bytes) -> tuple[wave._wave_params, array]:
    with wave.open(io.BytesIO(wav), "rb") as r:
        params = r.getparams()
        data = array("h", r.readframes(params.nframes))
    return params, data


def pitch(data: array) -> float:
    """Frequency from upward zero crossings over the sounding samples (pulse gaps are silence)."""
    crossings = sum(1 for a, b in zip(data, data[1:]) if a < 0 <= b)
    sounding = sum(1 for s in data if s != 0)
    return crossings * RATE / sounding


def pulses(data: array, silence: int = RATE // 50) -> int:
    """Runs of sound separated by at least `silence` zero samples."""
    count, quiet = 0, silence
    for value in data:
        if value == 0:
            quiet += 1
        else:
            count += quiet >= silence
            quiet = 0
    return count


def test_allow_and_deny_tones_are_valid_and_differ() -> None:
    allow, deny = tone(True), tone(False)
    assert allow[:4] == b"RIFF" and allow[8:12] == b"WAVE" and allow != deny
    (pa, da), (pd, dd) = samples(allow), samples(deny)
    for params, data in ((pa, da), (pd, dd)):
        assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
        assert 0.1 * RATE < params.nframes < 1.0 * RATE  # short: the next person is waiting
        assert 5000 < max(data) <= 32767 and data[0] == 0  # audible, and ramps in without a click
    assert pitch(da) == pytest.approx(880, rel=0.05) and pitch(dd) == pytest.approx(220, rel=0.05)
    assert (pulses(da), pulses(dd)) == (1, 3)  # deny differs in rhythm too, not only in pitch


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def path_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripts: dict[str, str]) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, body in scripts.items():
        script = folder / name
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(folder))  # only our scripts: no real player is found
    return folder


def test_no_player_rings_the_bell_and_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path_with(tmp_path, monkeypatch, {})
    bell = Tty()
    sounder = Sounder(bell=bell)
    assert sounder.player is None
    sounder.play(True)
    sounder.close()
    assert bell.getvalue() == "\a" and sounder.played == ["bell"]
    quiet = Sounder(bell=io.StringIO())  # not a terminal: nothing to ring, still no error
    quiet.play(False)
    quiet.close()
    assert quiet.played == []


def test_a_broken_player_falls_back_to_the_bell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path_with(tmp_path, monkeypatch, {"aplay": "exit 1\n"})  # e.g. no sound card
    bell = Tty()
    sounder = Sounder(bell=bell)
    assert sounder.player is not None and sounder.player[0].endswith("aplay")
    sounder.play(False)
    sounder.close()
    assert bell.getvalue() == "\a\a" and sounder.played == ["bell"]


def test_player_gets_the_wav_and_never_blocks_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, release = tmp_path / "played", tmp_path / "release"
    # a player that records the file it was given, then holds on until the test releases it
    folder = path_with(tmp_path, monkeypatch, {"pw-play": (
        f'/bin/cp "$1" "{tmp_path}/copy-$(/usr/bin/basename "$1")"\n'
        f'echo "$1" >> "{log}"\n'
        f'while [ ! -e "{release}" ]; do /bin/sleep 0.02; done\n')})
    sounder = Sounder(bell=Tty())
    assert sounder.player == [str(folder / "pw-play")]
    sounder.play(True)
    deadline = time.monotonic() + 30
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.exists(), "the player was never started"
    for _ in range(5):  # the first sound is still playing: these return at once, one waits, the rest drop
        sounder.play(False)
    release.touch()
    sounder.close()
    played = log.read_text().split()
    assert len(played) == 2 and played[0].endswith("allow.wav") and played[1].endswith("deny.wav")
    assert (tmp_path / "copy-allow.wav").read_bytes() == tone(True)
    assert (tmp_path / "copy-deny.wav").read_bytes() == tone(False)
    assert sounder.played == ["player", "player"]
    assert not Path(played[0]).exists()  # close() removes its private folder
