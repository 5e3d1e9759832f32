"""A user's own music file as the background: decoded by ffmpeg, looped with a crossfade.

Short files live in memory; long ones are streamed (a 3-hour file is never loaded whole).
The level is set from the first minute so the music sits where generated music does.
The loop: the file plays to ``period = duration - crossfade``; each later pass starts with
its head fading in over the previous pass's tail fading out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from voiceguide import levels
from voiceguide.errors import UsageError
from voiceguide.ffmpeg import decode, probe, read_all
from voiceguide.loudness import Meter
from voiceguide.samples import SAMPLE_RATE

IN_MEMORY_SECONDS = 90.0
MEASURE_SECONDS = 60.0
MAX_CROSSFADE = 3.0
MIN_SECONDS = 0.2
KEEP = 4 * SAMPLE_RATE  # decoded samples kept for the mixer's overlapping requests


class FileMusic:
    def __init__(self, path: Path) -> None:
        self.path = path
        info = probe(path)
        self.title = info.title
        if info.duration <= 0 and info.sample_rate == 0:
            raise UsageError(f"{path}: the file holds no audio")
        short = info.duration <= IN_MEMORY_SECONDS
        head = read_all(path, IN_MEMORY_SECONDS if short else MEASURE_SECONDS)
        if len(head) < MIN_SECONDS * SAMPLE_RATE:
            raise UsageError(f"{path}: the file holds less than {MIN_SECONDS:g} s of audio; use a longer file")
        self.data: np.ndarray | None = head if short else None
        self.length = len(head) if short else int(info.duration * SAMPLE_RATE)
        self.fade = int(min(MAX_CROSSFADE, self.length / SAMPLE_RATE / 4) * SAMPLE_RATE)
        self.period = self.length - self.fade
        self._stream: Iterator[np.ndarray] | None = None
        self._window_at = -1  # the stream's recent samples: [_window_at, _window_at + len(_window))
        self._window = np.zeros((0, 2), np.float32)
        self.head = head[: self.fade].copy()
        self.tail = self._read(self.period, self.fade) if not short else head[self.period : self.length].copy()
        self.gain = self._level(head[: int(MEASURE_SECONDS * SAMPLE_RATE)])
        t = np.linspace(0, np.pi / 2, self.fade, endpoint=False) if self.fade else np.zeros(0)
        self._in = np.sin(t)[:, None].astype(np.float32) ** 2
        self._out = np.cos(t)[:, None].astype(np.float32) ** 2

    @staticmethod
    def _level(sample: np.ndarray) -> float:
        meter = Meter(SAMPLE_RATE, 2)
        for at in range(0, len(sample), SAMPLE_RATE):  # a second at a time: little memory in flight
            meter.add(sample[at : at + SAMPLE_RATE])
        loudness = meter.integrated()
        if loudness < -70:
            return 1.0
        return min(levels.gain(30), levels.gain(levels.MUSIC_LOUDNESS - loudness))

    def render(self, start: int, count: int) -> np.ndarray:
        out = np.zeros((count, 2), np.float32)
        pos = start
        while pos < start + count:
            lap, u = divmod(pos, self.period)
            take = min(start + count - pos, self.period - u)
            if u < self.fade:
                take = min(take, self.fade - u)
                piece = self.head[u : u + take] * self._in[u : u + take] if lap else self.head[u : u + take]
                if lap:
                    piece = piece + self.tail[u : u + take] * self._out[u : u + take]
            else:
                piece = self._read(u, take)
            out[pos - start : pos - start + take] = piece
            pos += take
        return out * np.float32(self.gain)

    def _read(self, at: int, count: int) -> np.ndarray:
        """``count`` samples of the file from sample ``at``: from memory, or streamed.

        The mixer asks for overlapping stretches (each block with a little context on both
        sides), so the last few seconds decoded are kept, and ffmpeg is restarted only for a
        real jump (a seek in the player)."""
        if self.data is not None:
            return self.data[at : at + count]
        end = self._window_at + len(self._window)
        if not self._window_at <= at <= end:
            self._stream = decode(self.path, start=at / SAMPLE_RATE)
            self._window_at, self._window = at, np.zeros((0, 2), np.float32)
            end = at
        parts = [self._window]
        while end < at + count:
            assert self._stream is not None
            part = next(self._stream, None)
            if part is None:  # the file ended early (its stated duration was long): silence
                part = np.zeros((at + count - end, 2), np.float32)
            parts.append(part)
            end += len(part)
        window = np.concatenate(parts) if len(parts) > 1 else self._window
        drop = max(0, len(window) - KEEP)  # what is left still covers the request: it ends at most a part later
        self._window_at, self._window = self._window_at + drop, window[drop:]
        offset = at - self._window_at
        return self._window[offset : offset + count]
