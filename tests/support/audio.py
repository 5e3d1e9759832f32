"""Helpers for measuring audio in tests: read WAVs, RMS in dB over windows, ffmpeg's meter."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import numpy as np

SR = 44100


class WavView:
    """A WAV (16-bit PCM or 32-bit float) mapped, not read: slices come back as float64."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            head = handle.read(256)
        fmt = head.index(b"fmt ")
        self.tag, self.channels = struct.unpack("<HH", head[fmt + 8 : fmt + 12])
        at = head.index(b"data")
        size = struct.unpack("<I", head[at + 4 : at + 8])[0]
        dtype = "<f4" if self.tag == 3 else "<i2"
        frames = size // (np.dtype(dtype).itemsize * self.channels)
        self.data = np.memmap(path, dtype=dtype, mode="r", offset=at + 8, shape=(frames, self.channels))

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key: object) -> np.ndarray:
        part = np.asarray(self.data[key], dtype=np.float64)
        return part if self.tag == 3 else part / 32768.0


def read_wav(path: Path) -> np.ndarray:
    """A whole WAV (16-bit PCM or 32-bit float) as float64 (frames, channels)."""
    return WavView(path)[:]


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


def ebur128(source: Path | np.ndarray) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter measures a file, or
    stereo samples at 44.1 kHz."""
    given = isinstance(source, np.ndarray)
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats"]
        + (["-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", "-"] if given else ["-i", str(source)])
        + ["-af", "ebur128=peak=true", "-f", "null", "-"],
        input=np.ascontiguousarray(source, dtype="<f4").tobytes() if given else None,
        capture_output=True,
        check=True,
    ).stderr.decode()
    summary = log[log.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))
    return integrated, peak


def joined(x: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """The parts of ``x`` inside ``spans`` (start and end in seconds), end to end: given the
    sentences, what ffmpeg's meter measures as the loudness of the speech in a mix."""
    return np.concatenate([x[round(start * SR) : round(end * SR)] for start, end in spans])


def peak_rss_mb(command: list[str], env: dict[str, str] | None = None) -> float:
    """Run ``command`` and return its own peak resident memory in MB (the kernel's VmHWM,
    read until it exits), not counting the programs it starts (ffmpeg, voice workers)."""
    import os
    import time

    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)
    if process.returncode != 0:
        raise AssertionError(f"{command} failed: {process.stderr.read().decode() if process.stderr else ''}")
    del os
    return peak / 1024
