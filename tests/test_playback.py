"""Playback through a real sound path: a PulseAudio null sink, recorded with parec, compared
sample by sample with what ``render`` writes for the same script and options."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voiceguide.player.core import FADE, REWIND
from voiceguide.sounds import cues

from .support import voiceguide_without
from .support.drive import drive
from .support.heard import (
    ALONE,
    EXACT,
    assert_exact,
    assert_heard_whole,
    busy_cores,
    fade_end,
    first_mismatch,
    hear_pause_resume_quit,
    locate,
    remove,
    resume_start,
    said_breaks,
    silences_inserted,
    subtract,
)
from .support.pulse import SR, Pulse, load_recording, wait_for_silence
from .support.sessions import LONG_SCRIPT, PLAYBACK_SCRIPT, rendered
from .support.terminal import Terminal

pytestmark = pytest.mark.playback


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, object]:
    return rendered(tmp_path_factory.mktemp("session"), "playback-test", PLAYBACK_SCRIPT, speech_cache)


@pytest.fixture(scope="module")
def long_session(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, object]:
    return rendered(tmp_path_factory.mktemp("long"), "long-playback-test", LONG_SCRIPT, speech_cache)


def player(
    pulse: Pulse, session: dict, *args: str, tty: bool = False, target: Path | None = None
) -> tuple[subprocess.Popen[bytes], Terminal | None]:
    """``voiceguide play`` on the test server, on a pseudo-terminal when ``tty`` (its keys and
    its status line are the returned terminal's)."""
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": session["env"]["VOICEGUIDE_CACHE_DIR"]}
    command = [sys.executable, "-m", "voiceguide", "play", str(target or session["script"]), *args]
    if not tty:
        return subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ), None
    terminal = Terminal()
    process = subprocess.Popen(command, env=env, stdin=terminal.slave, stdout=terminal.slave, stderr=subprocess.PIPE)
    terminal.start(process)
    return process, terminal


def heard_of(raw: Path) -> np.ndarray:
    return load_recording(raw)[:, 0]


def assert_heard_in_order(heard: np.ndarray, render: np.ndarray) -> list[tuple[int, int]]:
    """simpleaudio's device buffer is fixed at 0.1 s (as the default stream's is). On a busy
    machine, or a virtual one whose host takes the processor away for a moment, it can run dry:
    the sound server plays silence until it is fed again (20 or 40 ms, in 2 of 11 loaded runs of
    the sound tests here), and the rest follows, later by that much. Nothing is lost, and that is
    what this asserts: every sample after the fade-in heard exactly, in order, once, with
    silences allowed between. Returns the silences: (session sample, samples)."""
    return silences_inserted(heard, render, locate(heard, render, FADE, 0.25), int(FADE * SR))


