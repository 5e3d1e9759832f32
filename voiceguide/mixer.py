"""The mixer: any stretch of a session, as float32 stereo blocks, computed on demand.

A block depends only on the timeline, the clips and the music, never on blocks before it:
render, export and the player all call ``Mixer.mix(start, count)`` and get the same
samples for the same stretch, whether they start from the beginning or skip around.

Inside a block: the music is ducked under speech (smooth ramps, bridged between close
sentences so it does not pump, untouched in silence), faded in at the start and out at the
end; the voice and the cues sit on both channels. The music and the cues each have a level
(dB relative to the house mix, ``levels.LEVEL_RANGE``); the player changes them live, and each
change is ramped over ``LEVEL_RAMP`` from the next block rendered, so it never clicks. A local
true-peak guard (rarely needed, see ``levels``) keeps the sum below ``levels.MIX_CEILING``.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from voiceguide import levels
from voiceguide.loudness import guard_gain
from voiceguide.samples import SAMPLE_RATE
from voiceguide.sounds import cues
from voiceguide.sounds.music import Music
from voiceguide.timeline import SOUNDING, Event

BLOCK = 32768
GUARD_CONTEXT = 512  # samples each side: the guard's gain at a sample depends on nothing further away
LEVEL_RAMP = 0.05  # seconds a live level change takes


class EventIndex:
    """Sounding events ordered by start, for finding what overlaps a block. It can grow
    while the player is already playing the start."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.sounding: list[Event] = []
        self.starts: list[int] = []
        self.longest = 0
        self.speech: list[Event] = []
        self.speech_starts: list[int] = []
        for event in events:
            self.add(event)

    def add(self, event: Event) -> None:
        if event.kind not in SOUNDING:
            return
        self.sounding.append(event)
        self.starts.append(event.start)
        self.longest = max(self.longest, event.length)
        if event.kind == "speech":
            self.speech.append(event)
            self.speech_starts.append(event.start)

    def overlapping(self, start: int, end: int) -> list[Event]:
        lo = bisect.bisect_left(self.starts, start - self.longest)
        hi = bisect.bisect_left(self.starts, end)
        return [e for e in self.sounding[lo:hi] if e.end > start]

    def mixable_until(self, horizon: int, attack: int, bridge: int) -> int:
        """How far a mixer can render exactly when every event starting before ``horizon`` is
        known (the player's timeline grows while it plays): the ducking ahead of an unknown
        sentence, and the bridge across a gap to it, must not depend on what is not known yet."""
        ready = horizon - attack - GUARD_CONTEXT
        if self.speech:
            last = max(e.end for e in self.speech[-4:])
            if horizon - last < bridge:
                ready = min(ready, last - GUARD_CONTEXT)
        return max(0, ready)

    def speech_between(self, start: int, end: int) -> list[Event]:
        lo = bisect.bisect_left(self.speech_starts, start - self.longest)
        hi = bisect.bisect_left(self.speech_starts, end)
        return [e for e in self.speech[lo:hi] if e.end > start]


@dataclass(frozen=True)
class Stems:
    """One block's parts as they sit in the final mix: ``voice`` and ``cues`` are mono
    (count,) and go to both channels; ``music`` is stereo (count, 2). All float32."""

    voice: np.ndarray
    music: np.ndarray
    cues: np.ndarray

    def mix(self) -> np.ndarray:
        mixed: np.ndarray = self.music + (self.voice + self.cues)[:, None]
        return mixed

    def scaled(self, gain: np.ndarray) -> Stems:
        return Stems(self.voice * gain, self.music * gain[:, None], self.cues * gain)


class Level:
    """A stem's level in dB. ``set`` changes it from the next samples rendered on, over a
    raised-cosine ramp of ``ramp`` samples; a level never set is constant (render, export)."""

    def __init__(self, db: float, ramp: int) -> None:
        self.db = db
        self._from = db
        self._ramp = max(1, ramp)
        self._done = self._ramp

    def set(self, db: float) -> None:
        self._from = self._now()
        self.db = db
        self._done = 0

    def _now(self) -> float:
        t = min(1.0, self._done / self._ramp)
        return float(self._from + (self.db - self._from) * (0.5 - 0.5 * np.cos(np.pi * t)))

    def advance(self, count: int, lead: int = 0, kept: int | None = None) -> tuple[float, float, np.ndarray | None]:
        """(from dB, to dB, the ramp's weight of "to") over ``count`` samples whose first
        ``lead`` lie before the next sample kept; the weight is None where the ramp is over. The
        level then moves on by ``kept`` samples (all of them after the lead by default)."""
        start = self._done - lead
        self._done += count - lead if kept is None else kept
        if start >= self._ramp:
            return self.db, self.db, None
        t = np.clip((start + np.arange(count)) / self._ramp, 0.0, 1.0)
        return self._from, self.db, 0.5 - 0.5 * np.cos(np.pi * t)


@functools.cache
def _raised(n: int, rising: bool) -> np.ndarray:
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, endpoint=False))
    return ramp if rising else ramp[::-1].copy()


