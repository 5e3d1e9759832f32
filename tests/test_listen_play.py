"""``play --listen`` through the virtual microphone: a spoken command reaches the player as a
key would, while the session's own sound (and its echo) never does."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from voiceguide.listen.playback import DUCK_DB, RAMP

from .support import voiceguide_without
from .support.drive import drive
from .support.heard import complaints, cut_at_the_end, ducked_cut, heard_until, locate
from .support.listening import spoken
from .support.pulse import SR, Microphone, Pulse, load_recording
from .support.sessions import LONG_SCRIPT, rendered

pytestmark = pytest.mark.playback


def first_words(session: dict) -> float:
    """Where the first instruction starts: the recording is matched from there, not in the
    opening bell, whose ring resembles itself a moment later."""
    return float(
        next(e["start"] for e in session["cues"]["events"] if e["kind"] == "speech" and e["end"] - e["start"] > 1)
    )


def test_a_spoken_quit_ends_the_session(pulse: Pulse, tmp_path: Path, speech_cache: Path) -> None:
    session = rendered(tmp_path, "listen-play", LONG_SCRIPT, speech_cache)
    render = session["render"]
    quit_said = spoken("system", ["Voice guide quit."], speech_cache)[0]
    mic = Microphone(pulse, echo=True)
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "play", str(session["script"]), "--listen"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        # Said every few seconds: a command said while the session's own voice speaks is not
        # heard (by design), so it is said again until one lands in a quiet moment.
        for _ in range(12):
            if process.poll() is not None:
                break
            mic.say(quit_said).wait(30)
            try:
                process.wait(4.0)
            except subprocess.TimeoutExpired:
                continue
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    assert complaints(err) == [], "no complaint: the microphone and the recogniser were there"
    heard = load_recording(raw)[:, 0]
    # Measured from the end of the sound: the first "quit" is said as the process starts, and when
    # the listener is ready in time it is obeyed in the opening bell, before any words. (Matched
    # from the first words, such a recording put the session at a wrong offset, and a clean cut
    # was measured as a second of sound after it.) The listener ducks the session while someone
    # speaks over it: ``ducked_cut`` holds that the sound was the session times the duck's gain
    # (ramped down 20 dB and back), sample for sample, up to the cut, and silence after it.
    duck = ducked_cut(heard, render, 10 ** (DUCK_DB / 20), RAMP, before=6.0)
    assert duck.cut < len(render) - 10 * SR, (
        f"quit at {duck.cut / SR:.1f} s of {len(render) / SR:.1f} s: the command was obeyed"
    )
    if duck.turns:  # ducked under the speaker: by 20 dB, no less and no more
        assert duck.lowest == pytest.approx(10 ** (DUCK_DB / 20), abs=0.005), duck


@pytest.mark.parametrize("at", [0.3, 2.0])
def test_a_spoken_quit_in_the_first_seconds_is_as_quick_as_q(
    pulse: Pulse, tmp_path: Path, speech_cache: Path, at: float
) -> None:
    """The player obeys a spoken "quit" (the listener's queue, as ``play --listen`` feeds it) in the
    opening bell, while the device still holds what it was primed with: the sound stops where the
    player says the listener was, within 0.1 s, as it does for ``q``."""
    session = rendered(tmp_path, "quit-early", LONG_SCRIPT, speech_cache)
    render = session["render"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        said = drive(pulse, session, mode=f"voice-quit:{at}")
    _, cut = cut_at_the_end(load_recording(raw)[:, 0], render)
    assert said["quit_at"] >= at * SR, "quit once that much was heard"
    assert abs(cut - said["quit_at"]) <= 0.1 * SR, (
        f"the sound went on {(cut - said['quit_at']) / SR:.3f} s after the quit"
    )


def test_without_a_recogniser_it_says_so_once_and_plays_on(pulse: Pulse, tmp_path: Path, speech_cache: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\nsteps:\n  - say: Rest your hands.\n  - hold: 2s\n")
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache), "HOME": pulse.env["HOME"]}
    done = subprocess.run(
        [*voiceguide_without("faster_whisper"), "play", str(script), "--listen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = complaints(done.stderr.strip())
    assert (
        len(lines) == 1
        and lines[0].startswith("voiceguide: cannot listen (")
        and lines[0].endswith("playing without listening")
    ), lines


def test_through_simpleaudio_it_listens_only_while_the_session_is_quiet_and_says_so_once(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    """simpleaudio cannot say when the device plays what, so the canceller has no far end to take
    away: one line says so, and the session plays to its end (listening in its quiet moments)."""
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\nsteps:\n  - say: Rest your hands.\n  - hold: 2s\n")
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    mic = Microphone(pulse, echo=False)
    try:
        done = subprocess.run([sys.executable, "-m", "voiceguide", "play", str(script), "--listen", "--output",
                               "simpleaudio"], env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
    finally:
        mic.remove()
    assert done.returncode == 0, done.stderr
    assert complaints(done.stderr.strip()) == [
        "voiceguide: --output simpleaudio cannot say when it plays what; listening only while the session is quiet"
    ], done.stderr


FALLS_BACK = """\
import sys
from voiceguide.errors import PlaybackError
from voiceguide.player.device import SounddeviceOutput

def refused(self, fill):
    raise PlaybackError("no output device here")

SounddeviceOutput.open = refused
sys.argv[0] = "voiceguide"
from voiceguide.cli import main
main()
"""


def test_a_fall_back_to_simpleaudio_says_the_canceller_hears_nothing_and_plays_on(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    """The default output cannot open (as on a machine whose PortAudio has no output), so ``play``
    falls back to simpleaudio, which hands the canceller nothing: after the fallback's own line,
    one line says the listener hears only while the session is quiet, and the session plays on."""
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\nsteps:\n  - say: Rest your hands.\n  - hold: 2s\n")
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    mic = Microphone(pulse, echo=False)
    try:
        done = subprocess.run([sys.executable, "-c", FALLS_BACK, "play", str(script), "--listen"], env=env,
                              capture_output=True, text=True, timeout=180)  # fmt: skip
    finally:
        mic.remove()
    assert done.returncode == 0, done.stderr
    assert complaints(done.stderr.strip()) == [
        "voiceguide: sounddevice could not play (no output device here); playing through simpleaudio instead",
        "voiceguide: simpleaudio cannot say when it plays what; listening only while the session is quiet",
    ], done.stderr


TALK = "title: Talk\nsteps:\n" + "".join(
    f"  - say: Let your shoulders sink a little lower with each slow breath, and feel the floor hold you, part {n}.\n"
    for n in range(1, 2)
)


BREAKS = """\
import sys
from voiceguide.listen import recogniser

def broken(self, samples):
    raise RuntimeError("the recogniser broke")

recogniser.WhisperRecogniser.transcribe = broken
sys.argv[0] = "voiceguide"
from voiceguide.cli import main
main()
"""


def test_a_recogniser_that_breaks_partway_stops_listening_and_the_session_plays_on(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    """The recogniser raises on the first speech it is given, once the session is under way: one
    line says listening stopped, and every instruction after it is still heard."""
    text = (
        "title: Breaks\nsteps:\n  - say: Rest your hands on your knees.\n  - hold: 8s\n  - say: Breathe out slowly.\n"
    )
    session = rendered(tmp_path, "breaks", text, speech_cache)
    render = session["render"]
    spans = [(e["start"], e["end"]) for e in session["cues"]["events"] if e["kind"] == "speech"]
    said = spoken("system", ["Voice guide pause."], speech_cache)[0]
    mic = Microphone(pulse, echo=True)
    try:
        with pulse.recording(tmp_path / "rec.raw") as raw:
            process = subprocess.Popen(
                [sys.executable, "-c", BREAKS, "play", str(session["script"]), "--listen"],
                env={**pulse.env, **session["env"], **{k: pulse.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")}},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            while process.poll() is None:  # said until it lands in the hold, where the microphone is heard
                mic.say(said).wait(30)
                try:
                    process.wait(1.0)
                except subprocess.TimeoutExpired:
                    continue
            _, err = process.communicate(timeout=120)
    finally:
        mic.remove()
    assert process.returncode == 0, err.decode()
    lines = complaints(err.decode().strip())
    assert lines == [
        "voiceguide: stopped listening (listening stopped: RuntimeError: the recogniser broke); the session plays on"
    ], lines
    heard = load_recording(raw)[:, 0]
    at = first_words(session)
    last, _ = heard_until(heard, render, locate(heard, render, at), at)
    assert last >= spans[-1][1], f"heard up to {last:.1f} s; the last words end at {spans[-1][1]:.1f} s"


def _listed(pulse: Pulse, what: str) -> str:
    return subprocess.run(["pactl", "list", "short", what], env=pulse.env, capture_output=True, text=True).stdout


def test_through_the_echo_canceller_the_session_plays_whole_and_the_module_goes(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    """``--echo-cancel``: while the session plays, PulseAudio's module-echo-cancel is loaded, the
    session plays into its sink and the listener hears its source; every instruction is heard
    (resampled to the canceller's 48 kHz, so matched by correlation); the module is unloaded when
    play ends. Whether a command said over the session's voice is caught is figure 17 of the
    benchmark, not a test: through the canceller it mostly is not."""
    session = rendered(tmp_path, "talk", TALK, speech_cache)
    render = session["render"]
    spans = [(e["start"], e["end"]) for e in session["cues"]["events"] if e["kind"] == "speech"]
    mic = Microphone(pulse, echo=True)
    seen: dict[str, str] = {}
    try:
        with pulse.recording(tmp_path / "rec.raw") as raw:
            process = subprocess.Popen(
                [sys.executable, "-m", "voiceguide", "play", str(session["script"]), "--echo-cancel"],
                env={**pulse.env, **session["env"], **{k: pulse.env[k] for k in ("HOME", "XDG_RUNTIME_DIR")}},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + 120
            while process.poll() is None and time.monotonic() < deadline and len(seen) < 2:
                sinks, sources = _listed(pulse, "sinks"), _listed(pulse, "sources")
                sink = next(
                    (line.split("\t")[0] for line in sinks.splitlines() if "voiceguide_echo_sink" in line), None
                )
                source = next(
                    (line.split("\t")[0] for line in sources.splitlines() if "voiceguide_echo_source" in line), None
                )
                inputs = [line.split("\t") for line in _listed(pulse, "sink-inputs").splitlines()]
                outputs = [line.split("\t") for line in _listed(pulse, "source-outputs").splitlines()]
                if sink and any(f[1] == sink and "protocol-native" in f[3] for f in inputs if len(f) > 3):
                    seen["plays into the canceller"] = sink
                if source and any(f[1] == source and "protocol-native" in f[3] for f in outputs if len(f) > 3):
                    seen["listens through it"] = source
                time.sleep(0.2)
            _, err = process.communicate(timeout=180)
    finally:
        mic.remove()
    assert process.returncode == 0, err.decode()
    assert complaints(err) == [], "no complaint: the canceller and the microphone were there"
    assert set(seen) == {"plays into the canceller", "listens through it"}, seen
    at = first_words(session)
    heard = load_recording(raw)[:, 0]
    last, _ = heard_until(heard, render, locate(heard, render, at), at)
    assert last >= spans[-1][1], f"heard up to {last:.1f} s; the last words end at {spans[-1][1]:.1f} s"
    assert "module-echo-cancel" not in _listed(pulse, "modules"), "unloaded when play ended"


def test_echo_cancel_where_it_cannot_be_set_up_is_one_line(tmp_path: Path, speech_cache: Path) -> None:
    """No microphone to cancel the echo for (the server's only source is its speakers' monitor):
    one line, and the session plays on."""
    from .support.pulse import Pulse as Server

    (tmp_path / "p").mkdir()
    server = Server(tmp_path / "p")
    server.start()
    try:
        script = tmp_path / "short.yaml"
        script.write_text("title: Short\nsteps:\n  - say: Rest your hands.\n  - hold: 2s\n")
        env = {**server.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
        done = subprocess.run([sys.executable, "-m", "voiceguide", "play", str(script), "--echo-cancel"],
                              env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    lines = complaints(done.stderr.strip())
    assert len(lines) == 1 and lines[0].startswith("voiceguide: cannot cancel the echo through the sound server ("), (
        lines
    )
    assert lines[0].endswith("; listening as with --listen"), lines
