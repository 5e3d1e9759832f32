"""The signal processing the sound needs while it plays, on numpy alone.

The player renders on the device's deadline, and importing scipy.signal takes about a second
(it brings scipy.stats, interpolate and optimize with it): a session's first sentence, due at
the end of the opening bell, waited for it and came late. So everything the mix does as it
plays (resampling a sentence, measuring its loudness, the true-peak guard, the breathing cue's
filtered noise) is done here. Each function gives what the scipy function named in its
docstring gives, to within rounding; ``tests/test_dsp.py`` holds them to it.

All work is in float64; callers cast to float32 at the end, as before.
"""

from __future__ import annotations

import math

import numpy as np

Biquad = tuple[np.ndarray, np.ndarray]  # (b, a), each of three coefficients, a[0] == 1


def lowpass_taps(numtaps: int, cutoff: float, beta: float = 5.0) -> np.ndarray:
    """A linear-phase low-pass FIR filter: a sinc windowed by a Kaiser window, scaled to unit
    gain at 0 Hz. ``cutoff`` is relative to Nyquist (``scipy.signal.firwin(numtaps, cutoff,
    window=("kaiser", beta))``)."""
    m = np.arange(numtaps, dtype=np.float64) - 0.5 * (numtaps - 1)
    taps = cutoff * np.sinc(cutoff * m) * np.kaiser(numtaps, beta)
    return taps / np.sum(taps)


