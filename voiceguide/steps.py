"""Steps: expand a technique or routine into a flat list of things to do.

Every range is settled here by a ``Choice`` (0 picks the low end of each range, 1 the high
end, 0.5 the middle); repeats and sides are unrolled, rotating texts are picked, and the
session's opening and closing words are added. Durations are in seconds; nothing is timed
to the sample yet (that is the timeline's job, once the speech exists).

Two guidance levels: ``full`` says everything; ``brief`` is for someone who knows the
technique, and keeps every instruction and timing, the equipment and one line of safety,
but drops the steps marked ``detail`` and says a say's ``brief`` text where it has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from voiceguide.equipment import equipment_sentence, fetch_seconds, waiting_sentence
from voiceguide.safety import safety_said
from voiceguide.script import (
    Breathe,
    Chime,
    Hold,
    Pause,
    Prepare,
    Repeat,
    Routine,
    Say,
    Script,
    Section,
    Session,
    Sides,
    Step,
)
from voiceguide.text import countdown_phrase, number_words, sentences
from voiceguide.units import BreathPattern

GUIDANCE = ("full", "brief")

BREATH_WORDS = {"breath-in": "Breathe in.", "breath-out": "Breathe out.", "breath-hold": "Hold."}
WORDED_CYCLES = 2  # breathing words are spoken for the first cycles only, then sound alone

CALLOUT_HOLD = 90.0  # seconds: holds this long or longer say "Halfway." and "Thirty seconds left."
CALLOUT_STROKES = 5  # a paced hold says the strokes left every this many strokes
CALLOUT_AFTER_TICK = 0.3  # seconds after its stroke's tick that a stroke callout starts

MOVE_SECONDS = 5.0  # seconds of music to change place between techniques
MOVES = {  # said when a routine's next technique is done in another place
    "standing": "Now come up to standing, with a little space around you.",
    "sitting": "Now come to sitting, on a chair or on the floor.",
    "kneeling": "Now come down to kneel on the floor, on your mat if you have one.",
    "lying on the back": "Now lie down on your back, on the mat or the floor.",
    "lying face down": "Now turn over and lie face down.",
}

CLOSING = {
    "self": "This is the end of the session. Take your time before you stand up.",
    "partner": "That is the end of the massage. Give your partner a moment of rest before they sit up.",
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
    role: str = "say"  # say, title, safety, equipment, prepare, switch, end


@dataclass(frozen=True)
class Bell:
    kind: str = "soft"


@dataclass(frozen=True)
class Wait:
    """A timed span with no instruction: ``pause`` (music only), ``hold`` (stay in position),
    ``fetch`` (time to fetch the equipment), ``wait`` (where play waits for the listener to go
    on, instead of ``fetch``) or ``prepare`` (time to make a thing ready)."""

    kind: str
    seconds: float
    breathe: BreathPattern | None = None
    countdown: float | None = None
    pace: float | None = None
    callouts: bool = False  # say the time left in long holds and the strokes left in stroke work

    @property
    def countdown_text(self) -> str | None:
        return countdown_phrase(self.countdown) if self.countdown else None

    def callout_texts(self) -> list[tuple[float, str]]:
        """(seconds into the hold, text) of each callout: "Halfway." and "Thirty seconds left."
        in holds of ``CALLOUT_HOLD`` seconds or more, and the strokes left every
        ``CALLOUT_STROKES`` strokes in a paced hold. None where the countdown says it already."""
        if not self.callouts or self.kind != "hold":
            return []
        out: list[tuple[float, str]] = []
        if self.pace:
            count = max(1, int(self.seconds / self.pace + 0.5))  # as timeline.strokes
            stroke = self.seconds / count
            for k in range(CALLOUT_STROKES, count, CALLOUT_STROKES):
                left = count - k
                out.append((k * stroke + CALLOUT_AFTER_TICK, f"{number_words(left).capitalize()} strokes left."))
        elif self.seconds >= CALLOUT_HOLD:
            out.append((self.seconds / 2, "Halfway."))
            if not self.countdown or abs(self.countdown - 30.0) > 5.0:
                out.append((self.seconds - 30.0, "Thirty seconds left."))
        return out


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
                seen.update(dict.fromkeys(text for _at, text in item.callout_texts()))
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


def build(session: Session, choose: Choice | Chooser = MIDDLE, guidance: str = "full", callouts: bool = False) -> Steps:
    """Expand ``session``. ``choose`` is one Choice for all, or a function of (index, technique);
    with ``callouts`` the holds say the time or the strokes left (``Wait.callout_texts``)."""
    fixed = choose if isinstance(choose, Choice) else None
    pick: Chooser = (lambda _i, _s: fixed) if fixed is not None else choose  # type: ignore[assignment]
    brief = _is_brief(guidance)
    items: list[Item] = []
    techniques = leaves(session)
    if isinstance(session, Routine):
        items.append(Mark(_opening_title(techniques[0][0], routine=True)))
        items += [Bell(), Speak(session.title, "title")]
        if session.safety:
            items.append(Speak(safety_said(session.safety, brief), "safety"))
        if session.summary and not brief:
            items.append(Speak(session.summary, "say"))
        items += equipment_items(session.equipment, brief, session.prepare)
        own_safety = techniques_say_safety(session, guidance)
        for index, (script, _length) in enumerate(techniques):
            before = techniques[index - 1][0].position if index else ""
            move = MOVES[script.position] if before and script.position and script.position != before else None
            items += technique_items(
                script,
                pick(index, script),
                routine=True,
                first=index == 0,
                guidance=guidance,
                safety=own_safety,
                move=move,
            )
        audience = session.audience
    else:
        script = techniques[0][0]
        items.append(Mark(_opening_title(script, routine=False)))
        items.append(Bell())
        items += technique_items(script, pick(0, script), routine=False, first=True, guidance=guidance)
        audience = script.audience
    closing = CLOSING[audience]
    items += [Speak(sentences(closing)[0] if brief else closing, "end"), Bell()]
    items = _cautions_once(_only_useful_countdowns(items))
    if callouts:
        items = [replace(i, callouts=True) if isinstance(i, Wait) and i.kind == "hold" else i for i in items]
    return Steps(session.name, session.title, audience, session.music, tuple(items))


def _is_brief(guidance: str) -> bool:
    if guidance not in GUIDANCE:
        raise ValueError(f"unknown guidance {guidance!r}; choose one of: {', '.join(GUIDANCE)}")
    return guidance == "brief"


def equipment_items(equipment: tuple[str, ...], brief: bool = False, prepare: tuple[Prepare, ...] = ()) -> list[Item]:
    """The equipment sentence and a ``fetch`` wait, then for each thing to prepare its words and
    a ``prepare`` wait (the same at every guidance level: heating takes what it takes)."""
    if not equipment:
        return []
    text = equipment_sentence(equipment)
    out: list[Item] = [Speak(sentences(text)[0] if brief else text, "equipment")]
    out.append(Wait("fetch", fetch_seconds(len(equipment))))
    for thing in prepare:
        out.append(Speak(f"{thing.text} {waiting_sentence(thing.seconds)}", "prepare"))
        out.append(Wait("prepare", thing.seconds))
    return out


def _cautions_once(items: list[Item]) -> list[Item]:
    """A routine says each caution once: a sentence of a safety line that was said already
    in this session is left out (and the whole line, when nothing new is left)."""
    said: set[str] = set()
    out: list[Item] = []
    for item in items:
        if isinstance(item, Speak) and item.role == "safety":
            fresh = [s for s in sentences(item.text) if s not in said]
            said.update(fresh)
            if fresh:
                out.append(Speak(" ".join(fresh), "safety"))
            continue
        out.append(item)
    return out


def _only_useful_countdowns(items: list[Item]) -> list[Item]:
    """A countdown warns of a change the listener must act on. When the next timed span is a
    hold with the same pacing and breathing, with only words between, the work simply goes on,
    so its countdown is left out."""
    out = list(items)
    for i, item in enumerate(out):
        if not (isinstance(item, Wait) and item.kind == "hold" and item.countdown):
            continue
        following = next((x for x in out[i + 1 :] if not isinstance(x, Speak)), None)
        if (
            isinstance(following, Wait)
            and following.kind == "hold"
            and following.pace == item.pace
            and following.breathe == item.breathe
            and item.pace is not None
        ):
            out[i] = Wait(item.kind, item.seconds, item.breathe, None, item.pace)
    return out


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


def techniques_say_safety(session: Session, guidance: str) -> bool:
    """Brief guidance keeps one line of safety: a routine's own, when it has one."""
    return not (guidance == "brief" and isinstance(session, Routine) and session.safety)


