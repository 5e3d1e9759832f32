"""The technique script model: what the loader produces and the planner consumes.

Everything is frozen. Durations are in seconds; ``Span`` holds a fixed value or a range.
Each step remembers its ``line`` and ``col`` in the file, for messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voiceguide.units import BreathPattern, Span

AUDIENCES = ("self", "partner")
# Where the listener is during a technique, in the order a session moves through them:
# from standing down to the floor, never up and down again.
POSITIONS = ("standing", "sitting", "kneeling", "lying on the back", "lying face down")


@dataclass(frozen=True)
class Say:
    """Speak. Several texts rotate across repeats: first, middle ones, last. ``detail`` is
    dropped by brief guidance; ``brief`` (when given) is said instead under brief guidance;
    ``alone`` is said only when the technique plays by itself, not inside a routine."""

    texts: tuple[str, ...]
    detail: bool = False
    brief: tuple[str, ...] = ()
    alone: bool = False
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Pause:
    """Music only, for ``seconds``. ``detail``: left out under brief guidance."""

    seconds: Span
    detail: bool = False
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Hold:
    """Stay in a position for ``seconds``; optionally guided breathing, a spoken warning
    ``countdown`` seconds before the end, and a soft tick every ``pace`` seconds."""

    seconds: Span
    breathe: BreathPattern | None = None
    countdown: float | None = None
    pace: float | None = None
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Breathe:
    """Guided breathing for a number of whole ``cycles`` (a range when given as ``for:``).
    ``detail``: left out under brief guidance."""

    pattern: BreathPattern
    cycles: Span
    detail: bool = False
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Repeat:
    times: Span
    steps: tuple[Step, ...]
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Sides:
    """Run ``steps`` once per side; ``{side}`` and ``{other_side}`` are filled in. ``part`` names
    what moves (``leg``: "Now the left leg."); ``switch`` is a text said between sides instead."""

    sides: tuple[str, ...]
    steps: tuple[Step, ...]
    part: str = ""
    switch: str = ""
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Chime:
    kind: str = "soft"
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Section:
    title: str
    line: int = 0
    col: int = 0


Step = Say | Pause | Hold | Breathe | Repeat | Sides | Chime | Section


@dataclass(frozen=True)
class Prepare:
    """A piece of equipment that takes time to get ready (a wheat bag to heat): ``text`` is said
    after the equipment sentence, then the session waits ``seconds`` for it."""

    item: str
    text: str
    seconds: float


@dataclass(frozen=True)
class Script:
    """One technique."""

    name: str
    path: Path
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    audience: str = "self"
    areas: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    safety: str = ""
    music: str | None = None  # a mood name, or a file path already resolved against the script
    position: str = ""  # one of POSITIONS, or "" when the script does not say
    prepare: tuple[Prepare, ...] = ()  # the equipment that must be made ready, in order

    kind = "technique"


SHORTEST = 0.0  # an entry's length written ``shortest``: as short as its ranges allow


@dataclass(frozen=True)
class Entry:
    """One technique (or routine) inside a routine, optionally fitted to ``length`` seconds
    (``SHORTEST``: the low end of every range)."""

    item: Script | Routine
    length: float | None = None
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Routine:
    """Several techniques played as one session, each its own section."""

    name: str
    path: Path
    title: str
    entries: tuple[Entry, ...]
    summary: str = ""
    music: str | None = None
    safety: str = ""  # spoken after the title, before everything the routine's techniques say

    kind = "routine"

    @property
    def audience(self) -> str:
        audiences = {leaf.audience for leaf in self.techniques()}
        return "partner" if audiences == {"partner"} else "self"

    @property
    def areas(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for leaf in self.techniques():
            seen.update(dict.fromkeys(leaf.areas))
        return tuple(seen)

    @property
    def equipment(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for leaf in self.techniques():
            seen.update(dict.fromkeys(leaf.equipment))
        return tuple(seen)

    @property
    def prepare(self) -> tuple[Prepare, ...]:
        seen: dict[str, Prepare] = {}
        for leaf in self.techniques():
            seen.update({p.item: p for p in leaf.prepare if p.item not in seen})
        return tuple(seen.values())

    def techniques(self) -> list[Script]:
        out: list[Script] = []
        for entry in self.entries:
            out.extend([entry.item] if isinstance(entry.item, Script) else entry.item.techniques())
        return out


Session = Script | Routine
