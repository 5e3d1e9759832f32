"""Timeline: the steps laid out to the sample, with the real length of every spoken sentence.

Rules:
- a timed span (pause, hold, breathing) starts exactly where the previous thing ends and
  lasts exactly its duration, rounded once to the sample;
- breathing cycles follow their pattern with no drift, after a short settle; words go with
  the first cycles only;
- a countdown phrase starts exactly ``countdown`` seconds before its hold ends;
- a pacer tick starts one stroke: a hold paced at ``pace`` seconds holds a whole number of
  strokes (``strokes``: the hold over the pace, rounded, at least one), its ticks spread
  evenly from the start of the hold, each stroke lasting the same;
- sentences of one instruction are separated by the pace's sentence gap, instructions by
  its step gap; a bell gives the next thing ``BELL_STEP`` seconds.

``layout`` is a generator, so the player can start before later speech exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from voiceguide.pace import Pace
from voiceguide.samples import SAMPLE_RATE
from voiceguide.steps import BREATH_WORDS, WORDED_CYCLES, Bell, Breaths, Mark, Speak, Steps, Wait
from voiceguide.text import sentences
from voiceguide.units import BreathPattern

LEAD_IN = 0.0  # seconds before the opening bell: the player's first sound is the bell
BELL_STEP = 2.5  # seconds from a bell to the next thing
TAIL = 5.0  # seconds after the last event: the bell rings out and the music fades
CHIME_SECONDS = 5.0  # length of the bell sound itself
TICK_SECONDS = 0.08
WORD_MARGIN = 0.3  # a breathing word must end this long before its phase does
BREATH_SETTLE = 1.5  # seconds between an instruction and the first guided breath

SOUNDING = ("speech", "chime", "tick", "breath-in", "breath-out")
KINDS = (
    "speech",
    "pause",
    "fetch",
    "wait",
    "prepare",
    "hold",
    "breath-in",
    "breath-hold",
    "breath-out",
    "chime",
    "tick",
)


@dataclass(frozen=True)
class Event:
    """Something that happens: ``start`` and ``length`` in samples; ``text`` for speech."""

    start: int
    length: int
    kind: str
    section: int
    text: str = ""

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class SectionMark:
    """A section (a chapter, a skip point) starts at ``start`` samples."""

    index: int
    title: str
    start: int


@dataclass(frozen=True)
class Horizon:
    """Every event that starts before ``position`` (samples) has been given. The layout says
    so before it waits for a sentence's speech, so a player can mix up to here meanwhile."""

    position: int


@dataclass(frozen=True)
class End:
    """The session lasts ``length`` samples."""

    length: int


@dataclass(frozen=True)
class Timeline:
    """A whole session, sample-exact. ``sections[i]`` runs to ``sections[i+1].start``."""

    name: str
    title: str
    audience: str
    sample_rate: int
    length: int
    events: tuple[Event, ...] = field(repr=False)
    sections: tuple[SectionMark, ...]

    @property
    def duration(self) -> float:
        return self.length / self.sample_rate

    def section_end(self, index: int) -> int:
        return self.sections[index + 1].start if index + 1 < len(self.sections) else self.length

    def speech(self) -> list[Event]:
        return [e for e in self.events if e.kind == "speech"]


SentenceLength = Callable[[str], int]


def layout(
    steps: Steps, sentence_length: SentenceLength, pace: Pace, sample_rate: int = SAMPLE_RATE
) -> Iterator[Event | SectionMark | Horizon | End]:
    """Yield the steps' events and section marks in order of start, then its ``End``; a
    ``Horizon`` comes before each step that needs a sentence's length.

    ``sentence_length(text)`` is the length in samples of one spoken sentence; it may block
    until that sentence has been synthesised.
    """
    sr = sample_rate

    def samples(seconds: float) -> int:
        return int(round(seconds * sr))

    cursor = samples(LEAD_IN)
    section = -1
    previous = "start"  # what came last: "start", "speech", "bell" or "timed"
    for item in steps.items:
        if isinstance(item, Mark):
            section += 1
            yield SectionMark(section, item.title, 0 if section == 0 else cursor)
        elif isinstance(item, Speak):
            if previous == "speech":
                cursor += samples(pace.step_gap)
            for i, sentence in enumerate(sentences(item.text)):
                if i:
                    cursor += samples(pace.sentence_gap)
                yield Horizon(cursor)
                length = sentence_length(sentence)
                yield Event(cursor, length, "speech", section, sentence)
                cursor += length
            previous = "speech"
        elif isinstance(item, Bell):
            if previous == "speech":
                cursor += samples(pace.sentence_gap)
            yield Event(cursor, samples(CHIME_SECONDS), "chime", section)
            cursor += samples(BELL_STEP)
            previous = "bell"
        elif isinstance(item, Wait):
            yield Horizon(cursor)
            events = _wait(item, cursor, section, sentence_length, sr)
            yield from events
            cursor += samples(item.seconds)
            previous = "timed"
        elif isinstance(item, Breaths):
            if previous == "speech":
                cursor += samples(BREATH_SETTLE)
            span = samples(item.cycles * item.pattern.cycle)
            yield Horizon(cursor)
            yield from _breathing(item.pattern, item.cycles, cursor, span, section, sentence_length, sr, [])
            cursor += span
            previous = "timed"
    yield End(cursor + samples(TAIL))


def build(steps: Steps, sentence_length: SentenceLength, pace: Pace, sample_rate: int = SAMPLE_RATE) -> Timeline:
    """Lay out all the steps at once."""
    return collect(steps, layout(steps, sentence_length, pace, sample_rate), sample_rate)


def collect(steps: Steps, parts: Iterable[Event | SectionMark | Horizon | End], sample_rate: int) -> Timeline:
    events: list[Event] = []
    marks: list[SectionMark] = []
    length = 0
    for part in parts:
        if isinstance(part, Event):
            events.append(part)
        elif isinstance(part, SectionMark):
            marks.append(part)
        elif isinstance(part, End):
            length = part.length
    return Timeline(steps.name, steps.title, steps.audience, sample_rate, length, tuple(events), tuple(marks))


def _wait(item: Wait, start: int, section: int, sentence_length: SentenceLength, sr: int) -> list[Event]:
    span = int(round(item.seconds * sr))
    out = [Event(start, span, item.kind, section)]
    busy: list[tuple[int, int]] = []  # where spoken cues already sit, so words do not overlap them
    if item.countdown and item.countdown_text:
        at = start + span - int(round(item.countdown * sr))
        for sentence in sentences(item.countdown_text):
            length = sentence_length(sentence)
            out.append(Event(at, length, "speech", section, sentence))
            busy.append((at, at + length))
            at += length
    for seconds, text in item.callout_texts():  # sample-exact, as the countdown; never over it
        at = start + int(round(seconds * sr))
        length = sentence_length(text)
        if at + length <= start + span and all(at + length <= b0 or at >= b1 for b0, b1 in busy):
            out.append(Event(at, length, "speech", section, text))
            busy.append((at, at + length))
    if item.breathe is not None:
        settle = min(BREATH_SETTLE, item.seconds - item.breathe.cycle)  # the loader ensures one cycle fits
        begin = start + int(round(settle * sr))
        cycles = int((item.seconds - settle) // item.breathe.cycle)
        out += _breathing(item.breathe, cycles, begin, start + span - begin, section, sentence_length, sr, busy)
    if item.pace:
        count = strokes(item.seconds, item.pace)
        for k in range(count):
            at = start + int(round(k * item.seconds / count * sr))
            out.append(Event(at, int(round(TICK_SECONDS * sr)), "tick", section))
    out.sort(key=lambda e: (e.start, KINDS.index(e.kind)))
    return out


def strokes(seconds: float, pace: float) -> int:
    """How many strokes (and ticks) a hold of ``seconds`` paced every ``pace`` seconds has."""
    return max(1, int(seconds / pace + 0.5))


def _breathing(
    pattern: BreathPattern,
    cycles: int,
    start: int,
    span: int,
    section: int,
    sentence_length: SentenceLength,
    sr: int,
    busy: list[tuple[int, int]],
) -> list[Event]:
    out: list[Event] = []
    for cycle in range(cycles):
        offset = cycle * pattern.cycle
        for kind, seconds in pattern.phases():
            begin = start + int(round(offset * sr))
            end = start + int(round((offset + seconds) * sr))
            if end > start + span:
                break
            out.append(Event(begin, end - begin, kind, section))
            if cycle < WORDED_CYCLES:
                word = BREATH_WORDS[kind]
                length = sentence_length(word)
                fits = length <= (end - begin) - int(WORD_MARGIN * sr)
                clear = all(begin + length <= b0 or begin >= b1 for b0, b1 in busy)
                if fits and clear:
                    out.append(Event(begin, length, "speech", section, word))
            offset += seconds
    out.sort(key=lambda e: (e.start, KINDS.index(e.kind)))
    return out
