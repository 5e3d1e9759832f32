"""Cue sounds: the soft bell, the pacer tick, breathing swells, and the player's pause marks.

Each is a pure function of its kind and length, so a cue sounds the same wherever it falls.
Breathing in rises (pitch and brightness go up as the sound swells); breathing out falls.
"""

from __future__ import annotations

import functools

import numpy as np

from voiceguide import dsp, levels
from voiceguide.samples import SAMPLE_RATE

SR = SAMPLE_RATE


def _peak_to(x: np.ndarray, peak_db: float) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (levels.gain(peak_db) / peak)).astype(np.float32) if peak > 0 else x.astype(np.float32)


def _ramp(n: int) -> np.ndarray:
    """A raised-cosine rise over n samples."""
    return (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, endpoint=False))).astype(np.float64)


def _decaying_sine(freq: float, decay: float, n: int, block: int = 2048) -> np.ndarray:
    """``exp(-t / decay) * sin(2 pi freq t)`` over ``n`` samples: the imaginary part of
    ``exp(s t)``, made as one block of it times each block's starting value (one complex
    product a sample; ten times quicker than ``exp`` and ``sin`` of the whole, and the session's
    first sound, the opening bell, waits for it)."""
    s = complex(-1.0 / (decay * SR), 2 * np.pi * freq / SR)
    starts = np.exp(s * block * np.arange(-(-n // block)))
    return np.outer(starts, np.exp(s * np.arange(block))).imag.ravel()[:n]


@functools.cache
def chime(seconds: float = 5.0) -> np.ndarray:
    """A soft bell: a few inharmonic partials with slow decays and a gentle strike."""
    n = int(round(seconds * SR))
    out = np.zeros(n)
    for ratio, amp, decay in (
        (1.0, 1.0, 3.2),
        (2.01, 0.32, 2.1),
        (2.76, 0.18, 1.4),
        (4.07, 0.07, 0.8),
        (0.5, 0.12, 4.0),
    ):
        out += amp * _decaying_sine(432.0 * ratio, decay, n)
    attack = int(0.012 * SR)
    out[:attack] *= _ramp(attack)
    tail = int(0.4 * SR)
    out[-tail:] *= _ramp(tail)[::-1]
    return _peak_to(out, levels.CHIME_PEAK)


@functools.cache
def tick(seconds: float = 0.08) -> np.ndarray:
    """A soft wooden tick to pace strokes."""
    n = int(round(seconds * SR))
    t = np.arange(n) / SR
    out = np.exp(-t / 0.012) * (np.sin(2 * np.pi * 880 * t) + 0.4 * np.sin(2 * np.pi * 1320 * t))
    attack = int(0.003 * SR)
    out[:attack] *= _ramp(attack)
    out[-attack:] *= _ramp(attack)[::-1]
    return _peak_to(out, levels.TICK_PEAK)


@functools.cache
def breath(kind: str, length: int) -> np.ndarray:
    """A breathing swell of ``length`` samples: rising for "breath-in", falling for "breath-out"."""
    t = np.arange(length) / SR
    x = t / max(t[-1], 1e-9) if length > 1 else np.zeros(length)
    rising = kind == "breath-in"
    # Pitch glides a fourth: up while breathing in, down while breathing out.
    low, high = 196.0, 261.6
    freq = low + (high - low) * (x if rising else 1 - x)
    phase = 2 * np.pi * np.cumsum(freq) / SR
    tone = np.sin(phase) + 0.25 * np.sin(2 * phase)
    # Air: soft noise, brighter as the breath fills (in) or empties (out).
    rng = np.random.default_rng(7 if rising else 11)
    noise = rng.standard_normal(length)
    dark = dsp.filtered(noise, [dsp.butter_lowpass(400, SR)], settle=SR // 4)
    bright = dsp.filtered(noise, [dsp.butter_lowpass(1400, SR)], settle=SR // 4)
    brightness = x if rising else 1 - x
    air = (1 - brightness) * dark + brightness * bright
    air *= 0.8 / (np.std(air) + 1e-12) * 0.35
    # Envelope: in swells up to the top of the breath; out starts full and sinks.
    if rising:
        envelope = np.sin(0.5 * np.pi * np.clip(x / 0.85, 0, 1)) ** 2
    else:
        envelope = np.cos(0.5 * np.pi * x) ** 2
    edge = min(length, int(0.25 * SR))
    envelope[:edge] *= _ramp(edge)
    envelope[length - edge :] *= _ramp(edge)[::-1]
    return _peak_to((tone + air) * envelope, levels.BREATH_PEAK)


@functools.cache
def mark(kind: str) -> np.ndarray:
    """Two soft notes: falling for "pause", rising for "resume"."""
    notes = (523.3, 392.0) if kind == "pause" else (392.0, 523.3)
    parts = []
    for f in notes:
        n = int(0.18 * SR)
        t = np.arange(n) / SR
        note = np.sin(2 * np.pi * f * t) * np.exp(-t / 0.09)
        note[: int(0.005 * SR)] *= _ramp(int(0.005 * SR))
        note[-int(0.01 * SR) :] *= _ramp(int(0.01 * SR))[::-1]
        parts.append(note)
    return _peak_to(np.concatenate(parts), levels.MARK_PEAK)


def sound(kind: str, length: int) -> np.ndarray:
    """The sound of a timeline event of ``kind`` lasting ``length`` samples."""
    if kind == "chime":
        return chime()
    if kind == "tick":
        return tick()
    if kind in ("breath-in", "breath-out"):
        return breath(kind, length)
    raise ValueError(f"no sound for {kind}")