def upfirdn(taps: np.ndarray, x: np.ndarray, up: int = 1, down: int = 1) -> np.ndarray:
    """``x`` upsampled by ``up`` (zeros between its samples), filtered by the FIR ``taps`` and
    kept one sample in ``down``, whole: ``((len(x) - 1) * up + len(taps) - 1) // down + 1``
    samples (``scipy.signal.upfirdn``). Computed polyphase: each output sample is the sum of
    the few taps that meet input samples, never the zero-stuffed signal itself."""
    h = np.asarray(taps, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if not len(x):
        return np.zeros(0)
    width = -(-len(h) // up)  # taps per phase
    flat = np.zeros(width * up)
    flat[: len(h)] = h
    phases = flat.reshape(width, up).T  # phases[p, j] = h[p + j * up]
    count = ((len(x) - 1) * up + len(h) - 1) // down + 1
    out = np.zeros(count)
    if down == 1:  # each phase's outputs are a plain convolution of the input with its taps
        for p in range(up):
            part = out[p::up]
            part[:] = np.convolve(x, phases[p])[: len(part)]
        return out
    at = np.arange(count, dtype=np.int64) * down  # positions in the upsampled signal
    phase, base = at % up, at // up
    padded = np.concatenate([np.zeros(width), x, np.zeros(width)])
    for j in range(width):
        out += phases[phase, j] * padded[base - j + width]
    return out


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """``x`` resampled by ``up / down`` through a Kaiser-windowed sinc of 10 zero crossings a
    side, each output sample at the centre of the filter (``scipy.signal.resample_poly(x, up,
    down)``, its defaults)."""
    g = math.gcd(up, down)
    up, down = up // g, down // g
    x = np.asarray(x, dtype=np.float64)
    if up == down == 1:
        return x.copy()
    n_out = -(-len(x) * up // down)
    half = 10 * max(up, down)
    taps = lowpass_taps(2 * half + 1, 1.0 / max(up, down)) * up
    pre = down - half % down  # zeros before the taps, so that output samples fall on their centre
    skip = (half + pre) // down
    post = 0
    while ((len(x) - 1) * up + len(taps) + pre + post - 1) // down + 1 < n_out + skip:
        post += 1
    taps = np.concatenate([np.zeros(pre), taps, np.zeros(post)])
    return upfirdn(taps, x, up, down)[skip : skip + n_out]


def shelf_and_highpass(sample_rate: int) -> list[Biquad]:
    """The K-weighting filters of ITU-R BS.1770 (a +4 dB shelf above 1.5 kHz, a high-pass at
    38 Hz), designed as pyloudnorm's meter designs them (the audio EQ cookbook's biquads)."""
    a = 10 ** (4.0 / 40.0)  # the shelf's amplitude
    w0 = 2.0 * math.pi * 1500.0 / sample_rate
    cos, alpha, root = math.cos(w0), math.sin(w0) / (2.0 / math.sqrt(2)), math.sqrt(a)
    shelf = (
        [a * ((a + 1) + (a - 1) * cos + 2 * root * alpha), -2 * a * ((a - 1) + (a + 1) * cos),
         a * ((a + 1) + (a - 1) * cos - 2 * root * alpha)],
        [(a + 1) - (a - 1) * cos + 2 * root * alpha, 2 * ((a - 1) - (a + 1) * cos),
         (a + 1) - (a - 1) * cos - 2 * root * alpha],
    )  # fmt: skip
    w0 = 2.0 * math.pi * 38.0 / sample_rate
    cos, alpha = math.cos(w0), math.sin(w0) / (2.0 * 0.5)
    high = ([(1 + cos) / 2, -(1 + cos), (1 + cos) / 2], [1 + alpha, -2 * cos, 1 - alpha])
    return [_normalised(b, a) for b, a in (shelf, high)]


def butter_lowpass(cutoff: float, sample_rate: int) -> Biquad:
    """A second-order Butterworth low-pass at ``cutoff`` Hz (``scipy.signal.butter(2, cutoff /
    (sample_rate / 2))``): the analog prototype, pre-warped, through the bilinear transform."""
    k = math.tan(math.pi * cutoff / sample_rate)
    q = 1 / math.sqrt(2)
    b = [k * k, 2 * k * k, k * k]
    a = [1 + k / q + k * k, 2 * (k * k - 1), 1 - k / q + k * k]
    return _normalised(b, a)


def _normalised(b: list[float], a: list[float]) -> Biquad:
    return np.asarray(b, dtype=np.float64) / a[0], np.asarray(a, dtype=np.float64) / a[0]


def filtered(x: np.ndarray, sections: list[Biquad], settle: int) -> np.ndarray:
    """``x`` through each biquad in turn, from rest, as long as ``x`` (``scipy.signal.lfilter``
    of each section in turn). Done in the frequency domain, with ``settle`` samples of room
    after the signal for the filters' ringing to die away (their impulse responses must have
    fallen to nothing by then) so that nothing wraps round onto its start."""
    x = np.asarray(x, dtype=np.float64)
    if not len(x):
        return np.zeros(0)
    size = 1 << int(math.ceil(math.log2(len(x) + settle)))
    spectrum = np.fft.rfft(x, size)
    z = np.exp(-2j * np.pi * np.arange(len(spectrum)) / size)  # z^-1 on the FFT's grid
    for b, a in sections:
        spectrum *= (b[0] + z * (b[1] + z * b[2])) / (a[0] + z * (a[1] + z * a[2]))
    return np.fft.irfft(spectrum, size)[: len(x)]


def _edges(size: int) -> tuple[int, int]:
    """Samples before and after each one in a window of ``size`` (scipy.ndimage's centring)."""
    if size < 1:
        raise ValueError("a filter's size must be at least 1")
    return size // 2, size - 1 - size // 2


def minimum_filter(x: np.ndarray, size: int) -> np.ndarray:
    """The least value in a window of ``size`` samples around each one, the edges repeated
    beyond the ends (``scipy.ndimage.minimum_filter1d(x, size, mode="nearest")``). Blocks of
    ``size`` with running minima from each end (van Herk, Gil and Werman): linear in the
    length, whatever the size."""
    before, _ = _edges(size)
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n == 0 or size == 1:
        return x.copy()
    blocks = -(-(n + size - 1) // size)
    padded = np.pad(x, (before, blocks * size - n - before), mode="edge").reshape(blocks, size)
    from_left = np.minimum.accumulate(padded, axis=1).ravel()
    from_right = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(from_right[:n], from_left[size - 1 : size - 1 + n])


def mean_filter(x: np.ndarray, size: int) -> np.ndarray:
    """The mean of a window of ``size`` samples around each one, the edges repeated beyond the
    ends (``scipy.ndimage.uniform_filter1d(x, size, mode="nearest")``)."""
    edges = _edges(size)
    x = np.asarray(x, dtype=np.float64)
    if not len(x):
        return x.copy()
    sums = np.concatenate([[0.0], np.cumsum(np.pad(x, edges, mode="edge"))])
    means: np.ndarray = (sums[size:] - sums[:-size]) / size
    return means
