"""Loudness per ITU-R BS.1770 and true peak, in blocks, plus a local true-peak limiter.

The K-weighting filters are designed as pyloudnorm designs them; the meter runs them with
carried filter state, so a session of any length is measured block by block in constant
memory. Tests check this meter against ``pyloudnorm.Meter.integrated_loudness`` and ffmpeg's
ebur128. What the player needs as it plays (a clip's loudness, the true-peak guard) runs on
numpy alone (``dsp``); only the meter, for files, uses scipy.signal.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Sequence

import numpy as np

from voiceguide import dsp

# scipy.signal takes about a second to import, so only the meter (for files) imports it, when
# it is first used; the player never needs it.

OVERSAMPLE = 4  # true-peak estimate: BS.1770-4 annex 2 asks for at least 4x at 44.1/48 kHz
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0


def warm_imports() -> None:
    """Import scipy.signal (for the meter) on a thread, while the caller plans its work: most
    of that second is spent loading libraries, so it overlaps the planning."""

    def load() -> None:
        import scipy.signal  # noqa: F401

    threading.Thread(target=load, name="voiceguide-imports", daemon=True).start()


@functools.cache
def _k_filters(sample_rate: int) -> list[dsp.Biquad]:
    return dsp.shelf_and_highpass(sample_rate)


def k_weighted(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """K-weight a whole (short) mono signal."""
    return dsp.filtered(x, _k_filters(sample_rate), settle=sample_rate // 2)


def power_db(mean_square: float) -> float:
    return float(-0.691 + 10 * np.log10(max(mean_square, 1e-20)))


def clip_loudness(mono: np.ndarray, sample_rate: int, channels: int = 2) -> float:
    """Ungated K-weighted loudness of a short, trimmed clip played on ``channels`` channels
    (a mono voice sent to both channels of a stereo mix is 3 dB louder than one channel)."""
    if mono.size == 0:
        return -200.0
    weighted = k_weighted(mono, sample_rate)
    return power_db(channels * float(np.mean(weighted * weighted)))


class Meter:
    """Integrated loudness (LUFS) and sample peak, fed block by block."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.step = int(round(0.1 * sample_rate))  # gating blocks are 400 ms, every 100 ms
        stages = _k_filters(sample_rate)
        # float32 filtering with float64 sums: well inside 0.01 LU, and three times faster.
        self.sos = np.vstack([np.concatenate([b, a]) for b, a in stages]).astype(np.float32)
        self.state = np.zeros((len(stages), channels, 2), np.float32)
        self.pending = np.zeros((channels, 0), np.float32)
        self.quarters: list[float] = []  # summed channel mean-square of each 100 ms
        self.peak = 0.0

    def add(self, block: np.ndarray) -> None:
        from scipy import signal

        data = np.ascontiguousarray(np.asarray(block, dtype=np.float32).reshape(len(block), -1).T)
        if data.size:
            self.peak = max(self.peak, float(np.max(np.abs(data))))
        weighted, self.state = signal.sosfilt(self.sos, data, axis=1, zi=self.state)
        joined = np.concatenate([self.pending, weighted], axis=1) if self.pending.shape[1] else weighted
        whole = joined.shape[1] // self.step
        if whole:
            parts = joined[:, : whole * self.step].reshape(len(joined), whole, self.step)
            squares = np.einsum("cij,cij->ci", parts, parts, dtype=np.float64) / self.step
            self.quarters.extend(squares.sum(axis=0).tolist())
        self.pending = joined[:, whole * self.step :]

    def integrated(self, spans: Sequence[tuple[int, int]] | None = None) -> float:
        """Integrated loudness (LUFS) of everything fed; with ``spans`` (sample ranges),
        of the gating blocks that lie wholly inside them, under the same two gates.
        Given the spans of the speech, that is the loudness of the mix where it speaks: the
        anchor by which AES TD1008 measures speech mixed with music."""
        q = np.asarray(self.quarters)
        if len(q) < 4:
            return -200.0
        blocks = (q[:-3] + q[1:-2] + q[2:-1] + q[3:]) / 4.0
        if spans is not None:
            blocks = blocks[self._inside(spans, len(blocks))]
        loud = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-20))
        above = blocks[loud > _ABSOLUTE_GATE]
        if not above.size:
            return -200.0
        relative = power_db(float(above.mean())) + _RELATIVE_GATE
        gated = blocks[(loud > _ABSOLUTE_GATE) & (loud > relative)]
        return power_db(float(gated.mean())) if gated.size else -200.0

    def _inside(self, spans: Sequence[tuple[int, int]], count: int) -> np.ndarray:
        """Which of ``count`` gating blocks (block k is quarters k to k+3) lie wholly inside
        one of ``spans``."""
        inside = np.zeros(count, bool)
        for start, end in spans:
            first = -(-start // self.step)  # the first quarter that starts inside
            last = end // self.step - 4  # the last block start whose four quarters end inside
            if last >= first:
                inside[max(first, 0) : min(last + 1, count)] = True
        return inside


class BackgroundMeter:
    """The loudness meter on its own thread: the mix goes to the encoder without waiting for
    the meter (or for the libraries it needs to load)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue()
        self._meter: Meter | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(sample_rate, channels), name="voiceguide-meter", daemon=True
        )
        self._thread.start()

    def _run(self, sample_rate: int, channels: int) -> None:
        try:
            meter = Meter(sample_rate, channels)
            while (block := self._queue.get()) is not None:
                meter.add(block)
            self._meter = meter
        except BaseException as exc:  # handed to the caller by result()
            self._failure = exc

    def add(self, block: np.ndarray) -> None:
        self._queue.put(block)

    def result(self, spans: Sequence[tuple[int, int]] = ()) -> tuple[float, float]:
        """(the loudness of everything fed, that of the gating blocks inside ``spans``)."""
        self._queue.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        assert self._meter is not None
        return self._meter.integrated(), self._meter.integrated(spans)


@functools.cache
def _interpolator() -> np.ndarray:
    """The 4x interpolation filter (a windowed sinc, as resample_poly designs it), made once."""
    half = 10 * OVERSAMPLE
    return dsp.lowpass_taps(2 * half + 1, 1.0 / OVERSAMPLE) * OVERSAMPLE


def oversampled_peaks(x: np.ndarray) -> np.ndarray:
    """Per-sample peak magnitude of ``x`` (1-D) oversampled ``OVERSAMPLE`` times."""
    taps = _interpolator()
    delay = (len(taps) - 1) // 2
    up = dsp.upfirdn(taps, x, up=OVERSAMPLE)[delay : delay + len(x) * OVERSAMPLE]
    peaks: np.ndarray = np.abs(up).reshape(len(x), OVERSAMPLE).max(axis=1)
    return peaks


def true_peak_db(x: np.ndarray) -> float:
    """True peak in dBTP of a 1-D or (n, channels) signal."""
    x = np.asarray(x).reshape(len(x), -1)
    peak = max(float(oversampled_peaks(x[:, c]).max()) if len(x) else 0.0 for c in range(x.shape[1]))
    return float(20 * np.log10(max(peak, 1e-12)))


def near_peaks(x: np.ndarray, ceiling: float, margin_db: float = 1.5, reach: int = 64) -> np.ndarray:
    """``oversampled_peaks`` where it matters: only around samples within ``margin_db`` of
    ``ceiling`` (band-limited audio overshoots its samples by far less); elsewhere the plain
    sample magnitude. Much cheaper on long signals that seldom come near the ceiling."""
    magnitude = np.abs(np.asarray(x, dtype=np.float64))
    hot = np.flatnonzero(magnitude > ceiling * 10 ** (-margin_db / 20))
    if not hot.size:
        return magnitude
    breaks = np.flatnonzero(np.diff(hot) > 2 * reach)
    starts = np.concatenate([[hot[0]], hot[breaks + 1]])
    ends = np.concatenate([hot[breaks], [hot[-1]]])
    for lo, hi in zip(starts, ends, strict=True):
        a, b = max(0, lo - reach), min(len(x), hi + reach + 1)
        magnitude[a:b] = np.maximum(magnitude[a:b], oversampled_peaks(x[a:b]))
    return magnitude


def guard_gain(x: np.ndarray, ceiling_db: float, width: int = 176) -> np.ndarray:
    """A smooth gain that brings the true peak of ``x`` (1-D) down to ``ceiling_db``.

    The gain is a minimum over ``2 * width + 1`` samples of what each sample needs, then a
    moving average over ``width + 1`` inside it: never more than a sample needs, no clicks,
    and local (it depends only on ``x`` within about ``2 * width`` samples).
    """
    ceiling = 10 ** (ceiling_db / 20)
    need = np.minimum(1.0, ceiling / np.maximum(near_peaks(x, ceiling), 1e-12))
    if need.min(initial=1.0) >= 1.0:
        return np.ones(len(x))
    floor = dsp.minimum_filter(need, 2 * width + 1)
    gain: np.ndarray = np.minimum(dsp.mean_filter(floor, width + 1), need)
    return gain


def limit_true_peak(x: np.ndarray, sample_rate: int, ceiling_db: float) -> np.ndarray:
    """Smoothly turn down the parts of a whole mono clip whose true peak passes ``ceiling_db``:
    one pass of the local gain aimed a hair below the ceiling, then a check."""
    ceiling = 10 ** (ceiling_db / 20)
    width = max(1, int(0.008 * sample_rate))
    out = np.asarray(x, dtype=np.float64)
    gain = guard_gain(out, ceiling_db - 0.1, width)
    if gain.min(initial=1.0) < 1.0:
        out = out * gain
    peak = near_peaks(out, ceiling).max(initial=0.0)
    if peak > ceiling:  # interpolation between samples can leave a hair over: a plain scale
        out *= ceiling / peak
    return out.astype(np.float32)
