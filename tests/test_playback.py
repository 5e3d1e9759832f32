"""Playback through a real sound path: a PulseAudio null sink, recorded with parec, compared
sample by sample with what ``render`` writes for the same script and options."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from .audio import read_wav
from .pulse import SR, Pulse, load_recording

pytestmark = pytest.mark.playback

SCRIPT = """\
title: Playback test
steps:
  - section: One
  - say: Sit tall and let your shoulders drop.
  - hold: 4s
  - section: Two
  - say: Now breathe out slowly through your mouth.
  - hold: 4s
  - section: Three
  - say: Let your hands rest on your knees.
  - hold: 3s
"""


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulse]:
    server = Pulse(tmp_path_factory.mktemp("pulse"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, object]:
    """The test script, and its render (which also fills the speech cache)."""
    folder = tmp_path_factory.mktemp("session")
    script = folder / "playback-test.yaml"
    script.write_text(SCRIPT)
    wav, cues = folder / "render.wav", folder / "cues.json"
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    subprocess.run(
        [sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(wav), "--cues", str(cues)],
        check=True,
        env=env,
        capture_output=True,
    )
    import json

    return {"script": script, "render": read_wav(wav)[:, 0], "cues": json.loads(cues.read_text()), "env": env}


def player(
    pulse: Pulse, session: dict, *args: str, tty: bool = False, target: Path | None = None
) -> tuple[subprocess.Popen[bytes], int | None]:  # type: ignore[type-arg]
    """``voiceguide play`` on the test server, on a pseudo-terminal when ``tty`` (its keys go
    to the returned file descriptor)."""
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": session["env"]["VOICEGUIDE_CACHE_DIR"]}
    command = [sys.executable, "-m", "voiceguide", "play", str(target or session["script"]), *args]
    if not tty:
        return subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ), None
    master, slave = pty.openpty()
    process = subprocess.Popen(command, env=env, stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)

    def drain() -> None:  # keep reading the status line so the player never blocks on it
        try:
            while os.read(master, 4096):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    return process, master


def locate(recording: np.ndarray, render: np.ndarray, at: float, seconds: float = 1.0) -> int:
    """Where (in the recording) the render's samples from ``at`` seconds on were heard."""
    piece = render[int(at * SR) : int((at + seconds) * SR)]
    scores = signal.correlate(recording, piece, mode="valid", method="fft")
    return int(np.argmax(scores)) - int(at * SR)


def active(recording: np.ndarray, threshold: float = 1e-4) -> np.ndarray:
    return np.flatnonzero(np.abs(recording) > threshold)


