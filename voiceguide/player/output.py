"""The sound device behind a small interface, with simpleaudio as its one backend.

simpleaudio has no pause and no position: ``start`` plays a buffer from its first byte,
``stop`` ends it (after the device drains what it holds), and the player keeps time itself.
Each sound plays on a thread of simpleaudio's own, which frees its memory without the GIL:
the interpreter must run on the C allocator (``voiceguide.launch``), and ``close`` waits for
those threads before the process ends.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from voiceguide.errors import PlaybackError
from voiceguide.launch import pymalloc_on

NO_DEVICE = (
    "no sound device could be opened ({detail}); `voiceguide export` writes files that play anywhere without one"
)


class Output(Protocol):
    def start(self, data: memoryview, position: int) -> None:
        """Play ``data`` (int16 stereo) from its first frame, which is session sample ``position``.
        Raises PlaybackError when there is no usable device."""
        ...

    def stop(self) -> None: ...

    def busy(self) -> bool:
        """Still playing or draining."""
        ...

    def cue(self, sound: np.ndarray) -> None:
        """Play a short int16 stereo sound alongside (pause and resume marks)."""
        ...

    def close(self) -> None:
        """Stop every sound and wait until the device has let go of them all."""
        ...


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """ALSA prints its own complaints on file descriptor 2; one clear line is ours to give."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class SimpleaudioOutput:
    """Needs the interpreter on the C allocator (see ``voiceguide.launch``): under pymalloc,
    simpleaudio's threads corrupt the heap now and then, so it refuses to start there."""

    def __init__(self, sample_rate: int = 44100) -> None:
        if pymalloc_on():
            raise PlaybackError(
                "simpleaudio needs Python's C allocator: start Python with PYTHONMALLOC=malloc "
                "(the voiceguide command does this itself)"
            )
        try:
            import simpleaudio
        except ImportError as exc:  # pragma: no cover - a broken install
            raise PlaybackError(NO_DEVICE.format(detail=f"simpleaudio is not installed: {exc}")) from None
        self._sa = simpleaudio
        self.sample_rate = sample_rate
        self._play: object | None = None
        self._live: list[object] = []  # every sound whose device thread may still run

    def _open(self, data: object) -> object:
        self._live = [p for p in self._live if p.is_playing()]  # type: ignore[attr-defined]
        try:
            with _quiet_stderr():
                play = self._sa.play_buffer(data, 2, 2, self.sample_rate)
        except Exception as exc:  # simpleaudio raises its own error type for device problems
            detail = str(exc).split(" -- CODE")[0].strip() or type(exc).__name__
            raise PlaybackError(NO_DEVICE.format(detail=detail)) from None
        self._live.append(play)
        return play

    def start(self, data: memoryview, position: int) -> None:
        self._play = self._open(data)

    def stop(self) -> None:
        if self._play is not None:
            self._play.stop()  # type: ignore[attr-defined]

    def busy(self) -> bool:
        return bool(self._play is not None and self._play.is_playing())  # type: ignore[attr-defined]

    def cue(self, sound: np.ndarray) -> None:
        self._open(np.ascontiguousarray(sound, dtype=np.int16).tobytes())

    def close(self, wait: float = 2.0) -> None:
        """Each sound runs on a thread of simpleaudio's own, which drains the device, closes
        it and frees its memory after ``stop``. A process that ends under one of them can
        crash inside ALSA, so this waits (a fraction of a second) for them all."""
        for play in self._live:
            play.stop()  # type: ignore[attr-defined]
        deadline = time.monotonic() + wait
        while any(p.is_playing() for p in self._live) and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)
        self._live = [p for p in self._live if p.is_playing()]  # type: ignore[attr-defined]