def technique_items(
    script: Script,
    choice: Choice,
    *,
    routine: bool,
    first: bool,
    guidance: str = "full",
    safety: bool = True,
    move: str | None = None,
) -> list[Item]:
    """A technique's items. Inside a routine its equipment was announced at the routine's start,
    and ``move`` (a sentence, with time to do it) says where to go when it changes place."""
    brief = _is_brief(guidance)
    out: list[Item] = []
    lead = _leading_section(script.steps)
    if routine and not first:
        out.append(Mark(_opening_title(script, routine=True)))
    if move:
        out += [Speak(move, "say"), Wait("pause", MOVE_SECONDS)]
    out.append(Speak(script.title, "title"))
    if script.safety and safety:
        out.append(Speak(safety_said(script.safety, brief), "safety"))
    if not routine:
        out += equipment_items(script.equipment, brief, script.prepare)
    prefix = f"{script.title}: " if routine else ""
    steps = tuple(s for s in script.steps if s is not lead)
    out.extend(_expand(steps, choice, _Context(script.audience, brief=brief, routine=routine), prefix))
    return out


@dataclass(frozen=True)
class _Context:
    audience: str = "self"
    side: str = ""
    other_side: str = ""
    repeat_index: int = 0
    repeat_total: int = 1
    brief: bool = False
    routine: bool = False


