"""Sound for the listening tests and benchmarks: commands in a voice, a session's own sound, its
echo in a room, and noise, all as 16 kHz mono float32 (what the microphone gives the listener)."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from voiceguide.listen.detector import RATE
from voiceguide.speech import SpeechStore
from voiceguide.speech_cache import SpeechCache
from voiceguide.voices import parse_spec

SR = 44100

COMMAND_PHRASES = [
    "Voice guide, pause.", "Voice guide, continue.", "Voice guide next.", "Voice guide back.",
    "Voice guide, repeat.", "Voice guide louder.", "Voice guide softer.", "Voice guide stop.",
    "Voice guide resume.", "Voice guide quit.",
]  # fmt: skip
# Instructions that share words with the commands, said whole: none may be taken for one.
NEAR_MISSES = [
    "Repeat this three times.", "Let your voice guide your breath.", "Pause here and rest.",
    "Go back to the start.", "Next, roll onto your back.", "Stop when it feels like enough.",
    "Breathe a little louder.", "Continue with slow circles.",
]  # fmt: skip


# Long sentences, each one a hold apart: the echo canceller hears enough of the voice to settle.
TALK_SENTENCES = [
    "Let your shoulders sink a little lower with each slow breath, and feel the floor hold you.",
    "Now let your jaw go soft, and your tongue rest easy behind your lower teeth.",
    "Notice where your hands are resting, and let them grow a little heavier there.",
    "Breathe in through your nose, slowly, and let the breath out through your mouth.",
    "Let your forehead smooth out, and feel the space between your eyebrows widen.",
    "Roll your shoulders back once, gently, and let them settle where they want to be.",
    "Let your whole back rest, from the neck down to the hips, and stay with it a moment.",
]


def talk(hold: str) -> str:
    """A script saying ``TALK_SENTENCES``, each followed by a hold of ``hold`` ("6s")."""
    return "title: Talk\nsteps:\n" + "".join(f"  - say: {s}\n  - hold: {hold}\n" for s in TALK_SENTENCES)


def to16k(x: np.ndarray, rate: int = SR) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    if rate == RATE:
        return mono.astype(np.float32)
    g = np.gcd(RATE, rate)
    return signal.resample_poly(mono, RATE // g, rate // g).astype(np.float32)


def spoken(voice: str, phrases: list[str], cache: Path | None = None) -> list[np.ndarray]:
    """Each phrase in ``voice`` at the session's own speaking level, 16 kHz."""
    store = SpeechStore(parse_spec(voice), SpeechCache(cache) if cache else SpeechCache())
    store.ensure(phrases)
    return [to16k(store.clip(p)) for p in phrases]


def room(seed: int = 3) -> np.ndarray:
    """A small room's impulse response at 16 kHz: the direct sound after 5 ms, then reflections
    that die away by 60 dB in 0.4 s."""
    rng = np.random.default_rng(seed)
    n = int(0.5 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / 0.4) * 0.08
    tail[: int(0.008 * RATE)] = 0
    ir = tail
    ir[int(0.005 * RATE)] += 1.0
    return ir.astype(np.float32)


def echo(x: np.ndarray, gain_db: float = -6.0) -> np.ndarray:
    """What a microphone in the room hears of ``x`` from the speakers, ``gain_db`` under the direct
    level, with the room's reflections (same length as ``x``)."""
    wet = signal.oaconvolve(x, room())[: len(x)]
    return (wet * 10 ** (gain_db / 20)).astype(np.float32)


def speech_noise(seconds: float, seed: int = 5) -> np.ndarray:
    """Noise with the spectrum of speech and its syllable rhythm (about 4 a second), but no words."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    white = rng.standard_normal(n)
    shaped = signal.sosfilt(signal.butter(2, [150, 3500], "bandpass", fs=RATE, output="sos"), white)
    shaped = signal.sosfilt(signal.butter(1, 500, "lowpass", fs=RATE, output="sos"), shaped) * 3 + shaped * 0.3
    rhythm = signal.sosfilt(signal.butter(2, 6, "lowpass", fs=RATE, output="sos"), rng.standard_normal(n))
    envelope = np.clip(rhythm / (np.std(rhythm) + 1e-9), 0, None)
    out = shaped * envelope
    return (out / (np.max(np.abs(out)) + 1e-9) * 0.5).astype(np.float32)


@dataclass
class Rendered:
    """A session's sound at 16 kHz, and where its own voice speaks (16 kHz samples, sorted)."""

    samples: np.ndarray
    speech: list[tuple[int, int]]
    said: tuple[tuple[int, int, str], ...] = ()  # each sentence spoken: start, end (16 kHz) and text

    def speaking(self, position: Callable[[], int], block: int = 512) -> Callable[[], bool]:
        """A ``muted`` for a feed: true when a block at ``position()`` overlaps the voice."""
        starts = [s for s, _ in self.speech]

        def muted() -> bool:
            at = position()
            i = bisect.bisect_right(starts, at + block) - 1
            return i >= 0 and self.speech[i][1] > at

        return muted


