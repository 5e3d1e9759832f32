"""ffmpeg and ffprobe at the edges: probing, streamed decoding, and the encoder pipe.

Audio crosses the pipe as float32 little-endian stereo at 44.1 kHz, the pipeline's format.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.errors import MissingToolError, RenderError, UsageError
from voiceguide.samples import SAMPLE_RATE

_INSTALL = "install it with `sudo apt-get install ffmpeg` (or run `make setup`)"


def tool(name: str) -> str:
    """The path of ffmpeg or ffprobe, or a clear error naming the fix."""
    found = shutil.which(name)
    if not found:
        raise MissingToolError(f"{name} is not on PATH; {_INSTALL}")
    return found


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class Probe:
    """What ffprobe says about a sound file. Times in seconds."""

    duration: float
    channels: int
    sample_rate: int
    title: str
    chapters: tuple[Chapter, ...]


def probe(path: Path) -> Probe:
    command = [
        tool("ffprobe"), "-v", "error", "-print_format", "json",
        "-show_format", "-show_streams", "-show_chapters", "-select_streams", "a:0", str(path),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{path}: ffprobe took too long to read the file") from None
    try:
        info = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        info = {}
    streams = info.get("streams") or []
    if done.returncode != 0 or not streams:
        reason = (done.stderr.strip().splitlines() or ["no audio stream"])[-1]
        raise UsageError(f"{path}: not a sound file ffmpeg can read ({reason})")
    stream = streams[0]
    fmt = info.get("format") or {}
    duration = float(stream.get("duration") or fmt.get("duration") or 0.0)
    chapters = tuple(
        Chapter(
            str((c.get("tags") or {}).get("title") or f"Chapter {i + 1}"),
            float(c.get("start_time", 0.0)),
            float(c.get("end_time", 0.0)),
        )
        for i, c in enumerate(info.get("chapters") or [])
    )
    title = str((fmt.get("tags") or {}).get("title") or (fmt.get("tags") or {}).get("TITLE") or path.stem)
    return Probe(duration, int(stream.get("channels") or 0), int(stream.get("sample_rate") or 0), title, chapters)


def decode(path: Path, start: float = 0.0, block: int = 65536) -> Iterator[np.ndarray]:
    """Decode ``path`` from ``start`` seconds as float32 (n, 2) blocks at 44.1 kHz."""
    command = [tool("ffmpeg"), "-v", "error", "-nostdin"]
    if start > 0:
        command += ["-ss", f"{start:.6f}"]
    command += ["-i", str(path), "-vn", "-f", "f32le", "-ac", "2", "-ar", str(SAMPLE_RATE), "-"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    try:
        while True:
            data = process.stdout.read(block * 8)
            if not data:
                break
            usable = len(data) // 8 * 8
            yield np.frombuffer(data[:usable], dtype="<f4").reshape(-1, 2)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()


def read_all(path: Path, limit_seconds: float) -> np.ndarray:
    """Decode up to ``limit_seconds`` of ``path`` into memory."""
    limit = int(limit_seconds * SAMPLE_RATE)
    parts: list[np.ndarray] = []
    have = 0
    for part in decode(path):
        parts.append(part[: limit - have])
        have += len(parts[-1])
        if have >= limit:
            break
    return np.concatenate(parts) if parts else np.zeros((0, 2), np.float32)
