"""What the player plays: a session rendered on demand, or a sound file.

A ``SessionSource`` starts at once: speech is synthesised in the background in the order it
is needed, the timeline is laid out as it arrives, and the mixer renders any stretch the
timeline already covers. The samples are the same ones ``render`` writes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceguide.ffmpeg import decode, probe
from voiceguide.fit import estimated_lengths, steps_length
from voiceguide.mixer import EventIndex, Mixer
from voiceguide.render import Progress, RenderOptions, settled_steps, speech_store
from voiceguide.samples import SAMPLE_RATE
from voiceguide.script import Session
from voiceguide.sounds.music import open_music
from voiceguide.speech_cache import SpeechCache
from voiceguide.steps import Mark
from voiceguide.text import sentences
from voiceguide.timeline import End, Event, Horizon, SectionMark, layout

WARM_CLIPS = 6


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

    def level(self, stem: str) -> float | None:
        """The level of ``stem`` ("music" or "cues") in dB, or None where it cannot change."""
        ...

    def set_level(self, stem: str, db: float) -> None:
        """From the next samples rendered on (see ``mixer.Level``)."""
        ...


class SessionSource:
    def __init__(
        self,
        session: Session,
        options: RenderOptions,
        cache: SpeechCache | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.title = session.title
        self.sample_rate = SAMPLE_RATE
        store = speech_store(options, cache, jobs=None)
        # Fitting a length needs every sentence's real length first; otherwise this is at once.
        steps = settled_steps(session, options, store, progress)
        self.steps = steps
        self.store = store
        self.section_total = sum(isinstance(item, Mark) for item in steps.items)
        guess = steps_length(steps, estimated_lengths(store.spec.pace), store.spec.pace)
        self.estimated_length = int(guess * SAMPLE_RATE)
        self._index = EventIndex()
        self._sections: list[Section] = []
        self._horizon = 0
        self._length: int | None = None
        self._failure: BaseException | None = None
        self._lock = threading.Lock()
        self._grew = threading.Condition(self._lock)
        music = open_music(options.music or steps.music, options.seed)
        self.mixer = Mixer(
            self._index, store.clip, music, self.length, music_level=options.music_level, cue_level=options.cue_level
        )
        ordered = list(dict.fromkeys(s for phrase in steps.phrases() for s in sentences(phrase)))  # as heard
        store.ensure_in_background(ordered)
        self._thread = threading.Thread(target=self._lay_out, name="voiceguide-layout", daemon=True)
        self._thread.start()
        self._ordered = ordered

    def prepare_ahead(self) -> None:
        """Once the sound has started: get the first clips ready for the mixer (importing
        what preparing them needs) while the opening bell plays. Not sooner: those imports
        would hold up the first sound."""

        def warm() -> None:
            try:
                for sentence in self._ordered[:WARM_CLIPS]:
                    self.store.clip(sentence)
            except BaseException:  # the layout thread reports speech failures
                pass

        threading.Thread(target=warm, name="voiceguide-warm", daemon=True).start()

    def _lay_out(self) -> None:
        try:
            for part in layout(self.steps, self.store.length, self.store.spec.pace):
                with self._lock:
                    if isinstance(part, Event):
                        self._index.add(part)
                    elif isinstance(part, SectionMark):
                        self._sections.append(Section(part.title, part.start))
                    elif isinstance(part, Horizon):
                        self._horizon = part.position
                    elif isinstance(part, End):
                        self._length = part.length
                        self._horizon = part.length
                    self._grew.notify_all()
        except BaseException as exc:  # reported by failure(); the player stops with its message
            with self._lock:
                self._failure = exc
                self._grew.notify_all()

    def sections(self) -> list[Section]:
        with self._lock:
            return list(self._sections)

    def length(self) -> int | None:
        return self._length

    def ready_until(self) -> int:
        with self._lock:
            if self._length is not None:
                return self._length
            return self._index.mixable_until(self._horizon, self.mixer.attack, self.mixer.bridge)

    def wait(self, timeout: float) -> None:
        with self._grew:
            self._grew.wait(timeout)

    def speaking(self, position: int) -> bool:
        with self._lock:
            return any(e.kind == "speech" for e in self._index.overlapping(position, position + 1))

    def instruction_before(self, position: int) -> int | None:
        with self._lock:
            spoken = [e for e in self._index.overlapping(max(0, position - 60 * SAMPLE_RATE), position + 1)]
        starts = [e.start for e in spoken if e.kind == "speech" and e.start <= position]
        return max(starts) if starts else None

    def render(self, start: int, count: int) -> np.ndarray:
        return self.mixer.mix(start, count)

    def level(self, stem: str) -> float | None:
        return (self.mixer.music_level if stem == "music" else self.mixer.cue_level).db

    def set_level(self, stem: str, db: float) -> None:
        (self.mixer.music_level if stem == "music" else self.mixer.cue_level).set(db)

    def failure(self) -> BaseException | None:
        return self._failure


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
