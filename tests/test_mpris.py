"""The buttons people already have: `voiceguide play` as an MPRIS media player on a private
session bus (a dbus-daemon of the tests' own), driven by playerctl as media keys and headsets
drive it, and heard through the tests' PulseAudio server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from voiceguide.player.core import FADE
from voiceguide.sounds import cues

from .support.heard import (
    ALONE,
    BREAK_AFTER,
    BREAK_BEFORE,
    EXACT,
    assert_heard_whole,
    complaints,
    fade_end,
    first_mismatch,
    locate,
    remove,
    said_breaks,
)
from .support.pulse import SR, Pulse, load_recording
from .support.sessions import PLAYBACK_SCRIPT, rendered

pytestmark = [
    pytest.mark.playback,
    pytest.mark.skipif(
        not shutil.which("dbus-daemon") or not shutil.which("playerctl"),
        reason="no dbus-daemon or playerctl (make test installs them)",
    ),
]

SCRIPT = PLAYBACK_SCRIPT.replace("title: Playback test", "title: Buttons test")


class Bus:
    """A private session bus: its own dbus-daemon, listening in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        command = ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
                   f"--address=unix:path={folder / 'bus'}"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.address = self.process.stdout.readline().strip()
        assert self.address.startswith("unix:"), self.address

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[Bus]:
    (tmp_path / "bus-dir").mkdir()
    private = Bus(tmp_path / "bus-dir")
    yield private
    private.stop()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, object]:
    return rendered(tmp_path_factory.mktemp("mpris"), "buttons-test", SCRIPT, speech_cache)


def play(pulse: Pulse, session: dict, bus_address: str | None) -> subprocess.Popen[str]:
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": session["env"]["VOICEGUIDE_CACHE_DIR"]}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if bus_address is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus_address
    command = [sys.executable, "-m", "voiceguide", "play", str(session["script"])]
    return subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def until(what: str, check: Callable[[], bool], deadline: float = 60.0) -> None:
    """Poll ``check`` until it holds (a busy machine may take a while; never a fixed wait)."""
    end = time.monotonic() + deadline
    while not check():
        assert time.monotonic() < end, f"not within {deadline:.0f} s: {what}"
        time.sleep(0.05)


def test_playerctl_sees_the_session_pauses_it_resumes_it_skips_and_stops(
    pulse: Pulse,
    session: dict,
    bus: Bus,
    tmp_path: Path,
) -> None:
    render = session["render"]
    two = session["cues"]["sections"][1]["start"]
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address}

    def ctl(*args: str) -> str:
        done = subprocess.run(["playerctl", "-p", "voiceguide", *args], env=env, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else f"<{done.stderr.strip()}>"

    with pulse.recording(tmp_path / "rec.raw") as raw:
        process = play(pulse, session, bus.address)
        until("on the bus, playing", lambda: ctl("status") == "Playing")
        names = subprocess.run(["playerctl", "-l"], env=env, capture_output=True, text=True).stdout.split()
        assert names == [f"voiceguide.instance{process.pid}"]
        assert ctl("metadata", "xesam:title") == "Buttons test"
        assert ctl("metadata", "xesam:album") == "One"
        assert ctl("metadata", "xesam:artist") == "voiceguide"
        # The signals: a follower is told each section as it comes (it starts with the one now).
        follower = subprocess.Popen(
            ["playerctl", "-p", "voiceguide", "--follow", "metadata", "xesam:album"],
            env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        until("two seconds in", lambda: float(ctl("position") or 0) >= 2.0)
        assert ctl("pause") == ""
        until("paused", lambda: ctl("status") == "Paused")
        held = float(ctl("position"))
        time.sleep(0.2)  # the position holds still while paused (asserted below, never decided by a wait)
        assert float(ctl("position")) == held
        assert ctl("play-pause") == ""  # the headset's button: resume
        until("playing again", lambda: ctl("status") == "Playing")
        until("into the session again", lambda: float(ctl("position")) > held + 0.5)
        assert ctl("next") == ""
        until("in section two", lambda: ctl("metadata", "xesam:album") == "Two")
        until(
            "the length known",
            lambda: ctl("metadata", "mpris:length") != "<>" and ctl("metadata", "mpris:length") != "",
        )
        assert abs(int(ctl("metadata", "mpris:length")) / 1e6 - len(render) / SR) < 0.05
        until("well into section two", lambda: float(ctl("position")) >= two + 1.5)
        assert ctl("stop") == ""
        out, err = process.communicate(timeout=60)
        follower.terminate()
        followed, _ = follower.communicate(timeout=10)
    assert process.returncode == 0, err
    assert complaints(err) == [], err
    assert followed.split() == ["One", "Two"], followed

    heard = load_recording(raw)[:, 0]
    # Where the player said the sound broke up (a machine too busy to feed the device), the
    # recording is not the render at one offset, and what is measured there would measure that.
    broke = said_breaks(err)

    def clear(start: float, end: float) -> bool:
        return not [b for b in broke if start - BREAK_AFTER <= b <= end + BREAK_BEFORE]

    before = locate(heard, render, 1.0)
    if clear(0.0, held + 1.0):
        # The pause: the fade, then silence (the pause mark taken out first).
        stop_near = first_mismatch(heard, render, before, int(1.0 * SR))
        fade, span = int(FADE * SR), int(0.3 * SR)
        mark = np.asarray(cues.mark("pause"), dtype=np.float64)
        clean = remove(heard, mark, before + stop_near - span, before + stop_near + span, ALONE)
        stopped = fade_end(clean, render, before, stop_near + fade, fade, span)
        assert 2.0 * SR <= stopped <= 4.0 * SR, stopped / SR
        assert np.max(np.abs(clean[before + stopped + SR // 10 : before + stopped + SR // 5])) <= EXACT, (
            "silence after the fade"
        )
    # After next, section two plays as rendered (heard after the jump, well after its marks).
    after = locate(heard, render, two + 0.5, 1.0)
    if clear(two, two + 1.1):
        length = int(0.5 * SR)
        np.testing.assert_allclose(
            heard[after + int((two + 0.6) * SR) :][:length], render[int((two + 0.6) * SR) :][:length], atol=1.5 / 32768
        )
    # Stop quit before the end: the last section never played.
    three = session["cues"]["sections"][2]["start"]
    assert first_mismatch(heard, render, after, int((two + 1.0) * SR)) < three * SR


@pytest.mark.parametrize("address", [None, "unix:path=/nonexistent/voiceguide-no-bus"], ids=["unset", "unreachable"])
def test_with_no_session_bus_play_plays_the_whole_session_and_says_nothing(
    pulse: Pulse,
    session: dict,
    tmp_path: Path,
    address: str | None,
) -> None:
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process = play(pulse, session, address)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert (out, complaints(err)) == ("", [])
    assert_heard_whole(load_recording(raw)[:, 0], session["render"], breaks=said_breaks(err))
