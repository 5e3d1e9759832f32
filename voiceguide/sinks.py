"""Where finished audio goes: a WAV file, or an MP3 through an ffmpeg pipe.

A sink takes float32 (n, channels) blocks in [-1, 1]; it converts at the edge.
"""

from __future__ import annotations

import contextlib
import fcntl
import queue
import struct
import subprocess
import threading
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from voiceguide.errors import OutputError, RenderError
from voiceguide.ffmpeg import tool
from voiceguide.samples import SAMPLE_RATE, to_int16

MP3_BITRATE = "128k"  # stereo; 44.1 kHz
# LAME at 128 kbps returns everything 0.45 dB quieter than it was given (a 1 kHz tone and
# whole sessions alike; at 256 kbps it does not). The pipe makes up for it, so the file
# itself measures what the mix does. tests/test_export.py measures the encoded files.
MP3_MAKEUP_DB = 0.45
AAC_BITRATE = "96k"  # stereo AAC-LC; speech and soft music need no more
AAC_MAKEUP_DB = 0.0


class Sink(Protocol):
    def write(self, block: np.ndarray) -> None: ...

    def close(self) -> None: ...


def to_pcm16(block: np.ndarray) -> bytes:
    return to_int16(block).astype("<i2", copy=False).tobytes()


class WavSink:
    """A streamed WAV: the header is written first, since the length is known in advance.
    16-bit PCM, or 32-bit float (for stems, which must add up exactly)."""

    def __init__(self, handle: BinaryIO, frames: int, channels: int = 2, floating: bool = False) -> None:
        self.handle = handle
        self.channels = channels
        self.floating = floating
        width = 4 if floating else 2
        data_bytes = frames * channels * width
        fmt_tag = 3 if floating else 1
        fmt = struct.pack(
            "<HHIIHH", fmt_tag, channels, SAMPLE_RATE, SAMPLE_RATE * channels * width, channels * width, 8 * width
        )
        chunks = [b"fmt ", struct.pack("<I", len(fmt)), fmt]
        if floating:
            chunks += [b"fact", struct.pack("<II", 4, frames)]
        header = b"".join(chunks)
        handle.write(b"RIFF" + struct.pack("<I", 4 + len(header) + 8 + data_bytes) + b"WAVE" + header)
        handle.write(b"data" + struct.pack("<I", data_bytes))

    def write(self, block: np.ndarray) -> None:
        block = block.reshape(len(block), self.channels)
        self.handle.write(block.astype("<f4").tobytes() if self.floating else to_pcm16(block))

    def close(self) -> None:
        self.handle.flush()


class Mp3Sink:
    """An MP3 written by ffmpeg (libmp3lame), fed float32 stereo through a pipe.

    A thread feeds the pipe, so the mixer goes on with the next blocks while ffmpeg encodes:
    the two run side by side on two cores instead of taking turns.
    """

    QUEUE = 8  # blocks waiting for the encoder; bounds the memory in flight
    BITRATE = MP3_BITRATE
    MAKEUP_DB = MP3_MAKEUP_DB
    NAME = "MP3"

    def __init__(self, path: Path, bitrate: str | None = None, label: Path | None = None) -> None:
        bitrate = bitrate or self.BITRATE
        self.path = path
        self.label = label or path  # the name to give in messages (the file being replaced)
        self.makeup = np.float32(10 ** (self.MAKEUP_DB / 20)) if bitrate == self.BITRATE else np.float32(1.0)
        self.process = subprocess.Popen(self.command(path, bitrate), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdin is not None
        with contextlib.suppress(OSError, AttributeError):  # a larger pipe: fewer waits (Linux)
            fcntl.fcntl(self.process.stdin.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(self.QUEUE)
        self._broken = threading.Event()
        self._feeder = threading.Thread(target=self._feed, name="voiceguide-encoder-feed", daemon=True)
        self._feeder.start()

    @staticmethod
    def command(path: Path, bitrate: str) -> list[str]:
        return [
            tool("ffmpeg"), "-v", "error", "-nostdin", "-y",
            "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "-",
            "-c:a", "libmp3lame", "-b:a", bitrate, "-ar", str(SAMPLE_RATE),
            "-map_metadata", "-1", "-id3v2_version", "0", "-write_id3v1", "0",
            "-f", "mp3", str(path),
        ]  # fmt: skip

    def _feed(self) -> None:
        assert self.process.stdin is not None
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._broken.is_set():
                continue  # keep draining so the mixer never blocks on a dead encoder
            try:
                self.process.stdin.write(data.data)  # the array's own bytes: no copy
            except (BrokenPipeError, OSError):
                self._broken.set()

    def write(self, block: np.ndarray) -> None:
        if self._broken.is_set():
            self._fail()
        data = np.multiply(block, self.makeup, dtype=np.float32)  # a new array: the mixer may reuse its own
        self._queue.put(np.ascontiguousarray(data))

    def close(self) -> None:
        assert self.process.stdin is not None
        self._queue.put(None)
        self._feeder.join()
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.close()
        if self.process.wait() != 0 or self._broken.is_set():
            self._fail()

    def abort(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self._broken.set()
        if self._feeder.is_alive():
            self._queue.put(None)
            self._feeder.join(timeout=5)
        self.process.wait()

    def _fail(self) -> None:
        self.abort()
        detail = (self.process.stderr.read().decode(errors="replace") if self.process.stderr else "").strip()
        for reason in ("No space left on device", "Read-only file system", "Permission denied", "Disk quota exceeded"):
            if reason in detail:
                raise OutputError(f"cannot write {self.label}: {reason}")
        last = detail.splitlines()[-1] if detail else f"exit code {self.process.returncode}"
        raise RenderError(f"the {self.NAME} encoder (ffmpeg) failed: {last}")


class AacSink(Mp3Sink):
    """AAC in an MP4 file (the audio of an M4B audiobook), through the same kind of pipe.
    Chapters, cover and tags are added afterwards by ``voiceguide.m4b``."""

    BITRATE = AAC_BITRATE
    MAKEUP_DB = AAC_MAKEUP_DB
    NAME = "AAC"

    @staticmethod
    def command(path: Path, bitrate: str) -> list[str]:
        return [
            tool("ffmpeg"), "-v", "error", "-nostdin", "-y",
            "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "-",
            "-c:a", "aac", "-b:a", bitrate, "-ar", str(SAMPLE_RATE),
            "-map_metadata", "-1", "-f", "ipod", str(path),
        ]  # fmt: skip
