"""Helpers for measuring audio in tests: read WAVs, RMS in dB over windows, ffmpeg's meter."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import numpy as np

SR = 44100


def read_wav(path: Path) -> np.ndarray:
    """A WAV (16-bit PCM or 32-bit float) as float64 (frames, channels)."""
    data = Path(path).read_bytes()
    fmt = data.index(b"fmt ")
    tag, channels = struct.unpack("<HH", data[fmt + 8 : fmt + 12])
    at = data.index(b"data")
    size = struct.unpack("<I", data[at + 4 : at + 8])[0]
    payload = data[at + 8 : at + 8 + size]
    if tag == 3:
        samples = np.frombuffer(payload, "<f4").astype(np.float64)
    else:
        samples = np.frombuffer(payload, "<i2").astype(np.float64) / 32768.0
    return samples.reshape(-1, channels)


def decode(path: Path) -> np.ndarray:
    """Any sound file decoded by ffmpeg to float64 stereo at 44.1 kHz."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-ar", str(SR), "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, "<f4").astype(np.float64).reshape(-1, 2)


def rms_db(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(10 * np.log10(max(float(np.mean(x * x)) if x.size else 0.0, 1e-20)))


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter measures the file."""
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = log[log.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak
