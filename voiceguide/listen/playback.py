"""The session's sound as the device plays it: the echo canceller's far end, and the duck.

``Playback`` is a tap on the output's callback (``SounddeviceOutput.tap``): it is handed every block
the device is given, after volume and marks, with the time its first frame reaches the listener
(``outputBufferDacTime``, on PortAudio's clock). It first applies the duck (the session lowered
about 20 dB while someone speaks over it, ramped so it never clicks), then keeps a few seconds of
what is left, in mono, stamped with those times.

The canceller reads the far end as one unbroken stream at the microphone's 16 kHz: ``index_at(time)``
says which of its samples the device played at ``time``, and ``read(index, count)`` gives them. The
device's times jitter by milliseconds from block to block (a sound server's more), so ``index_at``
takes the median over the last blocks; and ``read`` always resamples from the same phase, so reading
on from where the last read ended is seamless, sample for sample (an adaptive filter fed a far end
that jumps a few samples now and then never converges).

The tap runs on the device's thread: it only multiplies, averages and copies.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

RATE = 16000
KEEP = 8.0  # seconds of playback kept
DUCK_DB = -20.0  # how far the session is lowered while someone speaks over it
RAMP = 0.08  # seconds the duck takes to go down or come back: no click
DUCK_LONGEST = 3.0  # seconds: a duck nobody ends (the speech was not a command) ends by itself
ANCHORS = 31  # blocks whose times the mapping from time to sample is the median of


class Playback:
    """A tap for the output's callback: ducks, and remembers what the device played and when."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        ratio = Fraction(RATE, sample_rate).limit_denominator(1000)
        self._up, self._down = ratio.numerator, ratio.denominator
        # Whole resampling periods (``down`` frames each) read either side of a stretch, so the
        # resampler's filter (ten input samples either side of each output, per its ratio) has no edge.
        self._margin = -(-10 * max(self._up, self._down) // (self._up * self._down)) + 1
        self._ring = np.zeros(int(KEEP * sample_rate), np.float32)
        self._lock = threading.Lock()
        self._written = 0  # frames written in all
        self._anchors: deque[float] = deque(maxlen=ANCHORS)  # frame count less DAC time in frames, per block
        self._gain = 1.0
        self._target = 1.0
        self._duck_until = 0.0  # DAC time at which a duck nobody ended comes back
        self._step = 1.0 / max(1, int(RAMP * sample_rate))
        self.low = 10 ** (DUCK_DB / 20)
        self.ducks = 0  # times the session was ducked

    # -- the listener's side ---------------------------------------------------------------

    def duck(self) -> None:
        """Lower the session (from the next block the device takes), for at most ``DUCK_LONGEST``."""
        with self._lock:
            if self._target == 1.0:
                self.ducks += 1
            self._target = self.low
            self._duck_until = math.inf  # set from the device's clock on the next block

    def restore(self) -> None:
        """Bring the session back up."""
        with self._lock:
            self._target = 1.0

    @property
    def ducked(self) -> bool:
        return self._target != 1.0

    @property
    def gain(self) -> float:
        """The duck's gain on the block the device took last (1.0 when not ducked)."""
        return self._gain

    def index_at(self, time: float) -> int | None:
        """The 16 kHz sample of the far end that the device played at ``time`` (PortAudio's
        clock); None before the device has played anything."""
        with self._lock:
            if not self._anchors:
                return None
            frame = time * self.sample_rate + float(np.median(self._anchors))
        return int(round(frame * self._up / self._down))

    def read(self, index: int, count: int) -> np.ndarray:
        """``count`` samples at 16 kHz of the far end from sample ``index`` on, silence where the
        device played nothing (or what it played is no longer kept)."""
        up, down, margin = self._up, self._down, self._margin
        start = index // up - margin  # whole resampling periods: every read has the same phase
        skip, first = index - start * up, start * down
        wanted = np.zeros((-(-(skip + count) // up) + margin) * down, np.float32)
        with self._lock:
            written = self._written
            lo, hi = max(first, written - len(self._ring), 0), min(first + len(wanted), written)
            if hi > lo:
                index_ring = np.arange(lo, hi) % len(self._ring)
                wanted[lo - first : hi - first] = self._ring[index_ring]
        if up == down == 1:
            return wanted[skip : skip + count].copy()
        resampled = resample_poly(wanted, up, down).astype(np.float32)
        out = resampled[skip : skip + count]
        return out if len(out) == count else np.pad(out, (0, count - len(out)))

    def at(self, time: float, count: int) -> np.ndarray | None:
        """``count`` samples at 16 kHz of what the device played from ``time`` on; None before
        the device has played anything."""
        index = self.index_at(time)
        return None if index is None else self.read(index, count)

    # -- the device's side -----------------------------------------------------------------

    def __call__(self, out: np.ndarray, dac_time: float) -> None:
        """The output's tap: duck ``out`` in place, then keep it (the device plays ``out[0]`` at
        ``dac_time``)."""
        with self._lock:
            if self._target != 1.0 and self._duck_until == math.inf:
                self._duck_until = dac_time + DUCK_LONGEST
            elif self._target != 1.0 and dac_time > self._duck_until:
                self._target = 1.0
            n = len(out)
            if self._gain != self._target or self._gain != 1.0:
                direction = 1.0 if self._target > self._gain else -1.0
                steps = self._gain + direction * self._step * np.arange(1, n + 1, dtype=np.float32)
                env = np.minimum(steps, self._target) if direction > 0 else np.maximum(steps, self._target)
                self._gain = float(env[-1])
                out *= env[:, None] if out.ndim == 2 else env
            mono = out.mean(axis=1) if out.ndim == 2 else out
            index = np.arange(self._written, self._written + n) % len(self._ring)
            self._ring[index] = mono
            self._anchors.append(self._written - dac_time * self.sample_rate)
            self._written += n
