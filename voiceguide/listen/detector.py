"""Finding speech: the Silero VAD model that faster-whisper ships, run by onnxruntime directly.

The detector eats 16 kHz mono blocks of any size, 32 ms frames at a time, and gives back each
candidate segment when it ends: a stretch of speech of at most ``max_seconds``, with a little
audio either side. Longer speech is not a command, so it is dropped whole and never reaches the
recogniser; that keeps the recogniser's work (and its chances to mishear) small.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voiceguide.errors import ListenError

RATE = 16000
INSTALL = "the speech recogniser is not installed; run `make setup` or pip install 'voiceguide[listen]'"
FRAME = 512  # samples: the model's step at 16 kHz
CONTEXT = 64  # samples of the previous frame the model sees before each frame


def model_path() -> Path:
    """The Silero VAD model file inside the installed faster-whisper."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise ListenError(INSTALL)
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise ListenError(f"faster-whisper has no speech detector model at {path}; reinstall faster-whisper")
    return path


@dataclass(frozen=True)
class Segment:
    """One candidate segment: 16 kHz float32 mono samples, and where its speech lies in the stream
    (``start`` and ``end`` in samples since the stream began, without the padding)."""

    samples: np.ndarray
    start: int
    end: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / RATE


class Detector:
    """Silero VAD over a stream, one frame at a time, with its state carried between frames."""

    def __init__(
        self,
        threshold: float = 0.5,
        min_speech: float = 0.3,
        min_silence: float = 0.4,
        max_seconds: float = 3.0,
        pad: float = 0.2,
    ) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 4
        self._session: Any = onnxruntime.InferenceSession(
            str(model_path()), providers=["CPUExecutionProvider"], sess_options=options
        )
        self.threshold = threshold
        self.off_threshold = threshold - 0.15
        self.min_speech = int(min_speech * RATE)
        self.min_silence = int(min_silence * RATE)
        self.max_length = int(max_seconds * RATE)
        self.pad = int(pad * RATE)
        self._pad_frames = max(1, self.pad // FRAME + 1)  # frames kept before a segment's speech
        self.position = 0  # samples of the stream seen so far
        self._pending = np.zeros(0, np.float32)
        self.reset()

    def reset(self) -> None:
        """Forget the model's state and any speech in progress (used while the microphone is ignored)."""
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._before: deque[np.ndarray] = deque(maxlen=self._pad_frames)
        self._speech: list[np.ndarray] = []
        self._start = 0
        self._silent = 0  # samples of silence since the last speech frame
        self._overlong = False
        self._mark: tuple[int, int] | None = None  # (frame index in the speech, stream sample): see voice_ended
        self.held = 0  # samples since the speech probability last fell below the threshold

    @property
    def in_speech(self) -> bool:
        """A candidate segment is under way (it has started and not yet ended)."""
        return bool(self._speech)

    def voice_ended(self) -> None:
        """The session's own voice has just stopped. Speech heard since before then may be what the
        canceller left of the voice running straight into someone who speaks right after it; if it
        is, or grows, too long for a command, it is heard from here on instead (with the usual
        padding before), not dropped whole with the command in it."""
        if not self._speech:
            return
        if self._overlong:
            self._restart(len(self._speech), self.position)
        else:
            self._mark = (len(self._speech), self.position)

    def _restart(self, index: int, at: int) -> None:
        """Drop the speech before frame ``index`` (at stream sample ``at``), all but the padding."""
        self._speech = self._speech[max(0, index - self._pad_frames) :]
        self._start, self._overlong, self._mark = at, False, None

    def skip(self, samples: int) -> None:
        """Count ``samples`` of the stream that the detector does not hear, and start afresh after them."""
        self.position += samples
        self._pending = np.zeros(0, np.float32)
        self.reset()

    def probability(self, frame: np.ndarray) -> float:
        """The model's speech probability for one frame of ``FRAME`` samples."""
        batch = np.concatenate([self._context, frame])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT:]
        return float(out.reshape(-1)[0])

    def feed(self, block: np.ndarray) -> list[Segment]:
        """Take 16 kHz mono samples; return the candidate segments that ended in them."""
        data = np.concatenate([self._pending, np.asarray(block, np.float32).reshape(-1)])
        whole = len(data) // FRAME * FRAME
        self._pending = data[whole:]
        done = []
        for i in range(0, whole, FRAME):
            segment = self._step(data[i : i + FRAME])
            if segment is not None:
                done.append(segment)
        return done

    def _step(self, frame: np.ndarray) -> Segment | None:
        p = self.probability(frame)
        self.held = self.held + FRAME if p >= self.threshold else 0
        at = self.position
        self.position += FRAME
        if not self._speech:
            if p >= self.threshold:
                self._speech = [*self._before, frame]
                self._start = at
                self._silent = 0
            else:
                self._before.append(frame)
            return None
        self._speech.append(frame)
        self._silent = self._silent + FRAME if p < self.off_threshold else 0
        spoken = self.position - self._start - self._silent
        if spoken > self.max_length and self._mark is not None:
            self._restart(*self._mark)  # the voice's residual ran into speech: keep what followed it
            spoken = self.position - self._start - self._silent
        if spoken > self.max_length:
            self._overlong = True  # too long for a command: keep counting, hand nothing on
            self._speech = self._speech[-self._pad_frames :]  # no mark is left here: one restarts the speech above
        if self._silent < self.min_silence:
            return None
        end = self.position - self._silent
        overlong, speech = self._overlong, self._speech
        self._speech, self._overlong, self._mark = [], False, None
        self._before = deque(maxlen=self._pad_frames)
        if overlong or end - self._start < self.min_speech:
            return None
        keep = len(speech) - max(0, (self._silent - self.pad) // FRAME)
        return Segment(np.concatenate(speech[:keep]), self._start, end)
