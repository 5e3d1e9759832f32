"""Plain output for a screen reader: with TERM=dumb no command redraws, erases, colours or draws boxes."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceguide.cli import app

from .support import REPO
from .support.pulse import Pulse
from .support.sessions import PLAYBACK_SCRIPT, rendered

BOXES = re.compile("[\u2500-\u257f]")
runner = CliRunner()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, object]:
    """A short session, its speech made."""
    return rendered(tmp_path_factory.mktemp("session"), "plain-test", PLAYBACK_SCRIPT, speech_cache)


def assert_plain(text: str) -> None:
    assert "\r" not in text, "nothing redrawn"
    assert "\x1b" not in text, "no escape sequence"
    assert not BOXES.search(text), "no box drawing"


def dumb(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"TERM": "dumb"})
    assert result.exit_code == 0, result.output
    assert_plain(result.output)
    return result.output


def test_every_command_that_prints_is_plain_on_a_dumb_terminal(tmp_path: Path, write) -> None:
    listed = dumb("list").splitlines()
    assert (
        "name: childs-pose; title: Child's pose; kind: technique"
        in listed[listed.index(next(line for line in listed if line.startswith("name: childs-pose;")))]
    )
    assert all(line.startswith("name: ") and "; minutes: " in line for line in listed)
    assert "Child's pose" in dumb("show", "childs-pose")
    said = dumb("show", "--transcript", "daily-five").splitlines()
    assert said[0] == "0:00  Part 1 of 8: Basic self-massage: Settle in"
    times = [line.split("  ", 1)[0] for line in said]
    assert times == sorted(times, key=lambda t: [int(x) for x in t.split(":")]), "in order"
    assert said[-1].endswith("  The end.")
    assert "No practice yet" in dumb("history")
    dumb("log", "childs-pose", "--before", "6", "--after", "3", "--note", "easier")
    record = dumb("history").splitlines()
    assert len(record) == 1 and "session: Child's pose; minutes: " in record[0] and "rating: 6 to 3" in record[0]
    weeks = dumb("progress").splitlines()
    assert weeks[0].startswith("week of: ") and any(line.startswith("habit strength: ") for line in weeks)
    assert dumb("validate", str(REPO / "scripts")).strip().endswith("valid")
    assert dumb("config").splitlines()[-1] == "plain: true (environment)"
    dumb("note", "add", "The left shoulder is tight", "--technique", "childs-pose")
    (note,) = dumb("note", "list").splitlines()
    assert note.startswith("note: 1; date: ") and note.endswith("; technique: childs-pose"), note
    dumb("plan", "new", "--goal", "back-pain", "--areas", "back,neck", "--minutes", "10", "--days", "mon,thu")
    plan = dumb("plan", "show").splitlines()
    assert [line.split(";")[0] for line in plan if line.startswith("day: ")] == ["day: Monday", "day: Thursday"], plan
    assert any(re.fullmatch(r"technique: [^;]+; length: \d+ ?m.*", line) for line in plan), plan
    voices = dumb("voices").splitlines()
    assert voices[0].startswith("voice: natural; name: ") and voices[0].endswith("; default: yes"), voices[0]
    script = write("title: Short\nsteps:\n  - say: Breathe in slowly.\n  - hold: 2s\n")
    made = dumb("render", str(script), "-o", str(tmp_path / "short.wav"))
    progress = [line for line in made.splitlines() if ": mixing " in line]
    assert progress == [f"script: mixing {n}%" for n in range(0, 101, 10)], made


@pytest.mark.playback
def test_play_on_a_dumb_terminal_writes_a_line_per_event(pulse: Pulse, session: dict) -> None:
    master, slave = pty.openpty()
    modes = termios.tcgetattr(slave)
    modes[1] &= ~termios.ONLCR  # the terminal adds no \r of its own: every byte is the player's
    termios.tcsetattr(slave, termios.TCSANOW, modes)
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": session["env"]["VOICEGUIDE_CACHE_DIR"], "TERM": "dumb"}
    command = [sys.executable, "-m", "voiceguide", "play", str(session["script"])]
    process = subprocess.Popen(command, env=env, stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    written = bytearray()

    def drain() -> None:
        try:
            while chunk := os.read(master, 4096):
                written.extend(chunk)
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()

    def after(text: str, key: bytes | None = None) -> None:
        deadline = time.monotonic() + 60
        while text not in written.decode(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline, f"no {text!r} in {bytes(written)!r}"
            time.sleep(0.05)
        if key is not None:
            os.write(master, key)

    after("Part 1 of 3: One", b"n")
    after("Part 2 of 3: Two", b" ")
    after("Paused at ", b" ")
    after("Resumed at ", b"-")
    after("Volume ", b"m")
    after("Music -3 dB", b"t")
    after("How long: ")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    time.sleep(0.2)  # the last bytes through the pseudo-terminal
    text = written.decode()
    assert_plain(text)
    lines = text.splitlines()
    events = [
        r"Playing Playback test, 0:00 of (about )?0:\d\d",
        r"Part 1 of 3: One, 0:00 of (about )?0:\d\d",
        r"Command: next part",
        r"Part 2 of 3: Two, 0:\d\d of (about )?0:\d\d",
        r"Command: pause",
        r"Paused at 0:\d\d of 0:\d\d",
        r"Command: pause",
        r"Resumed at 0:\d\d of 0:\d\d",
        r"Command: softer",
        r"Volume 90",
        r"Command: music softer",
        r"Music -3 dB",
        r"Command: how long",
        r"How long: less than a minute left, part 2 of 3: Two",
        r"Part 3 of 3: Three, 0:\d\d of 0:\d\d",
        r"The end, 0:\d\d",
    ]
    assert len(lines) == len(events), lines
    for line, event in zip(lines, events, strict=True):
        assert re.fullmatch(event, line), (line, event)
