"""The microphone: the default input device through PortAudio (sounddevice), 16 kHz mono float32.

PortAudio's callback copies each block into a queue, with whether the session's own voice was
speaking when the block was captured; the listener's thread takes them from there, so a slow
recognition never loses sound. ``ArrayFeed`` gives the same blocks from an array, as fast as the
listener takes them (or at the pace of real time), for tests and benchmarks.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from voiceguide.errors import ListenError

RATE = 16000
BLOCK = 512  # samples: 32 ms, the detector's frame

Block = tuple[np.ndarray, bool]  # (16 kHz float32 mono samples, the session's voice was speaking)


class Source(Protocol):
    """Where the listener's sound comes from."""

    name: str
    captured_at: float  # when the block last handed over was captured, in seconds of the source's clock

    def open(self, muted: Callable[[], bool]) -> None:
        """Start capturing; ``muted()`` is asked once per block, at the time it is captured."""
        ...

    def blocks(self) -> Iterator[Block]:
        """The captured blocks, in order, until ``close`` (or the end of the source)."""
        ...

    def close(self) -> None: ...


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise ListenError(
            "sounddevice is not installed, so there is no microphone; "
            "run `make setup` or pip install 'voiceguide[listen]'"
        ) from None
    except OSError:
        raise ListenError("PortAudio is missing, so there is no microphone; install libportaudio2 (apt)") from None
    return sounddevice


def _asked(muted: Callable[[], bool]) -> bool:
    try:
        return bool(muted())
    except Exception:  # a broken probe must not stop capture; hearing nothing is the safe side
        return True


class Microphone:
    """The default capture device (or ``device``, a PortAudio name or index)."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self.name = "microphone"
        self._queue: queue.Queue[tuple[np.ndarray, bool, float]] = queue.Queue()
        self._stream: Any = None
        self.captured_at = 0.0  # when the block last handed over was captured (PortAudio's clock, seconds)
        self._closed = threading.Event()

    def open(self, muted: Callable[[], bool]) -> None:
        sd = _sounddevice()

        def callback(indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
            self._queue.put((indata[:, 0].copy(), _asked(muted), float(when.inputBufferAdcTime)))

        try:
            info = sd.query_devices(self.device, kind="input")
            self.name = str(info["name"])
            self._stream = sd.InputStream(
                samplerate=RATE,
                blocksize=BLOCK,
                device=self.device,
                channels=1,
                dtype="float32",
                callback=callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self.close()
            detail = str(exc).strip() or type(exc).__name__
            raise ListenError(
                f"no microphone to listen with ({detail}); connect one or check the sound settings"
            ) from None

    @property
    def behind(self) -> float:
        """Seconds of captured sound still waiting to be handed over (the listener fell behind:
        it was loading its model, or a busy machine kept it from its work)."""
        return self._queue.qsize() * BLOCK / RATE

    def blocks(self) -> Iterator[Block]:
        while not self._closed.is_set():
            try:
                samples, muted, self.captured_at = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._stream is not None and not self._stream.active and not self._closed.is_set():
                    raise ListenError("the microphone stopped delivering sound") from None
                continue
            yield samples, muted

    def close(self) -> None:
        self._closed.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # closing a lost device may fail; there is nothing left to release
                pass


class ArrayFeed:
    """An array heard as if by the microphone: 16 kHz mono, in ``BLOCK``-sample blocks.

    ``position`` is the first sample of the block being handed over, so ``muted`` can look up the
    stream's own time. ``pace`` 1.0 hands blocks over in real time; None as fast as they are taken.
    """

    def __init__(self, samples: np.ndarray, pace: float | None = None, name: str = "array") -> None:
        self.samples = np.asarray(samples, np.float32).reshape(-1)
        self.pace = pace
        self.name = name
        self.position = 0
        self.captured_at = 0.0  # the block's first sample, in seconds of the array (its clock)
        self._muted: Callable[[], bool] = lambda: False
        self._closed = threading.Event()

    def open(self, muted: Callable[[], bool]) -> None:
        self._muted = muted

    def blocks(self) -> Iterator[Block]:
        started = time.monotonic()
        for start in range(0, len(self.samples), BLOCK):
            if self._closed.is_set():
                return
            self.position = start
            self.captured_at = start / RATE
            if self.pace:
                wait = started + (start + BLOCK) / RATE / self.pace - time.monotonic()
                if wait > 0:
                    self._closed.wait(wait)
            yield self.samples[start : start + BLOCK], _asked(self._muted)
        self.position = len(self.samples)

    def close(self) -> None:
        self._closed.set()
