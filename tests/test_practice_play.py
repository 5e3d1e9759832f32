"""What ``play`` records in the history: the rule (against the player's core on a controlled
clock) and the real command through a PulseAudio null sink, including a history that
cannot be written and a Ctrl-C after more than thirty seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voiceguide import library
from voiceguide.cli.audio import heard as heard_from
from voiceguide.player.core import Player
from voiceguide.player.status import State
from voiceguide.practice import history, home
from voiceguide.practice.record import MIN_HEARD, Recorder

from .support.device import LATENCY, SR, Device, Signal, run_for
from .support.pulse import Pulse


def recorded() -> list[history.Practice]:
    return history.entries(home.history_path())


def _played(seconds: float, quit_after: bool = True) -> bool:
    device = Device()
    player = Player(Signal(seconds=60.0), device)
    recorder = Recorder.start(library.load("neck-tension-release"), "signal", warn=pytest.fail)
    player.play(0)
    run_for(player, device, seconds)
    if quit_after:
        player.quit()
    run_for(player, device, 120.0 if not quit_after else 1.0)
    assert player.state is State.FINISHED
    return recorder.finish(heard_from(player))


def test_a_quit_after_thirty_seconds_is_recorded_and_one_before_is_not() -> None:
    assert not _played(MIN_HEARD - 5)
    assert recorded() == []
    assert _played(MIN_HEARD + 10)
    (entry,) = recorded()
    assert (entry.session, entry.title) == ("neck-tension-release", "Neck tension release")
    assert "neck" in entry.areas and not entry.finished and entry.length == 60.0
    assert abs(entry.heard - (MIN_HEARD + 10 - LATENCY / SR)) < 0.5
    assert _played(61.0, quit_after=False)
    assert [(e.finished, e.heard) for e in recorded()] == [(False, entry.heard), (True, 60.0)]


def _tone(path: Path, seconds: float) -> Path:
    """A quiet sine as a WAV file: ``play FILE`` without speech to wait for."""
    import wave

    t = np.arange(int(seconds * 44100)) / 44100
    samples = (0.1 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(samples.tobytes())
    return path


def _play(pulse: Pulse, script: Path) -> subprocess.Popen[str]:
    env = {
        **pulse.env,
        "VOICEGUIDE_HOME": os.environ["VOICEGUIDE_HOME"],
        "VOICEGUIDE_CACHE_DIR": os.environ["VOICEGUIDE_CACHE_DIR"],
    }
    return subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "play", str(script), "--voice", "system", "--music", "none"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.playback
def test_play_records_a_finished_session(pulse: Pulse, tmp_path: Path) -> None:
    process = _play(pulse, _tone(tmp_path / "evening-stretch.wav", 3.0))
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    (entry,) = recorded()
    assert (entry.session, entry.source, entry.finished, entry.heard) == ("evening-stretch", "play", True, 3.0)


@pytest.mark.playback
def test_play_goes_on_when_the_history_cannot_be_written(pulse: Pulse, tmp_path: Path) -> None:
    script = _tone(tmp_path / "tone.wav", 2.0)
    home.history_path().parent.mkdir(parents=True)
    home.history_path().write_bytes(b"not a database at all " * 400)
    process = _play(pulse, script)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voiceguide: warning: this session will not be recorded"), lines
    assert str(home.history_path()) in lines[0]


@pytest.mark.playback
def test_ctrl_c_after_thirty_seconds_is_recorded(pulse: Pulse, tmp_path: Path) -> None:
    script = _tone(tmp_path / "long-practice.wav", 50.0)
    with pulse.recording(tmp_path / "heard.raw") as raw:
        process = _play(pulse, script)
        # The sink's monitor records silence until the sound starts: wait for the tone, then
        # for thirty-one and a half seconds of it.
        deadline = time.monotonic() + 180
        onset = None
        while time.monotonic() < deadline:
            data = np.frombuffer(raw.read_bytes(), dtype="<i2")
            if onset is None:
                loud = np.flatnonzero(np.abs(data) > 300)
                onset = int(loud[0]) // 2 if len(loud) else None
            if onset is not None and len(data) // 2 - onset > (MIN_HEARD + 1.5) * 44100:
                break
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (entry,) = recorded()
    assert not entry.finished and MIN_HEARD < entry.heard < 50
    rows = json.loads(
        subprocess.run(
            [sys.executable, "-m", "voiceguide", "history", "--json"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert rows[0]["session"] == "long-practice"


def test_an_exported_file_counts_as_the_session_it_is_named_after() -> None:
    recorder = Recorder.start(None, "childs-pose", warn=pytest.fail)
    assert (recorder.session, recorder.title) == ("childs-pose", "Child's pose") and "back" in recorder.areas
    own = Recorder.start(None, "my-recording", warn=pytest.fail)
    assert (own.session, own.title, own.areas) == ("my-recording", "my-recording", ())
