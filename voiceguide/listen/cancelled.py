"""The microphone with the session's echo taken out: a source the listener hears all the time.

Each block the microphone captured at time t (PortAudio's clock) meets, in the canceller, what the
device played at t - delay, read from ``Playback`` as one unbroken stream: the timestamps say where
to start (and where to start again after an underrun or a stall, when they disagree by more than
``STEADY``), but their jitter of a few milliseconds never moves it, since a far end that jumps a
few samples now and then keeps an adaptive filter from ever converging. What the timestamps miss
(a virtual device's latency, a sound server's buffers) is found by correlation: every few seconds
the last seconds of the microphone are correlated (GCC-PHAT) with the far end handed with them;
the echo should come ``LEAD`` after it, and where it clearly does not (twice in a row), the far
end moves by exactly the difference. While only quiet music has played for a while, the
microphone passes untouched and the filter keeps what it learnt of the room.

Until the delay is confirmed and the canceller takes ``CONVERGED_DB`` of the echo away, the block
is marked muted whenever the session's voice speaks, so the listener is deaf then, as without a
canceller. After that, whatever may have put the far end out of step with the echo makes it
prove itself again: the timestamps moving it (a stall, or timestamps that jumped by themselves: a
busy sound server's did, by 30 ms, while the echo stayed put), a check moving it, or the filter
starting over (the echo moved, and no timestamp showed it). Until then, what it lets through of
the session's voice would be taken for someone speaking over it.
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
QUIET = 1e-3  # mean square (-30 dBFS): a far end under this for ``QUIET_FOR`` is only music, its echo no threat
VOICED = 0.3  # share of the far end's frames over QUIET (the voice speaking) a delay check needs
RECENT = 0.3  # seconds over which ``taken`` tells a talker (nothing taken away) from the echo
QUIET_FOR = 1.0  # seconds: the room still rings with what came before (its tail ducked the session, taken for a talker)
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
        self.taken = 0.0  # dB the canceller took away over the last ``RECENT`` seconds (the echo: much)
        self.speaking = False  # the session's voice sounded as the last block was captured
        self._window = int(WINDOW * RATE) // 512 + 1  # blocks
        self._history: deque[tuple[int | None, np.ndarray]] = deque(maxlen=self._window)  # (far index, near)
        self._next_check = 0.0
        self._candidate: float | None = None  # a different delay, found once
        self._resets = canceller.resets
        self._far: int | None = None  # the far end's sample (16 kHz) handed with the next block
        self._settle = int(1.0 * RATE / FRAME)  # frames of playback that show whether it converged
        self._since: deque[tuple[float, float]] = deque(maxlen=self._settle)  # (mic, out) while playing
        self._recent: deque[tuple[float, float]] = deque(maxlen=int(RECENT * RATE / FRAME))  # (mic, out)
        self._loud: deque[float] = deque(maxlen=int(QUIET_FOR * RATE / FRAME))  # far end's recent frames

    @property
    def behind(self) -> float:
        """Seconds of the microphone still waiting to be heard (``Microphone.behind``)."""
        return float(getattr(self.source, "behind", 0.0))

    def open(self, muted: Callable[[], bool]) -> None:
        self.source.open(muted)

    def close(self) -> None:
        self.source.close()
        self.canceller.close()

    def blocks(self) -> Iterator[Block]:
        for block, speaking in self.source.blocks():
            t = self.source.captured_at
            self.captured_at = t
            if t >= self._next_check:  # before this block's far end is chosen: a move applies to it
                self._next_check = t + CHECK
                self._check_delay()
            far_index = self._far_index(t)
            self._history.append((far_index, block))
            out = self._cancel(block, far_index)
            self.speaking = speaking
            yield out, speaking and not self.converged

    def _far_index(self, t: float) -> int | None:
        """The far end's sample to hand with the block captured at ``t``: on from the last block's,
        without a seam, unless the timestamps say it is more than ``STEADY`` off (an underrun, a
        stall); their jitter never moves it."""
        delay = self.delay if self.delay is not None else 0.0
        wanted = self.playback.index_at(t - (delay - LEAD))
        if wanted is None:
            return None
        if self._far is None or abs(wanted - self._far) > STEADY * RATE:
            if self._far is not None:
                self._unproven()  # a stall, or timestamps that jumped: it must show it still cancels
            self._far = wanted
        return self._far

    def _unproven(self) -> None:
        """Deaf through the session's voice again until the canceller shows, over ``_settle``
        frames, that it takes ``CONVERGED_DB`` of the echo away."""
        self.converged = False
        self._since.clear()

    def _cancel(self, block: np.ndarray, far_index: int | None) -> np.ndarray:
        if far_index is None:
            self._recent.append((1.0, 1.0))
            self.taken = 0.0
            return block
        far = self.playback.read(far_index, len(block))
        self._far = far_index + len(block)
        out = np.empty_like(block)
        for i in range(0, len(block) - FRAME + 1, FRAME):
            near_frame, far_frame = block[i : i + FRAME], far[i : i + FRAME]
            power = float(np.mean(far_frame**2))
            self._loud.append(power / max(self.playback.gain**2, 1e-4))  # a ducked voice is still the voice
            if max(self._loud) < QUIET:
                # Only quiet music, or nothing, has played for a while: the microphone is heard as
                # it is. The filter would learn the room from a talker over near silence, and
                # forget it (in a hold, a command said there cost the next sentence its cancelling).
                out[i : i + FRAME] = near_frame
                self._recent.append((1.0, 1.0))
                continue
            out[i : i + FRAME] = self.canceller.cancel(near_frame, far_frame)
            mic, left = float(np.mean(near_frame**2)), float(np.mean(out[i : i + FRAME] ** 2))
            self._recent.append((mic, left))
            if self.delay is not None and power > ACTIVE:
                self._since.append((mic, left))
        self._update()
        return out

    def _update(self) -> None:
        if self.canceller.resets != self._resets:  # it started over: deaf through the voice till it learns again
            self._resets = self.canceller.resets
            self._unproven()
        mic = sum(m for m, _ in self._recent)
        self.taken = float(10 * np.log10((mic + 1e-12) / (sum(o for _, o in self._recent) + 1e-12)))
        if self.converged or len(self._since) < self._settle:
            return
        mic = sum(m for m, _ in self._since)
        left = sum(o for _, o in self._since) + 1e-12
        self.converged = bool(10 * np.log10(mic / left + 1e-12) >= CONVERGED_DB)

    def _check_delay(self) -> None:
        """Correlate the last seconds of the microphone with the far end handed with them: the
        echo should come ``LEAD`` after it. Where it does not, move the far end (by exactly the
        difference: the stream stays whole) and start the canceller over."""
        if len(self._history) < self._window:
            return
        first = self._history[0][0]
        if first is None or any(f != first + i * len(b) for i, (f, b) in enumerate(self._history)):
            return  # the far end moved inside the window
        near = np.concatenate([b for _, b in self._history])
        far = self.playback.read(first - int(LATEST * RATE), len(near) + int((LATEST + EARLIEST) * RATE))
        if float(np.mean(near**2)) < ACTIVE / 10:
            return
        # Only the voice tells the delay: music repeats itself, and its correlation peaks as
        # clearly a bar away as at the true delay (which then wandered seconds off in a long session).
        frames = far[: len(far) // FRAME * FRAME].reshape(-1, FRAME)
        if float(np.mean(np.mean(frames**2, axis=1) > QUIET)) < VOICED:
            return
        self.checks += 1
        lag, clarity = gcc_delay(near, far)
        if clarity < CLEAR or lag in (0, len(far) - len(near)):  # at the range's edge: no peak, a slope
            return
        late = LATEST - lag / RATE  # seconds the echo comes after the far end handed with it
        delay = self.delay or 0.0
        found = delay + late - LEAD
        if not -EARLIEST <= found <= LATEST:  # beyond what the timestamps can be out by: a false peak
            return
        if self.delay is not None and abs(late - LEAD) <= JUMP:
            self._candidate = None
            return
        # A new delay counts once two checks in a row agree on it: one odd peak (the talker, a
        # quiet stretch of music) must not throw away what the canceller has learnt.
        candidate, self._candidate = self._candidate, found
        if self.delay is not None and (candidate is None or abs(found - candidate) > JUMP):
            return
        if self._far is not None:
            self._far -= int(round((late - LEAD) * RATE))
        if self.delay is not None:
            self.canceller.reset()
        self._unproven()
        self.delay, self._candidate = found, None


def hear_through(source: Source, sample_rate: int) -> tuple[Cancelled, Playback]:
    """``source`` through a new echo canceller, and the tap (at the session's ``sample_rate``) that
    feeds it and ducks. Raises ListenError, in one line, where no canceller can run."""
    canceller = SpeexCanceller()
    playback = Playback(sample_rate)
    return Cancelled(source, playback, canceller), playback
