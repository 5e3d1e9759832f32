"""The tape: int16 stereo samples in an anonymous memory map, which the sound device reads
while the player writes ahead of it.

simpleaudio plays straight from the buffer it is given, without a copy, so the player hands
it a view of the tape and keeps writing the samples just ahead of where it reads. Pages
behind the reading point are given back to the system, so memory stays flat however long
the session is.
"""

from __future__ import annotations

import contextlib
import mmap

import numpy as np

FRAME_BYTES = 4  # int16 stereo


class Tape:
    """Frames ``[origin, origin + frames)`` of a session."""

    def __init__(self, origin: int, frames: int) -> None:
        self.origin = origin
        self.frames = frames
        self._map = mmap.mmap(-1, max(1, frames) * FRAME_BYTES)
        self._samples: np.ndarray | None = np.frombuffer(self._map, dtype=np.int16).reshape(-1, 2)
        self._released = 0

    @property
    def end(self) -> int:
        return self.origin + self.frames

    def covers(self, start: int, count: int = 1) -> bool:
        return self.origin <= start and start + count <= self.end

    def view(self, position: int) -> memoryview:
        """The bytes from ``position`` to the end of the tape, for the device to read."""
        return memoryview(self._map)[(position - self.origin) * FRAME_BYTES :]

    def write(self, position: int, block: np.ndarray) -> None:
        assert self._samples is not None
        at = position - self.origin
        self._samples[at : at + len(block)] = block

    def read(self, position: int, count: int) -> np.ndarray:
        assert self._samples is not None
        at = position - self.origin
        return self._samples[at : at + count].copy()

    def silence(self, start: int, end: int) -> None:
        """Zeros over frames ``[start, end)`` (as far as the tape holds them)."""
        if self._samples is not None:
            lo, hi = max(start, self.origin) - self.origin, min(end, self.end) - self.origin
            if hi > lo:
                self._samples[lo:hi] = 0

    def release(self, before: int) -> None:
        """Give back the memory of frames before ``before`` (they read as silence after)."""
        upto = (before - self.origin) * FRAME_BYTES // mmap.PAGESIZE * mmap.PAGESIZE
        if upto > self._released:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self._map.madvise(mmap.MADV_DONTNEED, self._released, upto - self._released)
            self._released = upto

    def close(self) -> None:
        self._samples = None
        with contextlib.suppress(BufferError):
            self._map.close()
