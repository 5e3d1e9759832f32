"""Listening, fed from arrays faster than real time: the real speech detector, the real Whisper
model and real voices, over a session's own sound and its echo in a room."""

from __future__ import annotations

import threading
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from voiceguide.listen import Heard, Listener, parse_command
from voiceguide.listen.commands import KINDS, addressed, check_script, phrases_in
from voiceguide.listen.detector import RATE, Detector
from voiceguide.listen.microphone import ArrayFeed
from voiceguide.listen.recogniser import WhisperRecogniser
from voiceguide.sounds.confirm import KINDS as SOUND_KINDS
from voiceguide.sounds.confirm import confirmation

from .support import SCRIPTS
from .support.listening import COMMAND_PHRASES, NEAR_MISSES, Rendered, render, say_during_holds, spoken

SESSION = """\
title: Listening test
steps:
  - say: Sit tall and let your shoulders drop.
  - hold: 8s
  - say: Now breathe out slowly through your mouth.
  - hold: 10s
    breathe: relax
  - say: Let your hands rest on your knees.
  - hold: 8s
  - say: Roll your shoulders back.
  - hold: 8s
  - chime: soft
  - say: Turn your head to the left.
  - hold: 8s
  - say: Turn your head to the right.
  - hold: 8s
"""


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Voice guide, pause.", "pause"), ("voice guide stop", "pause"), ("Voiceguide continue!", "resume"),
        ("Voice guide. Resume.", "resume"), ("Voice-guide next.", "next"), ("VOICE GUIDE BACK", "back"),
        ("Voice guide repeat.", "repeat"), ("Voice guide louder.", "louder"), ("Voice guide, softer.", "softer"),
        ("Voice guide. Software.", "softer"), ("Voice guide quit.", "quit"), ("Voice guides stop.", "pause"), ("Voice guide top.", "pause"),
        ("Repeat this three times.", None), ("Let your voice guide your breath.", None), ("Pause.", None),
        ("Voice guide.", None), ("Voice guide, pause, please.", None), ("Voice guide jump.", None),
        ("Please voice guide pause.", None), ("Boy sky pause.", None), ("", None),
    ],
)  # fmt: skip
def test_only_a_whole_command_phrase_is_a_command(text: str, command: str | None) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("Voice guide style.", True), ("Voice guide, for Pete.", True), ("Voiceguide there", True),
        ("Voice guide, stop.", False), ("Voice guide.", False), ("Voice guide, I need a minute.", False),
        ("Let your voice guide you.", False), ("Style.", False),
    ],
)  # fmt: skip
def test_the_name_then_one_or_two_words_that_are_no_command_is_addressed(text: str, shaped: bool) -> None:
    assert addressed(text) is shaped


DATA = Path(__file__).parent / "data"