def test_a_whole_session_is_heard_as_rendered_in_real_time(pulse: Pulse, session: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    render = session["render"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        started = time.monotonic()
        process, _ = player(pulse, session)
        out, err = process.communicate(timeout=120)
        elapsed = time.monotonic() - started
    assert process.returncode == 0, err.decode()
    assert out == b"", "no status line when not on a terminal"
    heard = load_recording(raw)[:, 0]
    offset = locate(heard, render, 5.0)
    aligned = heard[offset : offset + len(render)]
    assert len(aligned) == len(render), "heard to the end"
    fade = int(0.04 * SR)
    assert np.max(np.abs(aligned[fade:] - render[fade:])) <= 1.5 / 32768, "sample for sample what render writes"
    assert elapsed >= len(render) / SR, "played in real time"


def test_pause_leaves_silence_and_resumes_in_place(pulse: Pulse, session: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    render = session["render"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        time.sleep(6.0)
        os.write(keys, b" ")  # pause
        time.sleep(3.0)
        os.write(keys, b" ")  # resume
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    heard = load_recording(raw)[:, 0]
    first = locate(heard, render, 3.0)
    # Find where the heard audio stops matching the render: the pause.
    matching = np.abs(heard[first + SR * 3 : first + len(render)] - render[SR * 3 : len(render)]) <= 2 / 32768
    paused_at = SR * 3 + int(np.argmin(matching))
    # Then a silence (but for the soft pause and resume marks), and the session again, from a
    # little before where it stopped: never after.
    gap = heard[first + paused_at + SR // 2 : first + paused_at + 2 * SR]
    assert np.sqrt(np.mean(gap**2)) < 1e-3, "silence while paused"
    back_from = locate(heard, render, paused_at / SR + 1.0, 0.5)
    assert back_from > first + 2 * SR, "the rest of the session came later, after the pause"
    resumed_position = (first + paused_at + SR + np.argmax(np.abs(heard[first + paused_at + SR :]) > 1e-3)) - back_from
    assert paused_at - 1.0 * SR <= resumed_position <= paused_at, "resumed in place, never skipping ahead"
    tail = heard[back_from + paused_at + SR : back_from + len(render)]
    assert np.max(np.abs(tail - render[paused_at + SR : paused_at + SR + len(tail)])) <= 1.5 / 32768


def test_q_quits_at_once(pulse: Pulse, session: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        time.sleep(4.0)
        sent = time.monotonic()
        os.write(keys, b"q")
        process.wait(timeout=10)
        took = time.monotonic() - sent
        time.sleep(1.0)
    assert process.returncode == 0
    assert took < 2.0, f"quit took {took:.2f} s"  # the goal is half a second; this only catches a hang
    heard = load_recording(raw)[:, 0]
    last = active(heard, 1e-3)[-1]
    render = session["render"]
    first = locate(heard, render, 2.0)
    assert (last - first) / SR < 5.0, "the sound stopped soon after q, long before the session's end"


def test_next_skips_to_the_next_section(pulse: Pulse, session: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    render = session["render"]
    sections = session["cues"]["sections"]
    two = sections[1]["start"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        time.sleep(3.0)
        os.write(keys, b"n")
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    heard = load_recording(raw)[:, 0]
    first = locate(heard, render, 1.0)
    after = locate(heard, render, two + 0.5, 1.5)
    heard_two = after + int(two * SR) - first  # when section two was heard, from the session's start
    assert heard_two < 5.5 * SR < two * SR, "section two came within moments of n, not at its time"
    length = int(0.5 * SR)
    np.testing.assert_allclose(
        heard[after + int((two + 0.6) * SR) :][:length], render[int((two + 0.6) * SR) :][:length], atol=1.5 / 32768
    )


CLOSE = """
import os, time
import numpy as np
from voiceguide.player.output import SimpleaudioOutput
threads = lambda: len(os.listdir("/proc/self/task"))
before = threads()
output = SimpleaudioOutput()
output.start(memoryview(np.zeros((44100 * 30, 2), np.int16).tobytes()), 0)
for _ in range(3):
    output.cue(np.full((44100, 2), 300, np.int16))
time.sleep(0.2)
during = threads()
output.{ending}()
print(before, during, threads())
"""


@pytest.mark.parametrize("ending", ["close", "stop"])
def test_close_waits_for_every_device_thread(pulse: Pulse, ending: str) -> None:
    """simpleaudio plays each sound on a thread of its own that outlives ``stop``; a process
    that ends under one can crash inside ALSA. ``close`` lets them all finish first."""
    env = {**pulse.env, "PYTHONMALLOC": "malloc"}
    done = subprocess.run(
        [sys.executable, "-c", CLOSE.format(ending=ending)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    before, during, after = map(int, done.stdout.split())
    assert during >= before + 4, "the sound and the three cues each play on a thread"
    if ending == "close":
        assert after == before
    else:
        assert after > before, "stop alone returns while the threads still drain"


def test_simpleaudio_refuses_pymalloc() -> None:
    """Under pymalloc simpleaudio's threads free memory without the GIL and now and then
    corrupt the heap; the voiceguide command starts itself on the C allocator instead."""
    from voiceguide.errors import PlaybackError
    from voiceguide.launch import pymalloc_on
    from voiceguide.player.output import SimpleaudioOutput

    assert pymalloc_on(), "the test process runs on pymalloc"
    with pytest.raises(PlaybackError, match="PYTHONMALLOC=malloc"):
        SimpleaudioOutput()
    off = subprocess.run(
        [sys.executable, "-c", "from voiceguide.launch import pymalloc_on; print(pymalloc_on())"],
        env={**os.environ, "PYTHONMALLOC": "malloc"}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert off.stdout.strip() == "False"


def test_no_sound_device_is_one_clear_line(session: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type pulse }\n")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**session["env"], "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "voiceguide", "play", "childs-pose"], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voiceguide: no sound device could be opened")
    assert "`voiceguide export` writes files that play anywhere without one" in lines[0]
    assert time.monotonic() - started < 10


def test_an_exported_mp3_plays_with_its_chapters(pulse: Pulse, session: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "voiceguide", "export", str(session["script"]), "-o", str(out)],
        env=session["env"],
        check=True,
        capture_output=True,
    )
    mp3 = out / "playback-test.mp3"
    from .audio import decode

    decoded = decode(mp3)[:, 0]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True, target=mp3)
        time.sleep(3.0)
        os.write(keys, b"n")
        time.sleep(2.5)
        os.write(keys, b"q")
        process.wait(timeout=20)
    assert process.returncode == 0
    heard = load_recording(raw)[:, 0]
    two = session["cues"]["sections"][1]["start"]
    after = locate(heard, decoded, two + 0.3, 1.0)
    first = locate(heard, decoded, 1.0)
    assert after < first, "skipped ahead to the second chapter"