class Mixer:
    def __init__(
        self,
        index: EventIndex,
        clip: Callable[[str], np.ndarray],
        music: Music,
        length: Callable[[], int | None],
        sample_rate: int = SAMPLE_RATE,
        music_level: float = 0.0,
        cue_level: float = 0.0,
    ) -> None:
        self.index = index
        self.clip = clip
        self.music = music
        self.length = length  # the session's length once known (the player learns it late)
        self.sr = sample_rate
        self.music_level = Level(music_level, int(LEVEL_RAMP * sample_rate))
        self.cue_level = Level(cue_level, int(LEVEL_RAMP * sample_rate))
        self.attack = int(levels.DUCK_ATTACK * sample_rate)
        self.release = int(levels.DUCK_RELEASE * sample_rate)
        self.bridge = int(levels.DUCK_BRIDGE * sample_rate)

    # -- parts ---------------------------------------------------------------------------

    def duck(self, start: int, count: int) -> np.ndarray:
        """How ducked the music is over the block: 0 in silence, 1 under speech."""
        reach = self.release + self.bridge
        spans: list[list[int]] = []
        for event in self.index.speech_between(start - reach, start + count + self.attack + self.bridge):
            if spans and event.start - spans[-1][1] < self.bridge:
                spans[-1][1] = max(spans[-1][1], event.end)
            else:
                spans.append([event.start, event.end])
        weight = np.zeros(count)
        for s, e in spans:
            self._place(weight, start, s - self.attack, _raised(self.attack, True))
            lo, hi = max(s, start), min(e, start + count)
            if hi > lo:
                weight[lo - start : hi - start] = 1.0
            self._place(weight, start, e, _raised(self.release, False))
        return weight

    def music_gain(self, weight: np.ndarray, lead: int = 0, kept: int | None = None) -> np.ndarray:
        """The music's gain over a block, from its duck ``weight``: its level, ducked under
        speech as far as that level needs (``levels.duck_db``)."""
        was, now, ramp = self.music_level.advance(len(weight), lead, kept)

        def at(db: float) -> np.ndarray:
            floor = levels.gain(-levels.duck_db(db))
            return levels.gain(db) * (1.0 - (1.0 - floor) * weight)

        gain = at(now) if ramp is None else at(was) + (at(now) - at(was)) * ramp
        return gain.astype(np.float32)

    def cue_gain(self, count: int, lead: int = 0, kept: int | None = None) -> np.ndarray | float:
        was, now, ramp = self.cue_level.advance(count, lead, kept)
        if ramp is None:
            return levels.gain(now)
        return (levels.gain(was) + (levels.gain(now) - levels.gain(was)) * ramp).astype(np.float32)

    @staticmethod
    def _place(weight: np.ndarray, start: int, at: int, shape: np.ndarray) -> None:
        lo, hi = max(at, start), min(at + len(shape), start + len(weight))
        if hi > lo:
            region = weight[lo - start : hi - start]
            np.maximum(region, shape[lo - at : hi - at], out=region)

    def fades(self, start: int, count: int) -> np.ndarray:
        positions = np.arange(start, start + count)
        gain = np.ones(count)
        fade_in = levels.MUSIC_FADE_IN * self.sr
        early = positions < fade_in
        if early.any():
            gain[early] = 0.5 - 0.5 * np.cos(np.pi * positions[early] / fade_in)
        total = self.length()
        if total is not None:
            fade_out = levels.MUSIC_FADE_OUT * self.sr
            late = positions > total - fade_out
            if late.any():
                gain[late] *= 0.5 - 0.5 * np.cos(np.pi * np.clip(total - positions[late], 0, None) / fade_out)
        return gain.astype(np.float32)

    def stems(self, start: int, count: int, lead: int = 0, kept: int | None = None) -> Stems:
        """The stems of ``[start, start + count)``; a live level change lands ``lead`` samples
        in, and the levels move on by ``kept`` samples (see ``Level.advance``)."""
        voice = np.zeros(count, np.float32)
        sounds = np.zeros(count, np.float32)
        for event in self.index.overlapping(start, start + count):
            if event.kind == "speech":
                audio, target = self.clip(event.text), voice
            else:
                audio, target = cues.sound(event.kind, event.length), sounds
            lo, hi = max(event.start, start), min(event.start + len(audio), start + count)
            if hi > lo:
                target[lo - start : hi - start] += audio[lo - event.start : hi - event.start]
        music = self.music.render(start, count)
        music *= (self.music_gain(self.duck(start, count), lead, kept) * self.fades(start, count))[:, None]
        sounds *= self.cue_gain(count, lead, kept)
        return Stems(voice, music, sounds)

    # -- the mix -------------------------------------------------------------------------

    def parts(self, start: int, count: int) -> Stems:
        """The block's stems after the peak guard, so that they add up to ``mix``."""
        lo = max(0, start - GUARD_CONTEXT)
        wide = self.stems(lo, start + count + GUARD_CONTEXT - lo, lead=start - lo, kept=count)
        gain = guard_gain_of(wide.mix())
        cut = slice(start - lo, start - lo + count)
        part = Stems(wide.voice[cut], wide.music[cut], wide.cues[cut])
        return part if gain is None else part.scaled(gain[cut])

    def mix(self, start: int, count: int) -> np.ndarray:
        """The finished samples ``[start, start + count)`` as float32 (count, 2)."""
        return self.parts(start, count).mix()

    def blocks(self, start: int, end: int, size: int = BLOCK) -> Iterable[np.ndarray]:
        for at in range(start, end, size):
            yield self.mix(at, min(size, end - at))


def guard_gain_of(mixed: np.ndarray) -> np.ndarray | None:
    """The peak guard's gain over a stretch of mix, or None where it does nothing (almost
    always: it acts only where the sample peak comes within 0.3 dB of ``levels.MIX_CEILING``).
    Its gain at a sample depends only on the mix within ``GUARD_CONTEXT`` samples."""
    if max(float(mixed.max(initial=0.0)), -float(mixed.min(initial=0.0))) <= levels.gain(levels.MIX_CEILING - 0.3):
        return None
    ceiling = levels.MIX_CEILING
    gain: np.ndarray = np.minimum(guard_gain(mixed[:, 0], ceiling), guard_gain(mixed[:, 1], ceiling))
    return gain.astype(np.float32)
