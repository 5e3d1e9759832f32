"""``play --listen`` through the echo canceller, on the test server's virtual microphone with the
session's own sound looped into it: a spoken quit said over the session's voice, just after it
and in a hold is obeyed, with the session ducked under the speaker; and where no canceller can
run, one line says so and the session plays whole."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voiceguide.listen.canceller import missing
from voiceguide.listen.playback import DUCK_DB, RAMP

from .support.heard import EXACT, complaints, ducked_cut, heard_until, locate, peak
from .support.listening import spoken, talk
from .support.pulse import SR, Microphone, Pulse, load_recording
from .support.sessions import rendered

pytestmark = pytest.mark.playback

TALK = talk("6s")
SETTLE = 2  # sentences the canceller hears before the first command (it learns the room from them)
INTO = {"over": 0.5, "after": 0.1, "hold": 2.5}  # seconds into the sentence / after its end / after its end


def _first_sound(path: Path, deadline: float) -> int:
    """The recording's frame at which the session's first sound came, once it has."""
    while time.monotonic() < deadline:
        heard = load_recording(path)[:, 0] if path.stat().st_size >= 4 else np.zeros(0)
        loud = np.flatnonzero(np.abs(heard) > 2 * EXACT)
        if len(loud):
            return int(loud[0])
        time.sleep(0.05)
    raise AssertionError("the session never sounded")


def _wait_until(path: Path, frame: int, process: subprocess.Popen[bytes], deadline: float) -> bool:
    """Until the recording (the sink's clock) reaches ``frame``; false if play ended first."""
    while time.monotonic() < deadline and process.poll() is None:
        if path.stat().st_size // 4 >= frame:
            return True
        time.sleep(0.01)
    return False


def _offset_now(path: Path, render: np.ndarray, offset: int) -> int:
    """The recording frame of session sample 0 as the recording's last tenth of a second places
    it, sample for sample, in the render (a stall of a busy machine's, silence the device was
    handed, places the session later than ``offset`` says); ``offset`` where it cannot tell."""
    heard = load_recording(path)[:, 0]
    piece = heard[-SR // 10 :]
    guess = len(heard) - len(piece) - offset  # the piece's session sample, were there no stall
    lo, hi = max(0, guess - 5 * SR), min(len(render), guess + len(piece) + SR // 10)
    if hi - lo <= len(piece) or not np.any(piece):
        return offset
    found = lo + peak(render[lo:hi], piece)
    if np.max(np.abs(render[found : found + len(piece)] - piece)) > 3 * EXACT:
        return offset  # not the session, whole (a duck, a confirmation sound)
    return len(heard) - len(piece) - found


def _reach(
    path: Path, render: np.ndarray, offset: int, at: float, process: subprocess.Popen[bytes], deadline: float
) -> int | None:
    """Until the session reaches ``at`` seconds as heard (after any stall); the offset then, or
    None if play ended first."""
    while _wait_until(path, offset + int(at * SR), process, deadline):
        now = _offset_now(path, render, offset)
        if now <= offset + SR // 100:
            return offset
        offset = now
    return None


@pytest.mark.skipif(missing() is not None, reason="libspeexdsp is not installed")
@pytest.mark.parametrize("where", ["over", "after", "hold"])
def test_a_spoken_quit_is_obeyed_over_the_voice_just_after_it_and_in_a_hold(
    pulse: Pulse, tmp_path: Path, speech_cache: Path, where: str
) -> None:
    """ "Voice guide quit." said 0.5 s into a sentence (over), 0.1 s after one ends (after: deaf
    without a canceller) or in a hold, once the canceller has heard two sentences: the session
    stops within a few seconds of the phrase, and up to the cut the recording is the session times
    the duck's gain, sample for sample: ducked 20 dB, ramped, from shortly after the speaker began.
    Each sentence after the second is a try (a busy machine may lose one); one must be obeyed.
    Where each phrase was said in the session is read from the recording (the sink's clock), so a
    stall the machine earned before it moves the phrase and the session alike."""
    session = rendered(tmp_path, "talk", TALK, speech_cache)
    render = session["render"]
    spans = [
        (e["start"], e["end"]) for e in session["cues"]["events"] if e["kind"] == "speech" and e["end"] - e["start"] > 3
    ]
    quit_said = spoken("system", ["Voice guide quit."], speech_cache)[0]
    phrase = len(quit_said) / Microphone.RATE
    first_render = int(np.flatnonzero(np.abs(render) > 2 * EXACT)[0])
    mic = Microphone(pulse, echo=True, steady=True)
    tries: list[int] = []  # recording frames at which the phrase began
    try:
        with pulse.recording(tmp_path / "rec.raw") as raw:
            process = subprocess.Popen(
                [sys.executable, "-m", "voiceguide", "play", str(session["script"]), "--listen"],
                env={**pulse.env, **session["env"], **{k: pulse.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")}},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + 300
            offset = _first_sound(raw, deadline) - first_render  # recording frame of session sample 0
            for start, end in spans[SETTLE:]:
                at = start + INTO[where] if where == "over" else end + INTO[where]
                reached = _reach(raw, render, offset, at, process, deadline)
                if reached is None:
                    break
                offset = reached
                tries.append(raw.stat().st_size // 4)
                mic.say(quit_said).wait(30)
                try:
                    process.wait(phrase + 5.0)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if process.poll() is None:
                process.terminate()
            _, err = process.communicate(timeout=120)
    finally:
        mic.remove()
    assert process.returncode == 0, (process.returncode, err.decode())
    assert complaints(err) == [], "no complaint: the microphone, the recogniser and the canceller were there"
    heard = load_recording(raw)[:, 0]
    duck = ducked_cut(heard, render, 10 ** (DUCK_DB / 20), RAMP, before=6.0)
    cut = duck.cut / SR
    said_at = [round((frame - duck.offset) / SR, 2) for frame in tries]  # session seconds
    said = next((t for t in said_at if t <= cut <= t + phrase + 4.0), None)
    assert said is not None, f"quit at {cut:.1f} s; the phrase was said at {said_at} s"
    assert duck.turns and duck.turns[0][1] < 1.0, f"the session was ducked before the cut: {duck.turns}"
    began = duck.turns[0][0] / SR
    assert said < began < said + phrase, f"the duck began at {began:.2f} s, the phrase at {said:.2f} s"
    assert duck.lowest == pytest.approx(10 ** (DUCK_DB / 20), abs=0.005), "ducked 20 dB"


def test_without_a_canceller_it_says_so_once_and_the_session_plays_whole(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    """No libspeexdsp (hidden as if not installed): one line, listening as before (deaf while the
    session speaks), every instruction heard, exit 0."""
    text = "title: Short\nsteps:\n  - say: Rest your hands on your knees.\n  - hold: 3s\n  - say: Breathe out slowly.\n"
    session = rendered(tmp_path, "short", text, speech_cache)
    render = session["render"]
    spans = [(e["start"], e["end"]) for e in session["cues"]["events"] if e["kind"] == "speech"]
    mic = Microphone(pulse, echo=True)
    try:
        with pulse.recording(tmp_path / "rec.raw") as raw:
            done = subprocess.run(
                [sys.executable, "-m", "voiceguide", "play", str(session["script"]), "--listen"],
                env={**pulse.env, **session["env"], **{k: pulse.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")},
                     "VOICEGUIDE_NO_SPEEXDSP": "1"},
                stdin=subprocess.DEVNULL, capture_output=True, timeout=300,
            )  # fmt: skip
    finally:
        mic.remove()
    assert done.returncode == 0, done.stderr.decode()
    lines = complaints(done.stderr.decode().strip())
    assert len(lines) == 1, lines
    assert lines[0].startswith("voiceguide: no echo canceller (libspeexdsp is missing; install libspeexdsp1"), lines
    assert lines[0].endswith("; listening only while the session is quiet"), lines
    heard = load_recording(raw)[:, 0]
    at = next(s for s, e in spans if e - s > 1)
    last, _ = heard_until(heard, render, locate(heard, render, at), at)
    assert last >= spans[-1][1], f"heard up to {last:.1f} s; the last words end at {spans[-1][1]:.1f} s"
