"""The default output: a PortAudio callback stream through sounddevice.

The stream asks for each block when the device wants it, and tells the callback when that
block's first frame will reach the listener (``outputBufferDacTime``, on the stream's own
clock). ``heard`` reads the stream's clock now and counts back from the newest block, so the
position follows the device, not a guess.

The callback thread asks for round-robin scheduling where the system allows it (see
``raise_priority``); where it is refused, the 0.2 s buffer still rides out ordinary load. (A
0.1 s buffer, tried for a quicker pause, let the sound server run dry for 12 to 19 ms now and
then while the test suite ran, where neither PortAudio nor the device's clock could tell.)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from voiceguide.errors import PlaybackError
from voiceguide.player.output import NO_DEVICE, Fill
from voiceguide.player.system import quiet_stderr, raise_priority, silence_alsa

DRY_SLACK = 0.01  # seconds the device's clock may run past its last frame before it counts as dry
LATENCY = 0.2  # seconds of buffer the stream asks for: short enough to answer keys, long enough for a busy machine


class SounddeviceOutput:
    name = "sounddevice"

    def __init__(self, sample_rate: int = 44100) -> None:
        self.sample_rate = sample_rate
        self._stream: Any = None
        self._lock = threading.Lock()
        self._handed = 0
        self._newest: tuple[int, float] | None = None  # (first frame of the newest block, its DAC time)
        self._prioritised = False
        self._frozen: int | None = None
        self._drained: float | None = None  # when the device will have played all it was handed
        self.dropouts: list[int] = []  # frames handed over just after the device ran dry (the machine was busy)
        # Handed each block after the fill, with the time its first frame is heard; it may change
        # the block (a listener's echo canceller keeps it as its far end, and ducks it).
        self.tap: Callable[[np.ndarray, float], None] | None = None

    def open(self, fill: Fill) -> None:
        silence_alsa()
        try:
            with quiet_stderr():
                import sounddevice
        except (ImportError, OSError) as exc:  # OSError: the PortAudio library is missing
            raise PlaybackError(
                NO_DEVICE.format(detail=f"PortAudio is not available: {exc}; on Debian, install libportaudio2")
            ) from None

        def callback(outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
            if not self._prioritised:
                self._prioritised = True
                raise_priority()
            # The device ran dry if it says so, or if this block was asked for after the device
            # had played everything handed over before (its own clock; ALSA's pulse plugin does
            # not always say so).
            dac, now = float(time.outputBufferDacTime), float(time.currentTime)
            if status.output_underflow or (self._drained is not None and now > self._drained + DRY_SLACK):
                self.dropouts.append(self._handed)
            fill(outdata)
            if self.tap is not None:
                self.tap(outdata, dac)
            self._drained = dac + frames / self.sample_rate if dac > 0 and now > 0 else None
            with self._lock:
                self._newest = (self._handed, dac)
                self._handed += frames

        try:
            with quiet_stderr():
                # The device's buffer starts full of the session, not of silence: otherwise the
                # first sound waits a whole buffer (LATENCY) behind PortAudio's zeros.
                self._stream = sounddevice.OutputStream(
                    samplerate=self.sample_rate, channels=2, dtype="float32", latency=LATENCY, callback=callback,
                    prime_output_buffers_using_stream_callback=True,
                )  # fmt: skip
                self._stream.start()
        except Exception as exc:  # PortAudioError, or ValueError for a missing default device
            self._stream = None
            detail = str(exc).strip() or type(exc).__name__
            raise PlaybackError(NO_DEVICE.format(detail=detail)) from None

    def heard(self) -> int:
        if self._frozen is not None:  # cut or closed: what was heard then is all there is
            return self._frozen
        stream = self._stream
        if stream is None:
            return 0
        with self._lock:
            newest, handed = self._newest, self._handed
        if newest is None:
            return 0
        first, dac = newest
        try:
            now = float(stream.time)
        except Exception:  # the stream has gone (closed under us): nothing more is heard
            return handed
        if dac > 0 and now > 0:
            at = first + int((now - dac) * self.sample_rate)
        else:  # a host without timing: everything handed over less the buffer
            at = handed - int(self.latency() * self.sample_rate)
        return max(0, min(at, handed))

    def latency(self) -> float:
        return float(self._stream.latency) if self._stream is not None else LATENCY

    def cut(self) -> None:
        if self._stream is not None:
            self._frozen = self.heard()
            with contextlib.suppress(Exception):
                self._stream.abort()

    def close(self) -> None:
        if self._frozen is None:
            self._frozen = self.heard()
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.abort()
            with contextlib.suppress(Exception):
                stream.close()
