"""Background music, generated from a seed: any length, no loop, soft, and random-access.

Music is built by overlap-adding chunks made in the frequency domain. Chunk ``j`` covers
samples ``[j*HOP, j*HOP + SIZE)`` and depends only on (mood, seed, j), so any stretch of
music can be rendered on its own and comes out identical to a render from the start. That
is what lets the player skip and resume anywhere and still play exactly what ``render``
writes.

- Tonal layers put partials on FFT bins with phases that advance exactly one hop per
  chunk, so a held note continues seamlessly (Hann windows at 50 % overlap sum to one).
- Noise layers use random spectra under sqrt-Hann windows (their powers sum to one).
- Amplitudes move per chunk (every 0.74 s) and the windows interpolate between chunks, so
  nothing starts or stops suddenly: there are no transients by construction.

Moods: ``warm`` (a pad with slow chord changes), ``waves`` (filtered noise that swells and
recedes like surf), ``bowls`` (singing bowls that bloom and ring out over a low drone).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import numpy as np

from voiceguide import levels
from voiceguide.errors import UsageError
from voiceguide.samples import SAMPLE_RATE

SIZE = 65536
HOP = SIZE // 2
BIN_HZ = SAMPLE_RATE / SIZE
MOODS = ("warm", "waves", "bowls")
DEFAULT_MOOD = "warm"
_CALIBRATION_SECONDS = 40.0

_HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(SIZE) / SIZE)).astype(np.float32)
_SQRT_HANN = np.sqrt(_HANN).astype(np.float32)


class Music(Protocol):
    """A source of stereo background music at ``levels.MUSIC_LOUDNESS``."""

    def render(self, start: int, count: int) -> np.ndarray:
        """Samples ``[start, start + count)`` as float32 of shape (count, 2)."""
        ...


class Silence:
    def render(self, start: int, count: int) -> np.ndarray:
        return np.zeros((count, 2), np.float32)


def _rng(*parts: int) -> np.random.Generator:
    return np.random.default_rng([p & 0xFFFFFFFF for p in parts])


class Generated:
    """Overlap-add engine; a mood supplies each chunk's tonal and noise spectra."""

    UNIT_LOUDNESS = 0.0  # LUFS of the mood at gain 1, the mean over many seeds (see calibrate())

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._chunks: OrderedDict[int, np.ndarray] = OrderedDict()
        self.gain = levels.gain(levels.MUSIC_LOUDNESS - self.UNIT_LOUDNESS)

    # A mood implements these two; each returns a (2, SIZE // 2 + 1) complex array or None.
    def tonal(self, j: int, t: float) -> np.ndarray | None:
        return None

    def noise(self, j: int, t: float) -> np.ndarray | None:
        return None

    def chunk(self, j: int) -> np.ndarray:
        if j in self._chunks:
            self._chunks.move_to_end(j)
            return self._chunks[j]
        t = (j * HOP + SIZE / 2) / SAMPLE_RATE  # the chunk's centre, in seconds
        out = np.zeros((2, SIZE), np.float32)
        tonal = self.tonal(j, t)
        if tonal is not None:
            out += np.fft.irfft(tonal, SIZE, axis=1).astype(np.float32) * _HANN
        noisy = self.noise(j, t)
        if noisy is not None:
            out += np.fft.irfft(noisy, SIZE, axis=1).astype(np.float32) * _SQRT_HANN
        out *= self.gain
        self._chunks[j] = out
        if len(self._chunks) > 6:
            self._chunks.popitem(last=False)
        return out

    def render(self, start: int, count: int) -> np.ndarray:
        out = np.zeros((count, 2), np.float32)
        first = (start - SIZE) // HOP + 1
        last = (start + count - 1) // HOP
        for j in range(first, last + 1):
            lo = max(start, j * HOP)
            hi = min(start + count, j * HOP + SIZE)
            if hi > lo:
                out[lo - start : hi - start] += self.chunk(j)[:, lo - j * HOP : hi - j * HOP].T
        return out

    @classmethod
    def calibrate(cls, seeds: range = range(1, 13), seconds: float = 40.0) -> float:
        """Measure ``UNIT_LOUDNESS``: the mood's mean loudness at gain 1 over several seeds.
        Run by hand when a mood changes; tests/test_sounds.py checks the stored value."""
        from voiceguide.loudness import Meter

        results = []
        total = int(seconds * SAMPLE_RATE)
        for seed in seeds:
            music = cls(seed)
            music.gain = 1.0
            meter = Meter(SAMPLE_RATE, 2)
            for start in range(0, total, HOP):
                meter.add(music.render(start, min(HOP, total - start)))
            results.append(meter.integrated())
        return float(np.mean(results))

    # -- helpers for moods ---------------------------------------------------------------

    def partials(self, j: int, components: list[tuple[float, float, int]]) -> np.ndarray:
        """A tonal spectrum: (frequency Hz, amplitude, channel or -1 for both) per partial.

        Each partial sits on the nearest bin with a fixed starting phase (a hash of the seed,
        the bin and the channel) advanced by exactly one hop per chunk, so held notes
        continue from chunk to chunk without a seam."""
        spec = np.zeros((2, SIZE // 2 + 1), np.complex64)
        if not components:
            return spec
        table = np.asarray(components, dtype=np.float64)
        bins = np.rint(table[:, 0] / BIN_HZ).astype(np.int64)
        amps = table[:, 1]
        channels = table[:, 2].astype(np.int64)
        both = channels < 0
        bins = np.concatenate([bins[~both], bins[both], bins[both]])
        amps = np.concatenate([amps[~both], amps[both], amps[both]])
        chans = np.concatenate([channels[~both], np.zeros(both.sum(), np.int64), np.ones(both.sum(), np.int64)])
        keep = (bins > 0) & (bins < SIZE // 2) & (amps > 0)
        bins, amps, chans = bins[keep], amps[keep], chans[keep]
        mixed = (bins * 2654435761 + chans * 40503 + (self.seed & 0xFFFF) * 2246822519) % 4294967296
        phase = mixed / 4294967296.0 * 2 * np.pi + np.pi * ((bins * j) % 2)
        np.add.at(spec, (chans, bins), (amps * (SIZE / 2) * np.exp(1j * phase)).astype(np.complex64))
        return spec


def _smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


class WarmPad(Generated):
    """Slow chords on soft, slightly detuned partials."""

    UNIT_LOUDNESS = 4.38
    PERIOD = 16.0  # seconds per chord
    FADE = 5.0  # seconds of crossfade between chords
    # Chords as semitones above the key's root: I, vi, IV, V(sus), ii, IV(add9)
    CHORDS = ((0, 7, 12, 16), (-3, 4, 9, 12), (-7, 0, 5, 9), (-5, 2, 7, 14), (2, 9, 14, 17), (-7, 0, 7, 14))

    def __init__(self, seed: int) -> None:
        rng = _rng(seed, 101)
        self.root = 110.0 * 2 ** (int(rng.integers(0, 7)) / 12)  # A2 to D#3
        self._order: list[int] = [0]
        super().__init__(seed)

    def chord(self, k: int) -> int:
        while len(self._order) <= k:
            step = int(_rng(self.seed, 103, len(self._order)).integers(1, len(self.CHORDS)))
            self._order.append((self._order[-1] + step) % len(self.CHORDS))
        return self._order[k] if k >= 0 else 0

    def tonal(self, j: int, t: float) -> np.ndarray:
        k = int(t // self.PERIOD)
        into = t - k * self.PERIOD
        weights = {k: 1.0}
        if into < self.FADE and k > 0:
            w = _smooth(into / self.FADE)
            weights = {k - 1: 1 - w, k: w}
        notes: dict[float, float] = {}
        for idx, w in weights.items():
            for semis in self.CHORDS[self.chord(idx)]:
                f = self.root * 2 ** (semis / 12)
                notes[f] = notes.get(f, 0.0) + w
        components = []
        for f, w in notes.items():
            lfo = 0.8 + 0.2 * np.sin(2 * np.pi * t / (9.0 + (f % 5)) + f)
            for h in range(1, 6):
                amp = w * lfo * h**-1.7 * (1.0 if f * h < 900 else 0.4)
                components.append((f * h, amp, -1))
                components.append((f * h + BIN_HZ * (1 + h % 2), amp * 0.35, h % 2))  # slow chorus
        return self.partials(j, components)


class Waves(Generated):
    """Noise shaped like surf: each wave rolls in, brightens, and draws back."""

    UNIT_LOUDNESS = -6.29
    NOISE_TOP_HZ = 7000.0

    def __init__(self, seed: int) -> None:
        self._starts: list[float] = [0.0]
        freqs = np.arange(int(self.NOISE_TOP_HZ / BIN_HZ)) * BIN_HZ
        self._pink = (1.0 / np.sqrt(np.maximum(freqs, 30.0))).astype(np.float32)
        self._freqs = freqs.astype(np.float32)
        super().__init__(seed)

    def swell(self, t: float) -> float:
        """How far in the current wave is, 0 (drawn back) to 1 (breaking)."""
        while self._starts[-1] <= t + 20:
            n = len(self._starts)
            self._starts.append(self._starts[-1] + float(_rng(self.seed, 201, n).uniform(6.5, 11.0)))
        i = max(0, int(np.searchsorted(self._starts, t, side="right")) - 1)
        begin, end = self._starts[i], self._starts[i + 1]
        x = (t - begin) / (end - begin)
        height = 0.65 + 0.35 * float(_rng(self.seed, 202, i).random())
        return height * (_smooth(x / 0.4) if x < 0.4 else 1 - _smooth((x - 0.4) / 0.6))

    def noise(self, j: int, t: float) -> np.ndarray:
        s = self.swell(t)
        cutoff = 220.0 + 1100.0 * s
        shape = self._pink * np.float32(0.18 + s) / np.sqrt(1 + (self._freqs / np.float32(cutoff)) ** 4)
        shape[0] = 0
        rng = _rng(self.seed, 203, j)
        bins = len(self._freqs)  # above NOISE_TOP_HZ the surf is 30 dB down: left silent
        spec = np.zeros((2, SIZE // 2 + 1), np.complex64)
        spec[:, :bins] = rng.standard_normal((2, bins), np.float32) + 1j * rng.standard_normal((2, bins), np.float32)
        spec[:, :bins] *= shape * np.float32(SIZE / 8)
        return spec


class Bowls(Generated):
    """Singing bowls that bloom and ring out, over a low, quiet drone."""

    UNIT_LOUDNESS = -2.23
    RATIOS = ((1.0, 1.0, 16.0), (2.71, 0.45, 10.0), (5.05, 0.2, 6.0), (8.2, 0.08, 3.5))
    SCALE = (0, 2, 4, 7, 9, 12)  # a major pentatonic, plus the octave

    def __init__(self, seed: int) -> None:
        self.root = 196.0 * 2 ** (int(_rng(seed, 301).integers(0, 5)) / 12)
        self._strikes: list[float] = [1.0]
        super().__init__(seed)

    def strikes_near(self, t: float) -> list[int]:
        while self._strikes[-1] <= t + 5:
            n = len(self._strikes)
            self._strikes.append(self._strikes[-1] + float(_rng(self.seed, 302, n).uniform(7.0, 14.0)))
        return [i for i, s in enumerate(self._strikes) if s - 1.0 <= t < s + 60.0]

    def tonal(self, j: int, t: float) -> np.ndarray:
        components: list[tuple[float, float, int]] = [(self.root / 2, 0.25, -1), (self.root * 0.75, 0.12, -1)]
        for i in self.strikes_near(t):
            rng = _rng(self.seed, 303, i)
            f0 = self.root * 2 ** (self.SCALE[int(rng.integers(0, len(self.SCALE)))] / 12)
            loud = float(rng.uniform(0.6, 1.0))
            age = t - self._strikes[i]
            bloom = _smooth((age + 1.0) / 2.0)
            for ratio, amp, decay in self.RATIOS:
                a = loud * amp * bloom * np.exp(-max(age, 0.0) / decay)
                components.append((f0 * ratio, a, -1))
                components.append((f0 * ratio + BIN_HZ, a * 0.6, int(rng.integers(0, 2))))  # beating pair
        return self.partials(j, components)


def open_music(choice: str | None, seed: int) -> Music:
    """``warm``, ``waves``, ``bowls``, ``none``, or a path to a sound file."""
    name = choice or DEFAULT_MOOD
    if name == "none":
        return Silence()
    moods: dict[str, type[Generated]] = {"warm": WarmPad, "waves": Waves, "bowls": Bowls}
    if name in moods:
        return moods[name](seed)
    from pathlib import Path

    from voiceguide.sounds.filemusic import FileMusic

    path = Path(name)
    if not path.is_file():
        raise UsageError(f"--music {name}: not a mood ({', '.join(MOODS)}, none) and no such file")
    return FileMusic(path)
