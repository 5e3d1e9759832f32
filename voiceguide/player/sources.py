"""What the player plays: a session rendered on demand, or a sound file.

A ``SessionSource`` starts at once: it plays ``render.live``, which synthesises the speech in
the background in the order it is needed, lays the timeline out as it arrives, and mixes any
stretch the timeline already covers. The samples are the same ones ``render`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceguide.ffmpeg import decode, probe
from voiceguide.render import Progress, RenderOptions, live
from voiceguide.samples import SAMPLE_RATE
from voiceguide.script import Session
from voiceguide.speech_cache import SpeechCache


@dataclass(frozen=True)
class Section:
    title: str
    start: int  # samples


class Source(Protocol):
    title: str
    sample_rate: int
    section_total: int  # sections in all, known before they are laid out
    estimated_length: int  # samples, estimated before the speech exists (exact once ``length`` is known)

    def sections(self) -> list[Section]: ...

    def length(self) -> int | None:
        """Samples in all, once known."""
        ...

    def ready_until(self) -> int:
        """Samples from the start that can be rendered now."""
        ...

    def render(self, start: int, count: int) -> np.ndarray:
        """float32 (count, 2)."""
        ...

    def failure(self) -> BaseException | None: ...

    def prepare_ahead(self) -> None:
        """Called once the sound has started: a chance to get ready for what comes next."""
        ...

    def speaking(self, position: int) -> bool:
        """Whether the session's own voice sounds at sample ``position`` (listening ignores it)."""
        ...

    def instruction_before(self, position: int) -> int | None:
        """Where the last instruction spoken at or before ``position`` began, if any."""
        ...

    def holds(self) -> list[int]:
        """Where the session waits for the listener to go on (see ``Live.holds``)."""
        ...

    def held(self, start: int, count: int) -> np.ndarray:
        """float32 (count, 2): the music heard while the session waits, from its sample ``start``."""
        ...

    def level(self, stem: str) -> float | None:
        """The level of ``stem`` ("music" or "cues") in dB, or None where it cannot change."""
        ...

    def set_level(self, stem: str, db: float) -> None:
        """From the next samples rendered on (see ``mixer.Level``)."""
        ...


class SessionSource:
    """A session through ``render.live``: the samples ``render`` writes, mixed as the speech
    for them arrives. ``live`` is the session itself (and ``live.store`` its speech)."""

    def __init__(
        self,
        session: Session,
        options: RenderOptions,
        cache: SpeechCache | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.live = live(session, options, cache, progress)
        self.title = self.live.title
        self.sample_rate = self.live.sample_rate
        self.section_total = self.live.section_total
        self.estimated_length = self.live.estimated_length()

    def sections(self) -> list[Section]:
        return [Section(mark.title, mark.start) for mark in self.live.sections()]

    def length(self) -> int | None:
        return self.live.length()

    def ready_until(self) -> int:
        return self.live.ready_until()

    def wait(self, timeout: float) -> None:
        self.live.wait(timeout)

    def render(self, start: int, count: int) -> np.ndarray:
        return self.live.render(start, count)

    def holds(self) -> list[int]:
        return self.live.holds()

    def held(self, start: int, count: int) -> np.ndarray:
        return self.live.held(start, count)

    def level(self, stem: str) -> float | None:
        mixer = self.live.mixer
        return (mixer.music_level if stem == "music" else mixer.cue_level).db

    def set_level(self, stem: str, db: float) -> None:
        mixer = self.live.mixer
        (mixer.music_level if stem == "music" else mixer.cue_level).set(db)

    def failure(self) -> BaseException | None:
        return self.live.failure()

    def prepare_ahead(self) -> None:
        self.live.warm()

    def speaking(self, position: int) -> bool:
        return self.live.speaking(position)

    def instruction_before(self, position: int) -> int | None:
        return self.live.instruction_before(position)


class FileSource:
    """An exported (or any) sound file, decoded by ffmpeg; its chapters are the sections."""

    def __init__(self, path: Path) -> None:
        info = probe(path)
        self.title = info.title
        self.sample_rate = SAMPLE_RATE
        self._length = int(info.duration * SAMPLE_RATE)
        chapters = [Section(c.title, int(c.start * SAMPLE_RATE)) for c in sorted(info.chapters, key=lambda c: c.start)]
        self._sections = chapters or [Section(info.title, 0)]
        self._sections[0] = Section(self._sections[0].title, 0)
        self.section_total = len(self._sections)
        self.estimated_length = self._length
        self.path = path
        self._spoken = _caption_spans(path.with_suffix(".vtt"))
        self._stream: object = None
        self._at = -1
        self._pending = np.zeros((0, 2), np.float32)

    def sections(self) -> list[Section]:
        return list(self._sections)

    def length(self) -> int | None:
        return self._length

    def ready_until(self) -> int:
        return self._length

    def wait(self, timeout: float) -> None:
        return None

    def failure(self) -> BaseException | None:
        return None

    def prepare_ahead(self) -> None:
        return None

    def holds(self) -> list[int]:
        return []  # a file keeps the fixed pause it was made with

    def held(self, start: int, count: int) -> np.ndarray:
        return np.zeros((count, 2), np.float32)

    def level(self, stem: str) -> float | None:
        return None  # a file is mixed already

    def set_level(self, stem: str, db: float) -> None:
        return None

    def speaking(self, position: int) -> bool:
        """From the captions export writes beside the file; without them, always (so that a
        listener never takes the file's own voice for a command)."""
        if self._spoken is None:
            return True
        return any(start <= position < end for start, end in self._spoken)

    def instruction_before(self, position: int) -> int | None:
        starts = [start for start, _end in self._spoken or [] if start <= position]
        return max(starts) if starts else None

    def render(self, start: int, count: int) -> np.ndarray:
        if start != self._at:
            self._stream = decode(self.path, start / SAMPLE_RATE)
            self._pending = np.zeros((0, 2), np.float32)
        parts, have = [self._pending], len(self._pending)
        while have < count:
            part = next(self._stream, None)  # type: ignore[call-overload]
            if part is None:
                parts.append(np.zeros((count - have, 2), np.float32))
                break
            parts.append(part)
            have += len(part)
        data = np.concatenate(parts)
        self._pending, self._at = data[count:], start + count
        return data[:count]


def _caption_spans(vtt: Path) -> list[tuple[int, int]] | None:
    """The (start, end) samples of each cue in a WebVTT file, or None without one."""
    try:
        text = vtt.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None

    def samples(stamp: str) -> int:
        parts = [float(p) for p in stamp.strip().split(":")]
        seconds = sum(value * 60**power for power, value in enumerate(reversed(parts)))
        return int(round(seconds * SAMPLE_RATE))

    spans = []
    for line in text.splitlines():
        if "-->" in line:
            start, _, rest = line.partition("-->")
            try:
                spans.append((samples(start), samples(rest.split()[0])))
            except (ValueError, IndexError):
                continue
    return spans