def render(script: Path, voice: str, cache: Path | None = None) -> Rendered:
    """The whole session rendered, block by block, down to 16 kHz mono as it goes."""
    from voiceguide.library import Resolver
    from voiceguide.loader import load_session
    from voiceguide.render import RenderOptions, prepare, stream

    prepared = prepare(
        load_session(script, Resolver()), RenderOptions(voice=voice), SpeechCache(cache) if cache else None
    )
    chunks: list[np.ndarray] = []
    held = np.zeros(0, np.float32)
    margin, step = 4410, 44100  # input samples; one second becomes exactly 16000 samples

    class Collect:
        def write(self, block: np.ndarray) -> None:
            nonlocal held
            held = np.concatenate([held, block.mean(axis=1).astype(np.float32)])
            while len(held) >= step + 2 * margin:
                out = signal.resample_poly(held[: step + 2 * margin], 160, 441)
                chunks.append(out[1600 : 1600 + 16000].astype(np.float32))
                held = held[step:]

        def close(self) -> None:
            pass

    sink = Collect()
    head = np.zeros(margin, np.float32)
    held = head
    stream(prepared, sink)
    tail = signal.resample_poly(np.concatenate([held, np.zeros(margin, np.float32)]), 160, 441)[1600:]
    chunks.append(tail[: int((len(held) - margin) * 160 / 441)].astype(np.float32))
    samples = np.concatenate(chunks)
    spoken = [e for e in prepared.timeline.events if e.kind == "speech"]
    said = sorted((e.start * RATE // SR, -(-e.end * RATE // SR), e.text or "") for e in spoken)
    return Rendered(samples, [(s, e) for s, e, _ in said], tuple(said))


def holds(rendered: Rendered, need: float, margin: float = 1.0) -> list[int]:
    """Start samples (16 kHz) in the session's silences of its voice where ``need`` seconds of
    talking fit, ``margin`` seconds clear of its speech either side; one place per silence."""
    places = []
    ends = [0] + [e for _, e in rendered.speech]
    starts = [s for s, _ in rendered.speech] + [len(rendered.samples)]
    for gap_start, gap_end in zip(ends, starts, strict=True):
        if (gap_end - gap_start) / RATE >= need + 2 * margin:
            places.append(gap_start + int(margin * RATE))
    return places


@dataclass
class Said:
    """Commands placed into a session's sound: the mix as the microphone hears it, and each
    phrase's (start, end) in 16 kHz samples."""

    mix: np.ndarray
    phrases: list[tuple[int, int]]


def say_during_holds(rendered: Rendered, clips: list[np.ndarray], echo_db: float = -6.0) -> Said:
    """Each clip said in its own hold of the session, over the echo of the session's own sound."""
    need = max(len(c) for c in clips) / RATE + 2.0
    places = holds(rendered, need)
    if len(places) < len(clips):
        raise ValueError(f"the session has {len(places)} holds long enough, not {len(clips)}")
    mix = echo(rendered.samples, echo_db)
    said = []
    for clip, at in zip(clips, places, strict=False):
        mix[at : at + len(clip)] += clip
        said.append((at, at + len(clip)))
    return Said(mix, said)


Scene = tuple[np.ndarray, np.ndarray, list[tuple[int, int]], list[tuple[int, int]]]


def scene(
    rendered: Rendered, clips: list[np.ndarray], places: list[int], lead: float, before: float, after: float
) -> Scene:
    """The session cut down to where the commands are said: its first ``lead`` seconds (a
    canceller settles in them), then for each clip ``before`` seconds of the session ahead of its
    place, the clip said there, and ``after`` seconds past its end. Returns the speaker's sound,
    the talker's sound, where the session's voice speaks and where each phrase is (16 kHz)."""
    head, ahead, past = int(lead * RATE), int(before * RATE), int(after * RATE)
    speaker, talker = [rendered.samples[:head]], [np.zeros(head, np.float32)]
    speech = [(s, min(e, head)) for s, e in rendered.speech if s < head]
    phrases, at = [], head
    for clip, place in zip(clips, places, strict=True):
        lo, hi = place - ahead, place + len(clip) + past
        speaker.append(rendered.samples[lo:hi])
        said = np.zeros(hi - lo, np.float32)
        said[ahead : ahead + len(clip)] = clip
        talker.append(said)
        speech += [(max(s, lo) - lo + at, min(e, hi) - lo + at) for s, e in rendered.speech if s < hi and e > lo]
        phrases.append((at + ahead, at + ahead + len(clip)))
        at += hi - lo
    return np.concatenate(speaker), np.concatenate(talker), speech, phrases
