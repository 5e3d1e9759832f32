"""Steps: expand a technique or routine into a flat list of things to do.

Every range is settled here by a ``Choice`` (0 picks the low end of each range, 1 the high
end, 0.5 the middle); repeats and sides are unrolled, rotating texts are picked, and the
session's opening and closing words are added. Durations are in seconds; nothing is timed
to the sample yet (that is the timeline's job, once the speech exists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from voiceguide.script import (
    Breathe,
    Chime,
    Hold,
    Pause,
    Repeat,
    Routine,
    Say,
    Script,
    Section,
    Session,
    Sides,
    Step,
)
from voiceguide.text import countdown_phrase
from voiceguide.units import BreathPattern

BREATH_WORDS = {"breath-in": "Breathe in.", "breath-out": "And out.", "breath-hold": "Hold."}
WORDED_CYCLES = 2  # breathing words are spoken for the first cycles only, then sound alone

CLOSING = {
    "self": "This is the end of the session. Take your time before you get up.",
    "partner": "That is the end of the massage. Let your partner rest for a moment before they get up.",
}


@dataclass(frozen=True)
class Choice:
    """Where to sit inside the script's ranges: 0 is the low end, 1 the high end."""

    counts: float = 0.5
    seconds: float = 0.5


MIDDLE = Choice()


@dataclass(frozen=True)
class Mark:
    """A section starts here."""

    title: str


@dataclass(frozen=True)
class Speak:
    text: str
    role: str = "say"  # say, title, safety, switch, end


@dataclass(frozen=True)
class Bell:
    kind: str = "soft"


@dataclass(frozen=True)
class Wait:
    """A timed span with no instruction: ``pause`` (music only) or ``hold`` (stay in position)."""

    kind: str
    seconds: float
    breathe: BreathPattern | None = None
    countdown: float | None = None
    pace: float | None = None

    @property
    def countdown_text(self) -> str | None:
        return countdown_phrase(self.countdown) if self.countdown else None


@dataclass(frozen=True)
class Breaths:
    pattern: BreathPattern
    cycles: int


Item = Mark | Speak | Bell | Wait | Breaths


@dataclass(frozen=True)
class Steps:
    name: str
    title: str
    audience: str
    music: str | None
    items: tuple[Item, ...] = field(repr=False)

    def phrases(self) -> list[str]:
        """Every text the voice must say, each once, in order of first use."""
        seen: dict[str, None] = {}
        breathing = False
        for item in self.items:
            if isinstance(item, Speak):
                seen[item.text] = None
            elif isinstance(item, Wait):
                if item.countdown_text:
                    seen[item.countdown_text] = None
                breathing = breathing or item.breathe is not None
            elif isinstance(item, Breaths):
                breathing = True
        if breathing:
            seen.update(dict.fromkeys(BREATH_WORDS.values()))
        return list(seen)


def leaves(session: Session) -> list[tuple[Script, float | None]]:
    """The techniques a session plays, in order, each with its routine-given length."""
    if isinstance(session, Script):
        return [(session, None)]
    out: list[tuple[Script, float | None]] = []
    for entry in session.entries:
        if isinstance(entry.item, Script):
            out.append((entry.item, entry.length))
        else:
            out.extend(leaves(entry.item))
    return out


Chooser = Callable[[int, Script], Choice]


def build(session: Session, choose: Choice | Chooser = MIDDLE) -> Steps:
    """Expand ``session``. ``choose`` is one Choice for all, or a function of (index, technique)."""
    fixed = choose if isinstance(choose, Choice) else None
    pick: Chooser = (lambda _i, _s: fixed) if fixed is not None else choose  # type: ignore[assignment]
    items: list[Item] = []
    techniques = leaves(session)
    if isinstance(session, Routine):
        items.append(Mark(_opening_title(techniques[0][0], routine=True)))
        items += [Bell(), Speak(session.title, "title")]
        if session.summary:
            items.append(Speak(session.summary, "say"))
        for index, (script, _length) in enumerate(techniques):
            items += technique_items(script, pick(index, script), routine=True, first=index == 0)
        audience = session.audience
    else:
        script = techniques[0][0]
        items.append(Mark(_opening_title(script, routine=False)))
        items.append(Bell())
        items += technique_items(script, pick(0, script), routine=False, first=True)
        audience = script.audience
    items += [Speak(CLOSING[audience], "end"), Bell()]
    return Steps(session.name, session.title, audience, session.music, tuple(items))