def _segment(name: str) -> np.ndarray:
    with wave.open(str(DATA / f"{name}.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768


@pytest.mark.parametrize(("name", "command"), [("misheard-stop", "pause"), ("misheard-next", "next"),
                                               ("misheard-repeat", "repeat")])  # fmt: skip
def test_a_command_word_misheard_after_the_name_is_heard_on_a_second_look(
    recogniser: WhisperRecogniser, name: str, command: str
) -> None:
    """Segments as the listener handed them to the recogniser in ``bench.echo``'s room (the other
    voice saying "voice guide stop", "next" and "repeat" over the partner massage and its echo,
    through the canceller): heard first as the name and a word that is no command ("Voice guide
    style."), then as the command once told the command words."""
    samples = _segment(name)
    first = recogniser.first_look(samples)
    assert addressed(first), first
    assert parse_command(recogniser.transcribe(samples)) == command


ADDRESSED = ["Voice guide, thank you.", "Voice guide, hold on.", "Voice guide, not now.", "Voice guide, faster.",
             "Voice guide, this is great.", "Voice guide, wait a moment.", "Voice guide, good morning.",
             "Voice guide, start again."]  # fmt: skip


@pytest.mark.parametrize("voice", ["natural", "system"])
def test_the_name_and_words_that_are_no_command_stay_no_command(
    recogniser: WhisperRecogniser, speech_cache: Path, voice: str
) -> None:
    """Told the command words, the second look must not turn someone's other words into one."""
    heard = [recogniser.transcribe(clip) for clip in spoken(voice, ADDRESSED, speech_cache)]
    assert [parse_command(text) for text in heard] == [None] * len(ADDRESSED), heard


def test_the_command_phrases_are_found_in_a_scripts_text(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("title: T\nsteps:\n  - say: Let your Voice guide pause you.\n  - say: a voiceguide\n")
    found = phrases_in(script.read_text())
    assert [(f.line, f.col, f.command) for f in found] == [(3, 19, "pause"), (4, 12, None)]
    problems = check_script(script)
    assert [str(p).split(": ")[0] for p in problems] == [f"{script}:3:19", f"{script}:4:12"]
    assert "voice" in problems[0].message and "pause" in problems[0].message
    library = [p for path in sorted(SCRIPTS.rglob("*.yaml")) for p in check_script(path)]
    assert library == [], "the library never says voice next to guide"


def test_each_kind_of_command_has_its_own_soft_short_sound() -> None:
    assert SOUND_KINDS == KINDS
    pitches = {}
    for kind in KINDS:
        sound = confirmation(kind)
        assert sound.dtype == np.float32 and sound.ndim == 1
        assert 0.2 <= len(sound) / 44100 <= 0.5, kind
        peak_db = 20 * np.log10(np.max(np.abs(sound)))
        assert -27 <= peak_db <= -25, f"{kind}: soft, at the pause marks' level"
        assert abs(sound[0]) < 1e-3 and abs(sound[-1]) < 1e-3, f"{kind}: no click at either end"
        # The pitch track: the strongest frequency in each 50 ms, where the sound is not quiet.
        frames = sound[: len(sound) // 2205 * 2205].reshape(-1, 2205)
        loud = [f for f in frames if np.sqrt(np.mean(f**2)) > 10 ** (-50 / 20)]
        pitches[kind] = tuple(int(round(np.argmax(np.abs(np.fft.rfft(f, 44100))) / 25)) for f in loud)
    assert len(set(pitches.values())) == len(KINDS), f"every kind sounds different: {pitches}"


@pytest.fixture(scope="module")
def recogniser() -> WhisperRecogniser:
    model = WhisperRecogniser()
    model.load()
    return model


def test_the_detector_cuts_short_speech_and_drops_long_speech(speech_cache: Path) -> None:
    short, long_ = spoken(
        "system",
        ["Voice guide, pause.", "Slowly walk your hands back, roll up to sitting, and let your breath settle."],
        speech_cache,
    )
    gap = np.zeros(RATE, np.float32)
    stream = np.concatenate([gap, short, gap, long_, gap, np.zeros(RATE // 2, np.float32)])
    detector = Detector()
    segments = [s for i in range(0, len(stream), 1000) for s in detector.feed(stream[i : i + 1000])]
    assert len(long_) / RATE > 3.5
    assert len(segments) == 1, "the long sentence is not a command and never reaches the recogniser"
    spoken_at = RATE + np.flatnonzero(np.abs(short) > 0.01)[[0, -1]]
    assert abs(segments[0].start - spoken_at[0]) < 0.15 * RATE and abs(segments[0].end - spoken_at[1]) < 0.15 * RATE
    assert len(segments[0].samples) > len(short), "padded either side"


RUNS_ON = {
    "long": "Slowly walk your hands back, roll up to sitting, and let your breath settle.",  # too long by itself
    "middling": "Roll your shoulders back.",  # too long only with the command after it
}


@pytest.mark.parametrize("told", [False, True])
@pytest.mark.parametrize("before", ["long", "middling"])
def test_speech_running_on_from_the_voice_into_a_command_is_heard_from_where_the_voice_ended(
    recogniser: WhisperRecogniser, speech_cache: Path, before: str, told: bool
) -> None:
    """A sentence of the session (here whole; through the canceller, what it leaves of the voice
    can still be speech to the detector) runs straight (0.1 s) into someone's command, with no
    silence between for the detector to end a segment on: taken whole it is too long for a
    command and dropped, command and all. Told where the session's voice ended, the detector
    hears the command from there."""
    (voice,) = spoken("system", [RUNS_ON[before]], speech_cache)
    (command,) = spoken("system", ["Voice guide next."], speech_cache)
    gap = np.zeros(RATE // 10, np.float32)
    stream = np.concatenate([np.zeros(RATE, np.float32), voice, gap, command, np.zeros(RATE, np.float32)])
    ended = RATE + len(voice)
    detector = Detector()
    segments = []
    for i in range(0, len(stream), 512):
        if told and i <= ended < i + 512:
            detector.voice_ended()
        segments += detector.feed(stream[i : i + 512])
    assert len(voice) + len(gap) + len(command) > 3.2 * RATE, "too long for a command, taken whole"
    heard = [parse_command(recogniser.transcribe(s.samples)) for s in segments]
    if not told:
        assert heard == [], "dropped whole with the sentence"
    else:
        assert heard == ["next"], heard
        assert abs(segments[0].start - ended) < 0.15 * RATE, "heard from where the voice ended"


class Voiced:
    """An array heard as the echo-cancelled microphone hands it on: each block with whether the
    session's voice sounded as it was captured (``speaking``, before ``until``)."""

    def __init__(self, samples: np.ndarray, until: int) -> None:
        self.feed, self.until = ArrayFeed(samples), until
        self.name, self.captured_at, self.speaking = "voiced", 0.0, False

    def open(self, muted: Callable[[], bool]) -> None:
        self.feed.open(muted)

    def close(self) -> None:
        self.feed.close()

    def blocks(self) -> Iterator[tuple[np.ndarray, bool]]:
        for block, _ in self.feed.blocks():
            self.speaking, self.captured_at = self.feed.position < self.until, self.feed.captured_at
            yield block, False  # the canceller has converged: heard all along


def test_the_listener_tells_the_detector_where_the_sessions_voice_ended(
    recogniser: WhisperRecogniser, speech_cache: Path
) -> None:
    (voice,) = spoken("system", [RUNS_ON["long"]], speech_cache)
    (command,) = spoken("system", ["Voice guide next."], speech_cache)
    lead = np.zeros(RATE, np.float32)
    stream = np.concatenate([lead, voice, np.zeros(RATE // 10, np.float32), command, lead])
    obeyed: list[str] = []
    listener = Listener(recogniser, obeyed.append, lambda: False, source=Voiced(stream, len(lead) + len(voice)))
    listener.start()
    assert listener.join(300) and listener.failure is None
    assert obeyed == ["next"]


class Behind(ArrayFeed):
    """An array heard by a listener that is ``behind`` seconds behind the microphone (as while
    it caught up after loading its model)."""

    def __init__(self, samples: np.ndarray, behind: float) -> None:
        super().__init__(samples)
        self.behind = behind


class Ducks:
    """What the listener asked of the session's ducking."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def duck(self) -> None:
        self.calls.append("duck")

    def restore(self) -> None:
        self.calls.append("restore")


@pytest.mark.parametrize("behind", [0.0, 2.0])
def test_speech_heard_late_is_obeyed_but_never_ducks_the_session(
    behind: float, recogniser: WhisperRecogniser, speech_cache: Path
) -> None:
    """A command heard as it is said ducks the session under it and is obeyed; one heard two
    seconds after it was said (the listener catching up) is obeyed without a duck, which would
    lower the session for nobody."""
    (command,) = spoken("system", ["Voice guide, pause."], speech_cache)
    quiet = np.zeros(RATE, np.float32)
    obeyed: list[str] = []
    ducks = Ducks()
    source = Behind(np.concatenate([quiet, command, quiet]), behind)
    listener = Listener(recogniser, obeyed.append, lambda: False, source=source, ducking=ducks)
    listener.start()
    assert listener.join(300) and listener.failure is None
    assert obeyed == ["pause"]
    assert ducks.calls == (["duck", "restore"] if behind == 0.0 else []), ducks.calls


def run_feed(recogniser: WhisperRecogniser, samples: np.ndarray, rendered: Rendered | None = None) -> list[Heard]:
    """Everything the listener heard in ``samples``; muted while ``rendered``'s voice speaks."""
    heard: list[Heard] = []
    feed = ArrayFeed(samples)
    muted = rendered.speaking(lambda: feed.position) if rendered else (lambda: False)
    listener = Listener(recogniser, lambda c: None, muted, source=feed, on_heard=heard.append)
    listener.start()
    assert listener.join(300), "a feed is heard to its end"
    assert listener.failure is None
    return heard


@pytest.mark.parametrize("voice", ["natural", "system"])
def test_commands_in_holds_are_caught_over_the_session_and_its_echo(
    voice: str, recogniser: WhisperRecogniser, speech_cache: Path, tmp_path: Path
) -> None:
    script = tmp_path / "listening.yaml"
    script.write_text(SESSION)
    rendered = render(script, voice, speech_cache)
    phrases = [COMMAND_PHRASES[0], NEAR_MISSES[0], COMMAND_PHRASES[2], NEAR_MISSES[1], COMMAND_PHRASES[5]]
    said = say_during_holds(rendered, spoken(voice, phrases, speech_cache), echo_db=0.0)
    heard = run_feed(recogniser, said.mix, rendered)
    commands = [(h.command, h.start) for h in heard if h.command]
    assert [c for c, _ in commands] == ["pause", "next", "louder"], heard
    for (_, at), (start, end) in zip(commands, [said.phrases[i] for i in (0, 2, 4)], strict=True):
        assert start / RATE - 0.3 <= at <= end / RATE, "each command is heard where it was said"


def test_the_session_never_hears_its_own_voice(
    recogniser: WhisperRecogniser, speech_cache: Path, tmp_path: Path
) -> None:
    """A script that breaks the rule says the commands itself: the listener must still not obey."""
    script = tmp_path / "self.yaml"
    script.write_text(
        "title: Self\nsteps:\n  - say: Voice guide, pause.\n  - hold: 3s\n  - say: Voice guide next.\n  - hold: 3s\n"
    )
    rendered = render(script, "natural", speech_cache)
    loud = rendered.samples * 2.0
    assert sum(h.command is not None for h in run_feed(recogniser, loud)) >= 1, "heard when not muted"
    assert [h for h in run_feed(recogniser, loud, rendered) if h.command] == [], "never while muted"


class Failing:
    """The real recogniser, with a fault injected at the first call after it has heard a command."""

    def __init__(self, inner: WhisperRecogniser) -> None:
        self.inner = inner
        self.calls = 0
        self.heard_one = False
        self.failed_at = 0

    def transcribe(self, samples: np.ndarray) -> str:
        self.calls += 1
        if self.heard_one:
            self.failed_at = self.calls
            raise RuntimeError("the model broke")
        text = self.inner.transcribe(samples)
        self.heard_one = parse_command(text) is not None
        return text


def test_a_recogniser_that_fails_stops_listening_without_raising(
    recogniser: WhisperRecogniser, speech_cache: Path
) -> None:
    clips = spoken("natural", [COMMAND_PHRASES[0], COMMAND_PHRASES[2], COMMAND_PHRASES[3]], speech_cache)
    gap = np.zeros(RATE, np.float32)
    stream = np.concatenate([gap, clips[0], gap, clips[1], gap, clips[2], gap])
    commands: list[str] = []
    errors: list[str] = []
    failing = Failing(recogniser)
    listener = Listener(failing, commands.append, lambda: False, source=ArrayFeed(stream), on_error=errors.append)
    listener.start()
    assert listener.join(120)
    assert commands == ["pause"], "obeyed until the fault"
    assert failing.calls == failing.failed_at, "and never asked again after it"
    assert errors == ["listening stopped: RuntimeError: the model broke"]
    assert not listener.running
    listener.stop()  # stopping a listener that has ended is harmless


def test_stop_ends_a_listener_that_is_still_listening(recogniser: WhisperRecogniser) -> None:
    endless = ArrayFeed(np.zeros(RATE * 600, np.float32), pace=1.0)
    listener = Listener(recogniser, lambda c: None, lambda: False, source=endless)
    listener.start()
    assert listener.running
    stopped = threading.Event()
    threading.Thread(target=lambda: (listener.stop(), stopped.set()), daemon=True).start()
    assert stopped.wait(30)
    assert not listener.running and listener.failure is None


def test_validate_strict_refuses_a_script_that_says_a_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voiceguide.cli import app

    script = tmp_path / "loud.yaml"
    script.write_text("title: Loud\nsteps:\n  - say: Say voice guide pause to stop.\n")
    result = CliRunner().invoke(app, ["validate", "--strict", str(script)])
    assert result.exit_code == 2
    assert f"{script}:3:14: \"voice guide pause\" is how a listener starts the command 'pause'" in result.output
    assert CliRunner().invoke(app, ["validate", str(script)]).exit_code == 0, "without --strict it is no error"
