"""The echo canceller on synthetic signals, the playback tap that feeds it, and its fallback."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import signal

from voiceguide.listen.canceller import FRAME, RATE, missing

pytestmark = pytest.mark.skipif(missing() is not None, reason="libspeexdsp is not installed")


def talk(seconds: float, seed: int) -> np.ndarray:
    """Speech-like noise: a speech spectrum with a syllable rhythm, -20 dBFS."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    shaped = signal.sosfilt(signal.butter(2, [150, 3500], "bandpass", fs=RATE, output="sos"), rng.standard_normal(n))
    rhythm = signal.sosfilt(signal.butter(2, 5, "lowpass", fs=RATE, output="sos"), rng.standard_normal(n))
    out = shaped * np.clip(rhythm / np.std(rhythm), 0.2, None)
    return (0.1 * out / np.sqrt(np.mean(out**2))).astype(np.float32)


def room_echo(far: np.ndarray, delay: float = 0.03) -> np.ndarray:
    rng = np.random.default_rng(3)
    ir = np.zeros(int(0.2 * RATE), np.float32)
    start = int(delay * RATE)
    ir[start] = 0.8
    tail = len(ir) - start - 8
    ir[start + 8 :] += rng.standard_normal(tail) * np.exp(-np.arange(tail) / (0.04 * RATE)) * 0.1
    return signal.oaconvolve(far, ir)[: len(far)].astype(np.float32)


def db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20))


def run(near: np.ndarray, far: np.ndarray) -> np.ndarray:
    from voiceguide.listen.canceller import SpeexCanceller

    canceller = SpeexCanceller()
    try:
        out = np.zeros_like(near)
        for i in range(0, len(near) - FRAME + 1, FRAME):
            out[i : i + FRAME] = canceller.cancel(near[i : i + FRAME], far[i : i + FRAME])
        return out
    finally:
        canceller.close()


def test_echo_is_taken_away_and_a_talker_kept() -> None:
    far = talk(16, seed=1)
    echo = room_echo(far)
    talker = np.zeros_like(far)
    talker[12 * RATE : 15 * RATE] = talk(3, seed=2) * 0.7  # double talk: the echo a little louder than them
    out = run(echo + talker, far)
    alone = slice(6 * RATE, 12 * RATE)  # the session alone, after the filter has settled
    assert db(echo[alone]) - db(out[alone]) >= 15
    both = slice(12 * RATE, 15 * RATE)
    # The talker's part of what comes out (one frame late: the suppressor's window), its projection
    # on the talker, in dB of the talker.
    late = out[12 * RATE + FRAME : 15 * RATE + FRAME]
    kept = float(np.dot(late, talker[both]) / np.dot(talker[both], talker[both]))
    assert abs(20 * np.log10(kept)) <= 1.0, kept
    assert db(out[both]) - db(talker[both]) <= 1.5  # and little echo left beside them


def test_a_talker_alone_passes_untouched() -> None:
    talker = talk(6, seed=4)
    out = run(talker, np.zeros_like(talker))
    kept = float(np.dot(out[RATE + FRAME :], talker[RATE:-FRAME]) / np.dot(talker[RATE:-FRAME], talker[RATE:-FRAME]))
    assert abs(20 * np.log10(kept)) <= 1.0, kept


def test_the_tap_ducks_without_a_click_and_gives_the_far_end_back_at_16k() -> None:
    from voiceguide.listen.playback import DUCK_DB, Playback

    rate = 44100
    playback = Playback(rate)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate * 2) / rate)).astype(np.float32)
    block = 441
    heard = []
    for i in range(0, len(tone), block):
        if i == rate // 2:
            playback.duck()
        out = np.repeat(tone[i : i + block, None], 2, axis=1)
        playback(out, i / rate)
        heard.append(out[:, 0].copy())
    played = np.concatenate(heard)
    assert db(played[int(1.5 * rate) :]) - db(tone[int(1.5 * rate) :]) == pytest.approx(DUCK_DB, abs=0.5)
    assert np.max(np.abs(np.diff(played))) <= np.max(np.abs(np.diff(tone))) * 1.01  # no step: no click
    far = playback.at(1.0, RATE // 2)
    assert far is not None and len(far) == RATE // 2
    expected = 0.05 * np.sin(2 * np.pi * 440 * (1.0 + np.arange(RATE // 2) / RATE))
    assert np.max(np.abs(far - expected)) < 0.005


def test_correlation_finds_the_delay_the_timestamps_miss() -> None:
    from voiceguide.listen.cancelled import gcc_delay

    far = talk(4, seed=5)
    lag = int(0.137 * RATE)
    near = room_echo(far, delay=0.0)[lag : lag + 3 * RATE] + talk(3, seed=6) * 0.1
    found, clarity = gcc_delay(near, far[: 3 * RATE + int(0.6 * RATE)])
    assert abs(found - lag) <= 2 and clarity > 6


def test_without_the_library_the_fallback_is_said_in_one_line() -> None:
    code = (
        "from voiceguide.cli.listen import hear_through_session\n"
        "class P:\n    sr = 44100\n    tap = None\n"
        "print(hear_through_session(P()))\n"
    )
    env = {**os.environ, "VOICEGUIDE_NO_SPEEXDSP": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no echo canceller" in lines[0] and "libspeexdsp" in lines[0], lines


CLOSED_WHILE_CANCELLING = """
import threading
import numpy as np
from voiceguide.listen.cancelled import Cancelled
from voiceguide.listen.canceller import SpeexCanceller
from voiceguide.listen.microphone import ArrayFeed
from voiceguide.listen.playback import Playback

for trial in range(40):
    playback = Playback(16000)
    sound = (np.random.default_rng(trial).standard_normal(2 * 16000) * 0.1).astype(np.float32)
    playback(sound.copy(), 0.0)
    heard = Cancelled(ArrayFeed(sound), playback, SpeexCanceller())
    heard.open(lambda: False)
    going = threading.Event()

    def listen() -> None:
        for _ in heard.blocks():
            going.set()

    thread = threading.Thread(target=listen)
    thread.start()
    going.wait()
    heard.close()  # from another thread, as Listener.stop does, while frames go through the canceller
    thread.join()
print("closed", trial + 1)
"""


def test_closing_from_another_thread_while_it_cancels_never_crashes() -> None:
    """The listener is stopped from the player's thread while its own thread is inside the
    canceller: the library's states must never be freed under it (that was a segmentation fault,
    exit -11, at the end of ``play --listen``)."""
    done = subprocess.run([sys.executable, "-c", CLOSED_WHILE_CANCELLING], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "closed 40"