def _opening_title(script: Script, *, routine: bool) -> str:
    lead = _leading_section(script.steps)
    if lead is None:
        return script.title
    return f"{script.title}: {lead.title}" if routine else lead.title


def _leading_section(steps: tuple[Step, ...]) -> Section | None:
    for step in steps:
        if isinstance(step, Chime):
            continue
        return step if isinstance(step, Section) else None
    return None


def technique_items(script: Script, choice: Choice, *, routine: bool, first: bool) -> list[Item]:
    out: list[Item] = []
    lead = _leading_section(script.steps)
    if routine and not first:
        out.append(Mark(_opening_title(script, routine=True)))
    out.append(Speak(script.title, "title"))
    if script.safety:
        out.append(Speak(script.safety, "safety"))
    prefix = f"{script.title}: " if routine else ""
    steps = tuple(s for s in script.steps if s is not lead)
    out.extend(_expand(steps, choice, _Context(script.audience), prefix))
    return out


@dataclass(frozen=True)
class _Context:
    audience: str = "self"
    side: str = ""
    other_side: str = ""
    repeat_index: int = 0
    repeat_total: int = 1


def _expand(steps: tuple[Step, ...], choice: Choice, ctx: _Context, prefix: str) -> Iterator[Item]:
    for step in steps:
        if isinstance(step, Say):
            yield Speak(_fill(rotate(step.texts, ctx.repeat_index, ctx.repeat_total), ctx))
        elif isinstance(step, Pause):
            yield Wait("pause", step.seconds.at(choice.seconds))
        elif isinstance(step, Hold):
            yield Wait("hold", step.seconds.at(choice.seconds), step.breathe, step.countdown, step.pace)
        elif isinstance(step, Breathe):
            yield Breaths(step.pattern, step.cycles.count_at(choice.counts))
        elif isinstance(step, Repeat):
            total = step.times.count_at(choice.counts)
            for i in range(total):
                yield from _expand(
                    step.steps, choice, _Context(ctx.audience, ctx.side, ctx.other_side, i, total), prefix
                )
        elif isinstance(step, Sides):
            for j, side in enumerate(step.sides):
                other = step.sides[(j + 1) % len(step.sides)]
                if j:
                    yield Speak(switch_phrase(side, ctx.audience), "switch")
                yield from _expand(
                    step.steps, choice, _Context(ctx.audience, side, other, ctx.repeat_index, ctx.repeat_total), prefix
                )
        elif isinstance(step, Chime):
            yield Bell(step.kind)
        elif isinstance(step, Section):
            yield Mark(prefix + step.title)


def rotate(texts: tuple[str, ...], index: int, total: int) -> str:
    """The text for repeat ``index`` of ``total``: the first text first, the last text last,
    and the ones between (or the second, when there are two) in turn in the middle."""
    if len(texts) == 1 or index == 0:
        return texts[0]
    if index == total - 1:
        return texts[-1]
    middle = texts[1:-1] if len(texts) > 2 else texts[1:]
    return middle[(index - 1) % len(middle)]


def switch_phrase(side: str, audience: str = "self") -> str:
    """What is said between sides. A partner script speaks to the giver, whose sides are not meant."""
    if side in ("left", "right"):
        return f"Now move to the {side} side." if audience == "partner" else f"Now switch to your {side} side."
    return f"Now switch to the {side}."


def _fill(text: str, ctx: _Context) -> str:
    return text.replace("{side}", ctx.side).replace("{other_side}", ctx.other_side)
