"""The microphone with the session's echo taken out: a source the listener hears all the time.

Each block the microphone captured at time t (PortAudio's clock) meets what the device played at
t - delay (``Playback.at``) in the canceller. The timestamps put the two within a few milliseconds
of each other where the output and the microphone share a clock; what is left (a virtual device's
latency, a clock that does not match) is found by correlation: every few seconds the last seconds
of the microphone are correlated (GCC-PHAT) with what was played, and the peak, when it stands
clear, is the delay. The canceller is handed the far end ``LEAD`` early, so a delay a little
longer than the estimate stays inside its filter.

Until the delay is confirmed and the canceller takes ``CONVERGED_DB`` of the echo away, the block
is marked muted whenever the session's voice speaks, so the listener is deaf then, as without a
canceller. After that, only a jump of the delay makes it start over.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import numpy as np

from voiceguide.listen.canceller import FRAME, Canceller, SpeexCanceller
from voiceguide.listen.microphone import Block, Source
from voiceguide.listen.playback import Playback

RATE = 16000
WINDOW = 3.0  # seconds of microphone correlated with the playback
CHECK = 2.0  # seconds between delay checks
LATEST = 0.5  # seconds: the longest delay looked for beyond the timestamps
EARLIEST = 0.1  # seconds: how far the echo may seem to come before the timestamps say
LEAD = 0.04  # seconds the canceller's far end runs ahead of the estimated delay (more than STEADY lets it wander)
STEADY = (
    0.03  # seconds: the far end is read on without a seam unless the timestamps move more (their jitter is not a jump)
)
JUMP = 0.008  # seconds: a change of the delay beyond this starts the canceller over
CONVERGED_DB = (
    20.0  # echo taken away before the listener hears through the session's voice (Whisper hears a voice 10 dB down)
)
ACTIVE = 1e-5  # mean square of a far-end frame that counts as playing (-50 dBFS)
CLEAR = 6.0  # a correlation peak counts when it stands this many deviations above the rest


def gcc_delay(near: np.ndarray, far: np.ndarray) -> tuple[int, float]:
    """The lag (samples) at which ``near`` best matches ``far`` (``near[i]`` ~ ``far[i + lag]``,
    ``len(far) >= len(near)``) by phase-transform correlation, and how clearly (peak over the
    correlation's deviation)."""
    n = 1 << int(np.ceil(np.log2(len(far) + len(near))))
    spectrum = np.fft.rfft(far, n) * np.conj(np.fft.rfft(near, n))
    spectrum /= np.abs(spectrum) + 1e-12
    corr = np.fft.irfft(spectrum, n)[: len(far) - len(near) + 1]
    lag = int(np.argmax(corr))
    spread = float(np.std(corr)) or 1.0
    return lag, float((corr[lag] - np.mean(corr)) / spread)


class Cancelled:
    """``source`` (a microphone) less the echo of ``playback``, through ``canceller``."""

    def __init__(self, source: Source, playback: Playback, canceller: Canceller) -> None:
        self.source = source
        self.playback = playback
        self.canceller = canceller
        self.name = f"{source.name} (echo cancelled)"
        self.captured_at = 0.0
        self.delay: float | None = None  # seconds beyond the timestamps, once correlation found it
        self.converged = False
        self.checks = 0  # correlations run
        self.level = 0.0  # mean square of the last block after cancelling
        self.residual = 0.0  # mean square the echo leaves while the session plays (its loud tenth)
        self._window = int(WINDOW * RATE) // 512 + 1  # blocks
        self._history: deque[tuple[float, np.ndarray]] = deque(maxlen=self._window)
        self._next_check = 0.0
        self._candidate: float | None = None  # a different delay, found once
        self._resets = canceller.resets
        self._far_at = -1e9  # where the far end for the next block starts (PortAudio's clock)
        self._settle = int(1.0 * RATE / FRAME)  # frames of playback that show whether it converged
        self._since: deque[tuple[float, float]] = deque(maxlen=self._settle)  # (mic, out) while playing
        self._leftover: deque[float] = deque(maxlen=200)

    def open(self, muted: Callable[[], bool]) -> None:
        self.source.open(muted)

    def close(self) -> None:
        self.source.close()
        self.canceller.close()

    def blocks(self) -> Iterator[Block]:
        for block, speaking in self.source.blocks():
            t = self.source.captured_at
            self.captured_at = t
            self._history.append((t, block))
            if t >= self._next_check:
                self._next_check = t + CHECK
                self._check_delay(t + len(block) / RATE)
            out = self._cancel(block, t)
            self.level = float(np.mean(out**2))
            yield out, speaking and not self.converged

    def _cancel(self, block: np.ndarray, t: float) -> np.ndarray:
        delay = self.delay if self.delay is not None else 0.0
        wanted = t - (delay - LEAD)
        if abs(wanted - self._far_at) > STEADY:  # a timestamp's jitter is not a jump of the far end
            self._far_at = wanted
        far = self.playback.at(self._far_at, len(block))
        self._far_at += len(block) / RATE
        if far is None:
            return block
        out = np.empty_like(block)
        for i in range(0, len(block) - FRAME + 1, FRAME):
            near_frame, far_frame = block[i : i + FRAME], far[i : i + FRAME]
            out[i : i + FRAME] = self.canceller.cancel(near_frame, far_frame)
            if self.delay is not None and float(np.mean(far_frame**2)) > ACTIVE:
                mic, left = float(np.mean(near_frame**2)), float(np.mean(out[i : i + FRAME] ** 2))
                self._since.append((mic, left))
                self._leftover.append(left)
        self._update()
        return out

    def _update(self) -> None:
        if self.canceller.resets != self._resets:  # it started over: deaf through the voice till it learns again
            self._resets = self.canceller.resets
            self.converged = False
            self._since.clear()
        if self._leftover:
            self.residual = float(np.percentile(self._leftover, 90))
        if self.converged or len(self._since) < self._settle:
            return
        mic = sum(m for m, _ in self._since)
        left = sum(o for _, o in self._since) + 1e-12
        self.converged = bool(10 * np.log10(mic / left + 1e-12) >= CONVERGED_DB)

    def _check_delay(self, now: float) -> None:
        if len(self._history) < self._window:
            return
        start = self._history[0][0]
        near = np.concatenate([b for _, b in self._history])
        far = self.playback.at(start - LATEST, len(near) + int((LATEST + EARLIEST) * RATE))
        if far is None or float(np.mean(far**2)) < ACTIVE or float(np.mean(near**2)) < ACTIVE / 10:
            return
        self.checks += 1
        lag, clarity = gcc_delay(near, far)
        if clarity < CLEAR or lag in (0, len(far) - len(near)):  # at the range's edge: no peak, a slope
            return
        found = LATEST - lag / RATE
        if self.delay is not None and abs(found - self.delay) <= JUMP:
            self.delay, self._candidate = found, None
            return
        # A new delay counts once two checks in a row agree on it: one odd peak (the talker, a
        # quiet stretch of music) must not throw away what the canceller has learnt.
        candidate, self._candidate = self._candidate, found
        if self.delay is not None and (candidate is None or abs(found - candidate) > JUMP):
            return
        if self.delay is not None:
            self.canceller.reset()
        self.converged = False
        self._since.clear()
        self.delay, self._candidate = found, None


def hear_through(source: Source, sample_rate: int) -> tuple[Cancelled, Playback]:
    """``source`` through a new echo canceller, and the tap (at the session's ``sample_rate``) that
    feeds it and ducks. Raises ListenError, in one line, where no canceller can run."""
    canceller = SpeexCanceller()
    playback = Playback(sample_rate)
    return Cancelled(source, playback, canceller), playback
