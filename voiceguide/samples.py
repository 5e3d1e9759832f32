"""The sample rate of everything voiceguide makes, and the one conversion of its float samples
to 16-bit integers, used only at the edges (the speech cache, WAV files, the sound device)."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 44100  # Hz: speech, music, cues and every file and stream


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16, rounded to the nearest step and clipped at full scale."""
    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)
