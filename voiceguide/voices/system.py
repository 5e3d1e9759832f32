"""The system voice: pyttsx3 (espeak-ng on Linux, SAPI5 or NSSpeech elsewhere).

pyttsx3 has sharp edges, so it runs in a worker subprocess (``system_worker``) that is
killed after a timeout: a hang becomes a clear error, not a frozen command line. The
worker works around the rest: it saves one text per ``runAndWait`` (only the last queued
text is saved otherwise), keeps pyttsx3's "Audio saved to" chatter off its result channel,
creates and runs the engine in one thread, and the files are read by their header, since
the espeak driver writes 16-bit mono 22050 Hz WAV whatever the name says.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from importlib import metadata
from pathlib import Path

import numpy as np

from voiceguide.errors import MissingToolError, RenderError
from voiceguide.voices import VoiceSpec

DEFAULT_VOICE = "gmw/en-us"
BASE_RATE = 112  # espeak-ng's rate setting for the calm pace: about 140 words a minute measured
TIMEOUT_BASE = 15.0  # seconds for the worker to start and answer ...
TIMEOUT_PER_TEXT = 5.0  # ... plus this much per sentence


class SystemVoice:
    def __init__(self, spec: VoiceSpec) -> None:
        self.spec = spec

    @property
    def rate(self) -> int:
        return int(round(BASE_RATE * self.spec.pace.speed))

    @property
    def voice_id(self) -> str:
        return self.spec.voice or (DEFAULT_VOICE if sys.platform.startswith("linux") else "")

    def identity(self) -> dict[str, object]:
        return {
            "engine": "system",
            "voice": self.voice_id,
            "rate": self.rate,
            # 2: the rate is applied before each text (clips made before may be at pyttsx3's own rate).
            "worker": 2,
            "pyttsx3": metadata.version("pyttsx3"),
            "backend": _backend_version(),
        }

    def synthesize(self, sentences: list[str]) -> list[tuple[np.ndarray, int]]:
        if not sentences:
            return []
        with tempfile.TemporaryDirectory(prefix="voiceguide-tts-") as tmp:
            items = [[text, str(Path(tmp) / f"{i:05d}.wav")] for i, text in enumerate(sentences)]
            run_worker({"voice": self.voice_id, "rate": self.rate, "items": items})
            return [read_wav(Path(path)) for _text, path in items]


def run_worker(request: dict[str, object], timeout: float | None = None) -> dict[str, object]:
    """Run the pyttsx3 worker on ``request`` and return its answer, or raise a clear error."""
    items = request.get("items", [])
    count = len(items) if isinstance(items, list) else 0
    limit = timeout or TIMEOUT_BASE + TIMEOUT_PER_TEXT * count
    command = [sys.executable, "-m", "voiceguide.voices.system_worker"]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=limit,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"the system voice (pyttsx3) did not answer within {limit:.0f} s and was stopped; "
            "try again, or use --voice natural"
        ) from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    answer = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0 or not answer.get("ok"):
        error = str(answer.get("error") or done.stderr.strip().splitlines()[-1:] or "no answer")
        if answer.get("missing") or "espeak" in error.lower() or "libespeak" in error.lower():
            raise MissingToolError(
                f"the system voice needs espeak-ng ({error}); install it with `sudo apt-get install espeak-ng`"
            )
        raise RenderError(f"the system voice failed: {error}")
    return answer


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A WAV the worker wrote, read by its header, as float32 mono."""
    try:
        with wave.open(str(path), "rb") as handle:
            rate, width, channels = handle.getframerate(), handle.getsampwidth(), handle.getnchannels()
            frames = handle.readframes(handle.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise RenderError(f"the system voice wrote no usable audio ({exc})") from None
    if width != 2:
        raise RenderError(f"the system voice wrote {8 * width}-bit audio; 16-bit was expected")
    audio = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1)
    return audio, rate


def list_voices() -> list[dict[str, object]]:
    answer = run_worker({"list": True}, timeout=30)
    voices = answer.get("voices", [])
    return voices if isinstance(voices, list) else []


@functools.cache
def _backend_version() -> str:
    espeak = shutil.which("espeak-ng")
    if not espeak:
        return sys.platform
    try:
        out = subprocess.run([espeak, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "espeak-ng"
    return out.split("Data at")[0].strip()
