"""The sounds voiceguide makes: music moods and cues, measured as signals."""

from __future__ import annotations

import numpy as np
import pytest

from voiceguide import levels
from voiceguide.loudness import Meter
from voiceguide.sounds import cues
from voiceguide.sounds.music import MOODS, open_music

from .support.audio import SR, rms_db


def centroid(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float((spectrum * freqs).sum() / spectrum.sum())


@pytest.mark.parametrize("mood", MOODS)
def test_moods_are_reproducible_random_access_and_at_their_level(mood: str) -> None:
    music = open_music(mood, seed=7)
    whole = music.render(0, 90 * SR)
    assert whole.shape == (90 * SR, 2) and whole.dtype == np.float32
    # Any stretch rendered on its own is the same samples: the player can start anywhere.
    again = open_music(mood, seed=7)
    np.testing.assert_array_equal(again.render(61 * SR + 123, 3 * SR), whole[61 * SR + 123 : 64 * SR + 123])
    assert not np.array_equal(open_music(mood, seed=8).render(0, SR * 10), whole[: SR * 10])
    meter = Meter(SR, 2)
    meter.add(whole)
    assert abs(meter.integrated() - levels.MUSIC_LOUDNESS) < 1.5
    assert not np.allclose(whole[:, 0], whole[:, 1]), "stereo, not two copies"


@pytest.mark.parametrize("mood", MOODS)
def test_moods_are_soft_and_never_loop(mood: str) -> None:
    music = open_music(mood, seed=3)
    x = music.render(0, 240 * SR).mean(axis=1)
    # No sudden transients: 200 ms levels never jump by more than 6 dB from one to the next
    # (a struck bell or a drum would jump by 20 dB or more).
    frames = x[: len(x) // 8820 * 8820].reshape(-1, 8820)
    level = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))
    assert np.max(np.abs(np.diff(level))) < 6.0
    # A gentle spectrum: almost all energy below 2 kHz.
    spectrum = np.abs(np.fft.rfft(x[: 30 * SR])) ** 2
    freqs = np.fft.rfftfreq(30 * SR, 1 / SR)
    assert spectrum[freqs > 2000].sum() / spectrum.sum() < 0.02
    # No audible loop: no 30 s stretch repeats another (normalised correlation stays low).
    a = x[30 * SR : 60 * SR]
    for start in range(60 * SR, 200 * SR, 10 * SR):
        b = x[start : start + 30 * SR]
        assert abs(np.dot(a, b)) / (np.linalg.norm(a) * np.linalg.norm(b)) < 0.5


def test_breathing_in_rises_and_out_falls() -> None:
    n = 4 * SR
    inhale, exhale = cues.breath("breath-in", n), cues.breath("breath-out", n)
    quarter = n // 4
    assert centroid(inhale[quarter : 2 * quarter]) < centroid(inhale[2 * quarter : 3 * quarter])
    assert centroid(exhale[quarter : 2 * quarter]) > centroid(exhale[2 * quarter : 3 * quarter])
    assert rms_db(inhale[:quarter]) < rms_db(inhale[2 * quarter : 3 * quarter]), "in swells up"
    assert rms_db(exhale[:quarter]) > rms_db(exhale[3 * quarter :]), "out sinks"
    assert not np.allclose(inhale, exhale[::-1])


@pytest.mark.parametrize("sound", [cues.chime(), cues.tick(), cues.breath("breath-in", 3 * SR), cues.mark("pause")])
def test_cues_are_gentle(sound: np.ndarray) -> None:
    assert abs(sound[0]) < 1e-3 and abs(sound[-1]) < 1e-3, "starts and ends at rest: no click"
    assert np.max(np.abs(np.diff(sound))) < 0.02, "no sample-to-sample jump"
    assert 20 * np.log10(np.max(np.abs(sound))) <= -17.9


def test_user_music_file_loops_with_a_crossfade(tmp_path) -> None:
    import subprocess

    path = tmp_path / "one-second.ogg"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=220:d=1:r=8000",
            "-ac",
            "1",
            "-c:a",
            "libvorbis",
            str(path),
        ],
        check=True,
    )
    music = open_music(str(path), seed=0)
    x = music.render(0, 10 * SR)
    assert x.shape == (10 * SR, 2)
    level = [rms_db(x[i * SR // 2 : (i + 1) * SR // 2]) for i in range(20)]
    assert max(level) - min(level) < 3, "a one-second file loops into a steady bed"
    np.testing.assert_array_equal(open_music(str(path), seed=0).render(4 * SR, SR), x[4 * SR : 5 * SR])


def test_meter_agrees_with_pyloudnorm_block_by_block() -> None:
    import pyloudnorm

    rng = np.random.default_rng(4)
    signal = rng.standard_normal((SR * 30, 2)) * 0.05
    signal[SR * 5 : SR * 9] *= 6  # a loud stretch, and a near-silent one for the gates
    signal[SR * 20 : SR * 24] *= 0.001
    meter = Meter(SR, 2)
    for start in range(0, len(signal), 12345):
        meter.add(signal[start : start + 12345])
    assert abs(meter.integrated() - pyloudnorm.Meter(SR).integrated_loudness(signal)) < 0.01


def test_the_bells_partials_are_exact_decaying_sines() -> None:
    """The bell is built a block at a time from complex products (it is the session's first
    sound, and quick to make): each partial is still exp(-t/decay) sin(2 pi f t)."""
    n = 5 * SR + 123
    t = np.arange(n) / SR
    for freq, decay in ((432.0, 3.2), (1758.24, 0.8), (216.0, 4.0)):
        exact = np.exp(-t / decay) * np.sin(2 * np.pi * freq * t)
        np.testing.assert_allclose(cues._decaying_sine(freq, decay, n), exact, atol=1e-9)


def test_meter_measures_only_the_blocks_inside_the_spans_it_is_given() -> None:
    """The loudness of the speech in a mix: only gating blocks wholly inside a span count. The
    spans are quiet noise and the rest is 20 dB louder, so one block over an edge would show."""
    import pyloudnorm

    rng = np.random.default_rng(5)
    signal = rng.standard_normal((SR * 30, 2)) * 0.2
    spans = [(int(2.05 * SR), int(6.03 * SR)), (15 * SR, 19 * SR), (25 * SR, int(25.39 * SR))]
    for start, end in spans:
        signal[start:end] *= 0.1
    meter = Meter(SR, 2)
    for start in range(0, len(signal), 12345):
        meter.add(signal[start : start + 12345])
    quiet = pyloudnorm.Meter(SR).integrated_loudness(signal[spans[1][0] : spans[1][1]])
    assert abs(meter.integrated(spans) - quiet) < 0.1, (meter.integrated(spans), quiet)
    assert abs(meter.integrated() - pyloudnorm.Meter(SR).integrated_loudness(signal)) < 0.01
    assert meter.integrated() > quiet + 15
    assert meter.integrated(spans[2:]) == -200.0, "a span shorter than a block holds no block"
