"""The second output: simpleaudio, which plays a buffer from its first byte and reports no
position.

It gets the same interface as the callback stream: a thread of its own calls ``fill`` to keep
a tape (an anonymous memory map, see ``tape``) written ahead of the wall clock, and simpleaudio
plays the tape. ``heard`` is the wall clock less a fixed latency, an estimate that a stalled or
busy device can make wrong; that is why this is not the default.

The thread takes what the player has ready, up to ``AHEAD``, and writes silence only where
the tape is about to be played (``MUST`` ahead of the clock): a player still waiting for its
source, with the tape well ahead, is waited for rather than padded with a pause that would
move the rest of the session later.

simpleaudio 1.0.4 freed memory from its playback threads without Python's lock, which
corrupted the heap under pymalloc; simpleaudio-patched (the same module) allocates that
memory with the raw allocator and takes the lock to release Python objects, so it runs on any
allocator.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from voiceguide.errors import PlaybackError
from voiceguide.player.output import NO_DEVICE, Fill
from voiceguide.player.system import quiet_stderr, silence_alsa
from voiceguide.player.tape import Tape
from voiceguide.sinks import to_pcm16

AHEAD = 1.0  # seconds written ahead of the wall clock when the player has them: a busy machine may hold up this thread
START = 0.25  # seconds written before the tape starts playing (what the player queued first)
MUST = 0.2  # seconds: the tape never falls less far ahead of the clock (simpleaudio reads up to 0.1 s ahead)
LATENCY = 0.15  # seconds from the start of playing to the first sample heard (an estimate)
TAPE_SECONDS = 3600  # a tape holds an hour of stream; a longer one moves to a new tape
BLOCK = 1024
TICK = 0.01


class SimpleaudioOutput:
    name = "simpleaudio"

    def __init__(self, sample_rate: int = 44100) -> None:
        self.sample_rate = sample_rate
        self._sa: Any = None
        self._play: Any = None
        self._tape: Tape | None = None
        self._written = 0  # stream frames written to the tapes so far
        self._started = 0.0  # wall time at which the current tape started playing
        self._tape_start = 0  # stream frame at the start of the current tape
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._frozen: int | None = None
        self.dropouts: list[int] = []  # simpleaudio cannot tell when its device runs dry

    def open(self, fill: Fill) -> None:
        try:
            import simpleaudio
        except ImportError as exc:  # a broken install
            raise PlaybackError(NO_DEVICE.format(detail=f"simpleaudio is not installed: {exc}")) from None
        silence_alsa()
        self._sa = simpleaudio
        self._fill = fill
        self._new_tape()
        self._thread = threading.Thread(target=self._keep_ahead, name="voiceguide-simpleaudio", daemon=True)
        self._thread.start()

    def _new_tape(self) -> None:
        if self._tape is not None:
            self._tape.close()
        self._tape_start = self._written
        self._tape = Tape(self._written, TAPE_SECONDS * self.sample_rate)
        # As much as the player has ready now; the thread writes the rest as it comes.
        self._write_until(self._written + int(START * self.sample_rate), self._written + int(MUST * self.sample_rate))
        try:
            with quiet_stderr():
                self._play = self._sa.play_buffer(self._tape.view(self._tape_start), 2, 2, self.sample_rate)
        except Exception as exc:  # simpleaudio raises its own error type for device problems
            detail = str(exc).split(" -- CODE")[0].strip() or type(exc).__name__
            raise PlaybackError(NO_DEVICE.format(detail=detail)) from None
        self._started = time.monotonic()

    def _write_until(self, target: int, must: int) -> None:
        """Write what the player has ready up to stream frame ``target``, and up to ``must``
        whatever it has (silence where it has nothing: the device is about to play there)."""
        assert self._tape is not None
        block = np.zeros((BLOCK, 2), dtype=np.float32)
        while self._written < min(target, self._tape.end):
            part = block[: min(BLOCK, self._tape.end - self._written)]
            if self._written < must:
                count = len(part)
                self._fill(part)
            else:
                count = self._fill(part, partial=True)
                if not count:
                    return
            pcm = np.frombuffer(to_pcm16(part[:count]), dtype=np.int16).reshape(-1, 2)
            self._tape.write(self._written, pcm)
            with self._lock:
                self._written += count

    def _now(self) -> int:
        """The stream frame the wall clock has reached since the tape started."""
        return self._tape_start + int((time.monotonic() - self._started) * self.sample_rate)

    def _keep_ahead(self) -> None:
        while not self._stop.wait(TICK):
            assert self._tape is not None
            now = self._now()
            if self._written >= self._tape.end:
                if now >= self._tape.end:
                    self._new_tape()  # sessions over an hour: a new tape, after a brief dip
                continue
            self._write_until(now + int(AHEAD * self.sample_rate), now + int(MUST * self.sample_rate))
            self._tape.release(now - 10 * self.sample_rate)

    def heard(self) -> int:
        if self._frozen is not None:  # cut or closed: what was heard then is all there is
            return self._frozen
        if self._play is None:
            return 0
        at = self._now() - int(LATENCY * self.sample_rate)
        with self._lock:
            return max(self._tape_start, min(at, self._written))

    def latency(self) -> float:
        return LATENCY + AHEAD

    def cut(self) -> None:
        """simpleaudio plays out what ALSA holds once stopped; what it has not taken from the
        tape yet is silenced first, so only ALSA's own buffer (about 0.1 s) still sounds."""
        if self._frozen is None:
            self._frozen = self.heard()
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)  # it may be writing ahead; then nothing more is written
        if self._tape is not None:
            with self._lock:
                written = self._written
            self._tape.silence(self._frozen, written)
        if self._play is not None:
            self._play.stop()

    def close(self, wait: float = 2.0) -> None:
        """At the session's end (nothing was cut), what was written ahead plays out first: the
        clock's estimate of what was heard may run ahead of a device that started late, and a
        second of silence written after the end covers the difference. Then simpleaudio drains,
        closes and frees the device on a thread of its own after ``stop``; this waits (a fraction
        of a second) for it so the process ends cleanly."""
        if self._frozen is None and self._play is not None:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(wait)
            beyond = self._now() + int(AHEAD * self.sample_rate)
            self._write_until(beyond, beyond)
            with self._lock:
                written = self._written
            deadline = time.monotonic() + AHEAD + wait
            while self.heard() < written and time.monotonic() < deadline:
                time.sleep(0.01)
        self.cut()
        if self._thread is not None:
            self._thread.join(wait)
        deadline = time.monotonic() + wait
        while self._play is not None and self._play.is_playing() and time.monotonic() < deadline:
            time.sleep(0.01)