def _expand(steps: tuple[Step, ...], choice: Choice, ctx: _Context, prefix: str) -> Iterator[Item]:
    for step in steps:
        if isinstance(step, Say):
            if (ctx.brief and step.detail) or (step.alone and ctx.routine):
                continue
            texts = step.brief if ctx.brief and step.brief else step.texts
            yield Speak(_fill(rotate(texts, ctx.repeat_index, ctx.repeat_total), ctx))
        elif isinstance(step, Pause):
            if not (ctx.brief and step.detail):
                yield Wait("pause", step.seconds.at(choice.seconds))
        elif isinstance(step, Hold):
            yield Wait("hold", step.seconds.at(choice.seconds), step.breathe, step.countdown, step.pace)
        elif isinstance(step, Breathe):
            if not (ctx.brief and step.detail):
                yield Breaths(step.pattern, step.cycles.count_at(choice.counts))
        elif isinstance(step, Repeat):
            total = step.times.count_at(choice.counts)
            for i in range(total):
                yield from _expand(step.steps, choice, replace(ctx, repeat_index=i, repeat_total=total), prefix)
        elif isinstance(step, Sides):
            for j, side in enumerate(step.sides):
                other = step.sides[(j + 1) % len(step.sides)]
                inner = replace(ctx, side=side, other_side=other)
                if j:
                    text = _fill(step.switch, inner) if step.switch else switch_phrase(side, ctx.audience, step.part)
                    yield Speak(text, "switch")
                yield from _expand(step.steps, choice, inner, prefix)
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


def switch_phrase(side: str, audience: str = "self", part: str = "") -> str:
    """What is said between sides. With a ``part`` it names what moves ("Now the left leg.");
    a partner script speaks to the giver, whose own sides are not meant."""
    if part:
        return f"Now the {side} {part}."
    if side in ("left", "right"):
        return f"Now move to the {side} side." if audience == "partner" else f"Now switch to your {side} side."
    return f"Now switch to the {side}."


def _fill(text: str, ctx: _Context) -> str:
    return text.replace("{side}", ctx.side).replace("{other_side}", ctx.other_side)
