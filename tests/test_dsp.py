"""The player's signal processing on numpy alone, held to the scipy functions it stands in for,
and the proof that playing needs no scipy at all."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy import ndimage, signal

from voiceguide import dsp
from voiceguide.loudness import clip_loudness

ROUNDING = 1e-9


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return np.random.default_rng(5).standard_normal(44_101) * 0.3


@pytest.mark.parametrize(("up", "down"), [(2, 1), (441, 160), (160, 441), (147, 160), (1, 2), (3, 2), (4, 4)])
def test_resampling_gives_what_resample_poly_gives(noise: np.ndarray, up: int, down: int) -> None:
    ours, theirs = dsp.resample_poly(noise, up, down), signal.resample_poly(noise, up, down)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=ROUNDING)


@pytest.mark.parametrize("length", [1, 2, 7, 40, 41, 1000])
def test_resampling_short_clips(length: int) -> None:
    x = np.random.default_rng(length).standard_normal(length)
    for up, down in ((2, 1), (441, 160)):
        np.testing.assert_allclose(dsp.resample_poly(x, up, down), signal.resample_poly(x, up, down), atol=ROUNDING)


@pytest.mark.parametrize(("up", "down", "taps"), [(4, 1, 81), (3, 2, 31), (1, 3, 10), (5, 1, 4)])
def test_upfirdn_gives_the_whole_filtered_signal(noise: np.ndarray, up: int, down: int, taps: int) -> None:
    h = np.random.default_rng(taps).standard_normal(taps)
    ours, theirs = dsp.upfirdn(h, noise, up, down), signal.upfirdn(h, noise, up, down)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=ROUNDING)


@pytest.mark.parametrize(("numtaps", "cutoff"), [(41, 0.5), (81, 0.25), (8821, 1 / 441), (10, 0.3)])
def test_lowpass_taps_are_firwins(numtaps: int, cutoff: float) -> None:
    theirs = signal.firwin(numtaps, cutoff, window=("kaiser", 5.0))
    np.testing.assert_allclose(dsp.lowpass_taps(numtaps, cutoff), theirs, atol=1e-15)


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_k_weighting_is_pyloudnorms(rate: int) -> None:
    filters = list(pyloudnorm.Meter(rate)._filters.values())
    for (b, a), theirs in zip(dsp.shelf_and_highpass(rate), filters, strict=True):
        np.testing.assert_allclose(b, theirs.b, rtol=1e-12)
        np.testing.assert_allclose(a, theirs.a, rtol=1e-12)
        assert theirs.passband_gain == 1.0


def test_filtering_from_rest_is_lfilters(noise: np.ndarray) -> None:
    sections = dsp.shelf_and_highpass(44100) + [dsp.butter_lowpass(400, 44100)]
    expected = noise
    for b, a in sections:
        expected = signal.lfilter(b, a, expected)
    np.testing.assert_allclose(dsp.filtered(noise, sections, settle=22050), expected, atol=ROUNDING)
    assert dsp.filtered(np.zeros(0), sections, settle=10).shape == (0,)


def test_a_clips_loudness_is_pyloudnorms_ungated_measure(noise: np.ndarray) -> None:
    meter = pyloudnorm.Meter(44100)
    weighted = noise.copy()
    for f in meter._filters.values():
        weighted = signal.lfilter(f.b, f.a, weighted)
    expected = -0.691 + 10 * np.log10(2 * np.mean(weighted**2))
    assert clip_loudness(noise, 44100) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("cutoff", [400, 1400, 8000])
def test_butterworth_lowpass_is_butters(cutoff: float) -> None:
    b, a = dsp.butter_lowpass(cutoff, 44100)
    theirs = signal.butter(2, cutoff / 22050)
    np.testing.assert_allclose(b, theirs[0], rtol=1e-12)
    np.testing.assert_allclose(a, theirs[1], rtol=1e-12)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 177, 353, 705, 1000, 50_000])
def test_running_minimum_and_mean_are_ndimages(size: int) -> None:
    need = np.minimum(1.0, 0.8 / np.abs(np.random.default_rng(size).standard_normal(20_001)))
    np.testing.assert_array_equal(dsp.minimum_filter(need, size), ndimage.minimum_filter1d(need, size, mode="nearest"))
    np.testing.assert_allclose(
        dsp.mean_filter(need, size), ndimage.uniform_filter1d(need, size, mode="nearest"), atol=ROUNDING
    )
    short = need[:3]
    np.testing.assert_array_equal(
        dsp.minimum_filter(short, size), ndimage.minimum_filter1d(short, size, mode="nearest")
    )
    np.testing.assert_allclose(
        dsp.mean_filter(short, size), ndimage.uniform_filter1d(short, size, mode="nearest"), atol=ROUNDING
    )


PLAYS_WITHOUT_SCIPY = """
import sys, time
from voiceguide import library
from voiceguide.mixer import guard_gain_of
from voiceguide.player.sources import SessionSource
from voiceguide.render import RenderOptions

def main():
    source = SessionSource(library.load(sys.argv[1]), RenderOptions())
    source.prepare_ahead()
    at, deadline = 0, time.monotonic() + 300
    while at < (source.length() or 1 << 62) and time.monotonic() < deadline:
        ready = source.ready_until()
        if ready > at:
            count = min(4096, ready - at)
            source.render(at, count)
            at += count
        else:
            source.wait(0.05)
    loud = guard_gain_of(__import__("numpy").full((4096, 2), 1.2, "float32"))  # the peak guard at work
    assert loud is not None and loud.max() < 1
    print(at, *sorted(m for m in sys.modules if m.split(".")[0] in ("scipy", "pyloudnorm")))

if __name__ == "__main__":
    main()
"""


def test_playing_never_imports_scipy(tmp_path: Path, write) -> None:
    """Importing scipy.signal takes about a second: the player must never wait for it. A
    session with speech and breathing is rendered the way the player renders it, the peak
    guard included, and scipy is never loaded."""
    script = write(
        textwrap.dedent("""\
        title: Without scipy
        steps:
          - say: Breathe in through your nose.
          - breathe: relax
            cycles: 2
          - say: Let your shoulders drop.
          - hold: 3s
        """)
    )
    program = tmp_path / "plays.py"
    program.write_text(PLAYS_WITHOUT_SCIPY)
    done = subprocess.run([sys.executable, str(program), str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rendered, *loaded = done.stdout.split()
    assert int(rendered) >= 20 * 44100, "the whole session was rendered"
    assert loaded == [], f"the player imported {loaded}"