@pytest.mark.parametrize("load", ["quiet", "busy"])
def test_a_whole_session_is_heard_at_one_offset_on_a_fresh_and_a_running_server(
    pulse: Pulse,
    long_session: dict,
    tmp_path: Path,
    load: str,
) -> None:
    """Over a minute of session, on a server started just now and on one that has been
    running (and playing) for a while, with the machine quiet and with every core busy."""
    (tmp_path / "fresh").mkdir()
    fresh = Pulse(tmp_path / "fresh")
    fresh.start()
    try:
        with busy_cores() if load == "busy" else contextlib.nullcontext():
            with (
                fresh.recording(tmp_path / "fresh.raw") as raw_fresh,
                pulse.recording(tmp_path / "running.raw") as raw_running,
            ):
                runs = [player(server, long_session)[0] for server in (fresh, pulse)]
                results = [run.communicate(timeout=300) for run in runs]
    finally:
        fresh.stop()
    for run, (_, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err.decode()
    render = long_session["render"]
    assert len(render) >= 60 * SR
    for which, raw, (_, err) in zip(("fresh", "running"), (raw_fresh, raw_running), results, strict=True):
        assert_heard_whole(heard_of(raw), render, which, said_breaks(err.decode()))


@pytest.mark.parametrize("load", ["quiet", "busy"])
def test_pause_resume_and_quit_are_exact_on_the_device_clock(
    pulse: Pulse, session: dict, tmp_path: Path, load: str
) -> None:
    render = session["render"]
    with busy_cores() if load == "busy" else contextlib.nullcontext():
        with pulse.recording(tmp_path / "rec.raw") as raw:
            said = drive(pulse, session)
    h = hear_pause_resume_quit(heard_of(raw), render, said)
    fade = int(FADE * SR)
    # The pause: the session up to the fade, which ends where the player says it stopped.
    assert abs(h.stopped - said["paused_at"]) <= 2, "the last sample heard is the one the player recorded"
    assert h.intact_until >= h.stopped - fade - 2, "nothing lost before the pause"
    # The pause acts on the very next frame handed to the device ...
    assert abs(h.stopped - fade - said["key_next"]) <= 2, "the fade began with the first frame handed after the key"
    # ... and the position at the key is what the device still held behind it: never ahead of the
    # sound, and no further behind than the device can hold (a guess from the clock was off by over 1 s).
    ahead = (h.stopped - fade - said["key_heard"]) / SR
    assert 0 <= ahead <= 2 * said["latency"], f"the position at the key was {ahead:.3f} s behind the sound"
    # The resume: a little before the last sample heard, never after it.
    assert h.after > h.before + int(1.4 * SR), "the rest came after the pause"
    assert abs(h.resumed - said["resumed_from"]) <= 2
    assert -0.5 * SR <= h.resumed - h.stopped <= 0, (
        f"resumed {(h.resumed - h.stopped) / SR:+.3f} s from the last sample heard"
    )
    # Quit: the sound stops within 0.1 s of where the listener was.
    assert abs(h.last - said["quit_at"]) <= 0.1 * SR, (
        f"the sound went on {(h.last - said['quit_at']) / SR:.3f} s after q"
    )


def test_keys_pause_and_resume_in_place(pulse: Pulse, session: dict, tmp_path: Path) -> None:
    """The same through the terminal: space, a wait, space; measured on the recording alone."""
    render = session["render"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        assert keys is not None
        keys.wait(lambda s: s.position >= 4, "4 s played")
        keys.press(b" ")  # pause
        keys.wait(lambda s: s.paused, "the pause")
        wait_for_silence(raw, 1.5, EXACT)  # the pause's mark has sounded, and the silence lasts
        keys.press(b" ")  # resume
        keys.wait(lambda s: not s.paused, "the resume")
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    heard = heard_of(raw)
    before = locate(heard, render, 1.0)
    stop_near = first_mismatch(heard, render, before, int(1.5 * SR))
    fade, span = int(FADE * SR), int(0.3 * SR)
    clean = remove(heard, _mono(cues.mark("pause")), before + stop_near - span, before + stop_near + span, ALONE)
    stopped = fade_end(clean, render, before, stop_near + fade, fade, span)
    gap = clean[before + stopped + SR // 2 : before + stopped + SR]
    assert np.max(np.abs(gap)) <= EXACT, "silence while paused"
    after = locate(heard, render, stopped / SR + 1.0, 0.5)
    assert after > before + SR, "the rest of the session came later, after the pause"
    rough = stopped - int(REWIND * SR)
    resume_mark = _mono(cues.mark("resume"))
    resumed, marked = resume_start(clean, render, after, rough, fade, resume_mark, span)
    clean = subtract(clean, resume_mark, marked)
    assert -0.5 * SR <= resumed - stopped <= 0, "resumed in place, never skipping ahead"
    # Then to the end, sample for sample (but where the player said the sound broke up).
    assert_exact(clean, render, after, resumed + fade, said_breaks(err.decode()), "after the resume: ")


def test_a_device_run_dry_is_said_and_the_rest_still_comes_exactly(pulse: Pulse, session: dict, tmp_path: Path) -> None:
    """The player stopped dead for 0.6 s (as a machine far too busy would stop it): the device
    runs dry, the listener hears a break, and ``play`` says where, in one line at the end; the
    session before and after the break is heard exactly."""
    render = session["render"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        assert keys is not None
        keys.wait(lambda s: s.position >= 4, "4 s played")
        process.send_signal(signal.SIGSTOP)
        try:
            time.sleep(0.6)  # the stall itself, far longer than the device's 0.1 s buffer
        finally:
            process.send_signal(signal.SIGCONT)
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    breaks = said_breaks(err.decode())
    assert len(breaks) == 1 and 4 <= breaks[0] <= 8, err.decode()
    assert err.decode().count("The sound broke up") == 1, "said once"
    heard = heard_of(raw)
    with pytest.raises(AssertionError):  # the break was real: not heard at one offset ...
        assert_heard_whole(heard, render)
    assert_heard_whole(heard, render, breaks=breaks)  # ... but exact on either side of it


def test_q_quits_and_the_sound_stops(pulse: Pulse, session: dict, tmp_path: Path) -> None:
    render = session["render"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        assert keys is not None
        keys.wait(lambda s: s.position >= 3, "3 s played")
        keys.press(b"q")
        process.wait(timeout=60)  # a hang fails here; how fast q is, is a benchmark
    assert process.returncode == 0
    heard = heard_of(raw)
    offset = locate(heard, render, 2.0)
    last = first_mismatch(heard, render, offset, int(2.5 * SR))
    assert last < len(render) - 2 * SR, "the sound stopped soon after q, long before the session's end"
    assert np.max(np.abs(heard[offset + last + SR // 10 :])) <= EXACT, "and nothing sounded after it"


def test_the_simpleaudio_output_plays_the_session_too(pulse: Pulse, session: dict, tmp_path: Path) -> None:
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, _ = player(pulse, session, "--output", "simpleaudio")
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    assert err == b"", "no fallback, no complaint"
    assert_heard_in_order(heard_of(raw), session["render"])


def test_simpleaudio_waits_for_a_player_that_keeps_only_a_little_ahead(
    pulse: Pulse, session: dict, tmp_path: Path
) -> None:
    """A player waiting on its source (speech not laid out yet) has less queued than the tape
    would take. The tape takes what is ready and waits for the rest while the device still
    has sound; it once padded every such wait with silence, and the session was heard later
    from there on (the first sentence after the bell, 20 ms late, in a loaded run)."""
    signal = session["render"][: 8 * SR]
    np.save(tmp_path / "signal.npy", np.repeat(signal[:, None], 2, axis=1).astype(np.float32))
    with pulse.recording(tmp_path / "rec.raw") as raw:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).parent / "support" / "feed.py"), str(tmp_path / "signal.npy")],
            env=pulse.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    silences = assert_heard_in_order(heard_of(raw), signal)
    # The old tape (a pad at every wait) fails the line above: its silences came closer together
    # than a quarter second. A device that runs dry on a busy machine inserts 20 or 40 ms, rarely.
    assert sum(length for _, length in silences) <= SR // 10, f"silence inserted (sample, length): {silences}"


def test_without_portaudio_it_says_so_once_and_plays_through_simpleaudio(
    pulse: Pulse, session: dict, tmp_path: Path
) -> None:
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": session["env"]["VOICEGUIDE_CACHE_DIR"]}
    with pulse.recording(tmp_path / "rec.raw") as raw:
        done = subprocess.run(
            [*voiceguide_without("sounddevice"), "play", str(session["script"])],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("voiceguide: sounddevice could not play (")
        and lines[0].endswith("playing through simpleaudio instead")
    )
    assert "libportaudio2" in lines[0]
    assert_heard_in_order(heard_of(raw), session["render"])


SOUNDS = """
import sys, time
import numpy as np
import simpleaudio
assert sys.getallocatedblocks() > 0, "runs on pymalloc"
tone = np.repeat((np.sin(np.arange(882) / 10) * 3000).astype(np.int16)[:, None], 2, axis=1).tobytes()
plays = []
for i in range(150):
    plays.append(simpleaudio.play_buffer(tone, 2, 2, 44100))
    garbage = [bytearray(64) for _ in range(2000)]  # the small-object allocator at work meanwhile
    if i % 3 == 0:
        plays[-1].stop()
    time.sleep(0.005)
for play in plays:
    play.wait_done()
print("done")
"""


def test_simpleaudio_needs_no_special_allocator(pulse: Pulse) -> None:
    """simpleaudio 1.0.4 freed memory from its threads without Python's lock and crashed on
    pymalloc (every run on 3.12). simpleaudio-patched allocates that memory with the raw
    allocator: 150 overlapping sounds, started and stopped, on pymalloc, end cleanly."""
    env = {k: v for k, v in pulse.env.items() if k != "PYTHONMALLOC"}
    done = subprocess.run([sys.executable, "-c", SOUNDS], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "done", (done.returncode, done.stderr[-2000:])


def _mono(sound: np.ndarray) -> np.ndarray:
    return np.asarray(sound, dtype=np.float64)


def test_next_skips_to_the_next_section(pulse: Pulse, session: dict, tmp_path: Path) -> None:
    render = session["render"]
    sections = session["cues"]["sections"]
    two = sections[1]["start"]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True)
        assert keys is not None
        pressed = keys.wait(lambda s: s.position >= 2, "2 s played").position
        keys.press(b"n")
        keys.wait(lambda s: s.section == 2, "section two")
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    heard = load_recording(raw)[:, 0]
    first = locate(heard, render, 1.0)
    after = locate(heard, render, two + 0.5, 1.5)
    heard_two = after + int(two * SR) - first  # when section two was heard, from the session's start
    # n was pressed at ``pressed`` s or a moment later (the line shows whole seconds); section two
    # starts seconds after that, and came well before its time.
    assert pressed < two - 3, (pressed, two)
    assert pressed * SR <= heard_two < (two - 1.5) * SR, "section two came after n, not at its time"
    length = int(0.5 * SR)
    np.testing.assert_allclose(
        heard[after + int((two + 0.6) * SR) :][:length], render[int((two + 0.6) * SR) :][:length], atol=1.5 / 32768
    )


def test_no_sound_device_is_one_clear_line(session: dict, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type pulse }\n")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**session["env"], "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    # The session's speech is in the cache (its render made it): no speech workers start. The
    # same with an empty cache, workers starting as the command exits: tests/test_workers.py.
    done = subprocess.run(
        [sys.executable, "-m", "voiceguide", "play", str(session["script"])],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voiceguide: no sound device could be opened")
    assert "`voiceguide export` writes files that play anywhere without one" in lines[0]


SAID_WHILE_LOADING = """\
import sys, threading
from voiceguide.player.system import load_in_background, quiet_stderr
load_in_background("sounddevice")
loader = next(t for t in threading.enumerate() if t.name == "voiceguide-device-library")
said = 0
while loader.is_alive() or said < 3:
    print(f"line {said}", file=sys.stderr, flush=True)
    said += 1
with quiet_stderr():
    print(f"line {said}", file=sys.stderr, flush=True)
    said += 1
print(said)
"""


def test_what_is_said_while_the_device_library_loads_is_not_lost() -> None:
    """sounddevice points descriptor 2 at /dev/null while PortAudio starts, on the thread that
    loads it in the background; a refusal printed by ``play`` meanwhile was lost (exit 2, not a
    word said). Every line printed while it loads, and while a stream opens, arrives."""
    done = subprocess.run([sys.executable, "-c", SAID_WHILE_LOADING], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    said = int(done.stdout)
    assert done.stderr.splitlines() == [f"line {n}" for n in range(said)]


EXIT_WHILE_LOADING = """\
import atexit, threading
atexit.register(lambda: print([t.name for t in threading.enumerate() if t.name == "voiceguide-device-library"]))
from voiceguide.player.system import load_in_background
load_in_background("sounddevice")
raise SystemExit(2)
"""


def test_an_exit_waits_for_the_device_library_to_load() -> None:
    """A command that ends at once (a refusal) after the device library began to load exits
    once the load is done, not in the middle of PortAudio's start (which aborted the exit)."""
    done = subprocess.run([sys.executable, "-c", EXIT_WHILE_LOADING], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (2, "[]", "")


def test_an_exported_mp3_plays_with_its_chapters(pulse: Pulse, session: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "voiceguide", "export", str(session["script"]), "-o", str(out)],
        env=session["env"],
        check=True,
        capture_output=True,
    )
    mp3 = out / "playback-test.mp3"
    from .support.audio import decode

    decoded = decode(mp3)[:, 0]
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, keys = player(pulse, session, tty=True, target=mp3)
        assert keys is not None
        keys.wait(lambda s: s.position >= 2, "2 s played")
        keys.press(b"n")
        two = session["cues"]["sections"][1]["start"]
        keys.wait(lambda s: s.section == 2 and s.position >= two + 2, "2 s of the second chapter")
        keys.press(b"q")
        process.wait(timeout=60)
    assert process.returncode == 0
    heard = load_recording(raw)[:, 0]
    after = locate(heard, decoded, two + 0.3, 1.0)
    first = locate(heard, decoded, 1.0)
    assert after < first, "skipped ahead to the second chapter"
