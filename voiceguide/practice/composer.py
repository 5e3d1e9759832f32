"""The composer: techniques picked for areas, equipment and minutes, put in an order that moves
the listener one way only (standing, sitting, kneeling, lying), and fitted to the minutes.

The plan builder and a session made on the spot (``voiceguide play --areas neck --minutes 10``)
share it: each day of a plan is a composed session. A technique is used only when its equipment
is at hand (a wall, a chair, a bed and a towel always are) and the therapist has not advised
against it. The same request gives the same session; a ``seed`` varies the choice. Each
technique is given a length within its ranges (the render's fitting meets it), and the time
around them (titles, the equipment, the changes of place, the closing) is measured, so the
whole lasts the minutes asked.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voiceguide import library
from voiceguide.equipment import spoken_list
from voiceguide.errors import UsageError
from voiceguide.facts import Facts, asked_areas, covers, library_facts, works
from voiceguide.fit import estimated_lengths, length_range, steps_length
from voiceguide.pace import DEFAULT_PACE
from voiceguide.practice.goals import GOALS
from voiceguide.practice.plan import DAY_NAMES, Day, Item, Plan
from voiceguide.script import AUDIENCES, POSITIONS, Entry, Routine, Session
from voiceguide.steps import Choice
from voiceguide.steps import build as expand
from voiceguide.units import format_duration

HOUSEHOLD = ("wall", "chair", "bed", "towel", "floor", "table", "space to stand")
STEP = 5.0  # seconds: each technique's length is a multiple of this
CLOSE = 30.0  # seconds: a composed session lasts the minutes asked to within this
FRAMING = 45.0  # seconds: a first guess at the time around the techniques, before it is measured
CONSIDERED = 12  # the most relevant techniques a session is composed from
MOST_PER_SESSION = 6
SLACK = 15.0  # seconds: a choice whose guessed length misses the target by this much can still fit
Parts = list[tuple[Facts, float]]  # techniques, each with its seconds


def thing(words: str) -> str:
    """What a piece of equipment is, without how the script says it: "a tennis ball" and
    "Tennis ball" are one thing, and so are "some massage oil" and "massage oil"."""
    name = " ".join(words.strip().lower().split())
    for article in ("a little ", "a ", "an ", "the ", "some "):
        if name.startswith(article):
            name = name[len(article) :]
    return name


def missing(needs: tuple[str, ...], at_hand: tuple[str, ...]) -> list[str]:
    """What is not at hand of what a technique needs; "strap or towel" needs either."""
    have = {thing(w) for w in at_hand}

    def found(alternative: str) -> bool:  # "a clear stretch of wall" is a wall
        name = thing(alternative)
        return name in have or any(name == word or name.endswith(" " + word) for word in HOUSEHOLD)

    return [need for need in needs if not any(found(alt) for alt in need.split(" or "))]


def has_equipment(session: Session | Facts, at_hand: tuple[str, ...]) -> bool:
    """Whether every piece the session needs is at hand."""
    return not missing(tuple(session.equipment), at_hand)


def by_position(chosen: list[Facts]) -> list[Facts]:
    """The techniques in the order that moves the listener one way: standing first, lying last
    (a technique that does not say where it is done goes first); otherwise as chosen."""
    return sorted(chosen, key=lambda f: POSITIONS.index(f.position) if f.position in POSITIONS else -1)


def session_length(session: Session) -> float:
    """Seconds the session lasts with every technique at the length it is given (estimated
    speech, each length met as the render's fitting meets it)."""
    return length_range(session, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE)[0]


def around(routine: Routine, chosen: list[Facts]) -> float:
    """Seconds of the routine that are not its techniques' own (its title, summary and equipment,
    the changes of place, the closing): measured once with every technique at its shortest."""
    steps = expand(routine, Choice(0.0, 0.0))
    return steps_length(steps, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE) - sum(_low(f) for f in chosen)


def _low(facts: Facts) -> float:
    return (facts.part or (0.0, 0.0))[0]


def share(chosen: list[Facts], target: float) -> Parts:
    """Each technique's seconds: its shortest, plus a share of the rest in proportion to its range."""
    ranges = [f.part or (0.0, 0.0) for f in chosen]
    low = sum(lo for lo, _hi in ranges)
    spare = sum(hi - lo for lo, hi in ranges)
    extra = max(0.0, min(target - low, spare))
    out = []
    for facts, (lo, hi) in zip(chosen, ranges, strict=True):
        seconds = lo + (extra * (hi - lo) / spare if spare else 0.0)
        out.append((facts, max(STEP, min(_down(hi), max(_up(lo), round(seconds / STEP) * STEP)))))
    return out


def _up(seconds: float) -> float:
    return math.ceil(seconds / STEP) * STEP


def _down(seconds: float) -> float:
    return math.floor(seconds / STEP) * STEP


def fitted(chosen: list[Facts], seconds: float, make: Callable[[Parts], Routine]) -> tuple[Routine, float]:
    """The routine of ``chosen`` (in this order) that lasts ``seconds`` as near as its ranges
    allow, and how long it lasts: the time around the techniques is measured, and the
    techniques share the rest."""
    framed = around(make(share(chosen, seconds - framing(chosen))), chosen)
    parts = share(chosen, seconds - framed)
    return make(parts), framed + sum(s for _f, s in parts)


def loaded(parts: Parts) -> tuple[Entry, ...]:
    return tuple(Entry(_script(facts.path), seconds) for facts, seconds in parts)


@functools.lru_cache(maxsize=64)
def _script(path: str) -> Session:
    return library.load(path)


# -- a session on the spot ------------------------------------------------------------------


@dataclass(frozen=True)
class Composed:
    """A session composed for a request, and what a person should know about it (an area
    nothing at hand works, say)."""

    session: Routine
    seconds: float  # how long it lasts (estimated speech)
    notes: tuple[str, ...] = ()


def compose(
    areas: str,
    minutes: float,
    equipment: tuple[str, ...] = (),
    audience: str = "self",
    seed: int = 1,
    avoid: frozenset[str] = frozenset(),
    path: Path | None = None,
) -> Composed:
    """A session for ``areas`` ("neck,shoulders") lasting ``minutes``, from techniques whose
    equipment is at hand. A request that cannot be met is a UsageError naming what would work."""
    if audience not in AUDIENCES:
        raise UsageError(f"--for: choose {' or '.join(AUDIENCES)}, not {audience!r}")
    facts = library_facts()
    asked = asked_areas(areas, facts)
    named = spoken_list(asked)
    techniques = [f for f in facts if f.part is not None and f.audience == audience and works(f.areas, asked)]
    if not techniques:
        given = [f for f in facts if f.part is not None and f.audience == audience]
        there = sorted({a.lower() for f in given for a in f.areas})
        raise UsageError(f"no technique for {_for(audience)} works the {named}; its areas are: {', '.join(there)}")
    allowed = [f for f in techniques if f.name not in avoid]
    if not allowed:
        raise UsageError(f"your therapist's notes advise against every technique for the {named}")
    at_hand = [f for f in allowed if has_equipment(f, equipment)]
    if not at_hand:
        needs = sorted({thing(n) for f in allowed for n in missing(f.equipment, equipment)})
        raise UsageError(
            f"every {named} technique needs one of: {', '.join(needs)}; "
            f'say what you have with --equipment, such as --equipment "{needs[0]}"'
        )
    seconds = minutes * 60
    title = f"{named[0].upper()}{named[1:]}, {minutes:g} minute{'s' if minutes != 1 else ''}"
    name = "-".join(a.replace(" ", "-") for a in asked) + f"-{minutes:g}m"

    def make(parts: Parts) -> Routine:
        summary = f"A session for your {named}, composed from the library: " + spoken_list(
            tuple(f.title.lower() for f, _s in parts)
        )
        return Routine(name, path or Path(f"{name}.yaml"), title, loaded(parts), summary + ".")

    ranked = _ranked(at_hand, asked, seed)

    def lasting(wanted: float) -> tuple[Routine, float]:
        return fitted(by_position(_choose(ranked, asked, wanted)), wanted, make)

    routine, total = lasting(seconds)
    if abs(total - seconds) > CLOSE:
        raise UsageError(_cannot(named, minutes, ranked, lambda m: abs(lasting(m * 60)[1] - m * 60) <= CLOSE))
    worked = tuple(_areas(at_hand))
    notes = [f"nothing at hand works the {a}, so it is left out" for a in asked if not works(worked, (a,))]
    return Composed(routine, total, tuple(notes))


def _areas(facts: list[Facts]) -> list[str]:
    return [a for f in facts for a in f.areas]


def _for(audience: str) -> str:
    return "a partner" if audience == "partner" else "yourself"


def _ranked(pool: list[Facts], asked: tuple[str, ...], seed: int) -> list[Facts]:
    """The most relevant techniques first: those for more of the areas asked, for the first
    areas asked, and those for which an area asked is their own first. ``seed`` turns the order
    of techniques of about the same relevance."""

    def score(facts: Facts) -> float:
        weight = sum(len(asked) - i for i, area in enumerate(asked) if covers(facts.areas, area))
        primary = 0.5 if facts.areas and works(facts.areas[:1], asked) else 0.0
        return weight + primary + 0.75 * random.Random(f"{seed}:{facts.name}").random()

    return sorted(pool, key=score, reverse=True)[:CONSIDERED]


def _choices(ranked: list[Facts]) -> Iterator[tuple[int, ...]]:
    for size in range(1, min(MOST_PER_SESSION, len(ranked)) + 1):
        yield from itertools.combinations(range(len(ranked)), size)


def _span(chosen: list[Facts]) -> tuple[float, float]:
    """A guess at the shortest and longest a session of these techniques lasts, in seconds."""
    extra = framing(by_position(chosen))
    return extra + sum(_low(f) for f in chosen), extra + sum((f.part or (0.0, 0.0))[1] for f in chosen)


def _choose(ranked: list[Facts], asked: tuple[str, ...], target: float) -> list[Facts]:
    """The techniques that can fill ``target`` seconds between their shortest and longest: those
    that work the most areas asked, then the most relevant, then the fewest."""
    coverable = [a for a in asked if works(tuple(_areas(ranked)), (a,))]
    best: tuple[tuple[float, ...], tuple[int, ...]] | None = None
    for picks in _choices(ranked):
        chosen = [ranked[i] for i in picks]
        low, high = _span(chosen)
        miss = max(0.0, low - target, target - high)
        covered = sum(1 for a in coverable if works(tuple(_areas(chosen)), (a,)))
        key = (max(0.0, miss - SLACK), -covered, *picks)
        if best is None or key < best[0]:
            best = (key, picks)
    assert best is not None
    return [ranked[i] for i in best[1]]


def _cannot(named: str, minutes: float, ranked: list[Facts], works_for: Callable[[int], bool]) -> str:
    """Why a session of ``minutes`` cannot be made, naming the nearest whole minutes that can."""
    spans = sorted(_span([ranked[i] for i in picks]) for picks in _choices(ranked))
    possible = [m for m in range(1, 241) if any(lo - CLOSE <= m * 60 <= hi + CLOSE for lo, hi in spans)]
    below = next((m for m in reversed(possible) if m < minutes and works_for(m)), None)
    above = next((m for m in possible if m > minutes and works_for(m)), None)
    if above is None and below is not None:
        return (
            f"the longest session for the {named} with your equipment is {below} minutes; "
            "ask for that or less, or add areas or equipment"
        )
    if below is None and above is not None:
        return (
            f"the shortest session for the {named} with your equipment is {above} minutes; "
            "ask for that or more with --minutes"
        )
    if below is not None and above is not None:
        return f"the {named} techniques at hand cannot make {minutes:g} minutes; {below} or {above} minutes would work"
    return f"the {named} techniques at hand cannot make {minutes:g} minutes"


def framing(chosen: list[Facts]) -> float:
    """A guess at the seconds around these techniques in a session, in this order: its title,
    summary and equipment, each technique's title, each change of place, the closing."""
    moves = sum(1 for a, b in itertools.pairwise(chosen) if a.position and b.position and a.position != b.position)
    return 20.0 + 12.0 * len(chosen) + 9.0 * moves


def routine_text(routine: Routine, request: str) -> str:
    """The composed session as an ordinary routine file: a person can read it, edit it and play
    it again (``request``: the options that made it, for its header)."""
    lines = [
        f"# Composed for {request}.",
        "# An ordinary routine: edit it freely; `validate` checks it and `play` plays it.",
        f"title: {json.dumps(routine.title, ensure_ascii=False)}",
        f"summary: {json.dumps(routine.summary, ensure_ascii=False)}",
        "routine:",
    ]
    for entry in routine.entries:
        length = f": {{length: {format_duration(entry.length)}}}" if entry.length else ""
        lines.append(f"  - {entry.item.name}{length}")
    return "\n".join(lines) + "\n"


# -- the plan's days ------------------------------------------------------------------------

MOST_PER_DAY = 4  # techniques in a day of a plan


@dataclass(frozen=True)
class Built:
    plan: Plan
    warnings: tuple[str, ...]


def build(
    goal: str,
    areas: tuple[str, ...],
    equipment: tuple[str, ...],
    minutes: float,
    days: tuple[str, ...],
    time: str,
    zone: str,
    avoid: frozenset[str] = frozenset(),
    today: dt.date | None = None,
) -> Built:
    """A new plan, each day a composed session of the goal's techniques (turned across the days
    so that consecutive days differ), with warnings for anything a person should know (a
    session that cannot fill the minutes, say)."""
    if goal not in GOALS:
        raise UsageError(f"unknown goal {goal!r}; the goals are {', '.join(GOALS)}")
    facts = {f.name: f for f in library_facts()}
    named = [facts[name] for name in GOALS[goal].techniques if name in facts and name not in avoid]
    fitting = [f for f in named if has_equipment(f, equipment)]
    if not fitting:
        needs = sorted({e for f in named for e in f.equipment})
        raise UsageError(
            f"no technique for {goal} can be done with the equipment at hand; "
            f"add some with --equipment (these would help: {', '.join(needs) or 'none'})"
        )
    for_areas = [f for f in fitting if works(f.areas, areas)] if areas else fitting
    pool = for_areas if len(for_areas) >= 2 or (for_areas and len(fitting) < 2) else fitting
    stub = Plan(goal, (), (), 0, "00:00", "UTC", dt.date.today(), ())
    plan_days: list[Day] = []
    warnings: list[str] = []
    start = 0
    for key in days:
        chosen = _in_turn(pool, minutes * 60 - FRAMING, start)
        start = (start + len(chosen)) % len(pool)

        def make(parts: Parts, key: str = key) -> Routine:
            return day_session(stub, Day(key, tuple(Item(f.name, s) for f, s in parts)), key, Path("plan.yaml"))

        routine, total = fitted(by_position(chosen), minutes * 60, make)
        if abs(total - minutes * 60) > 60:
            warnings.append(
                f"{DAY_NAMES[key]} lasts about {total / 60:.0f} minutes: the techniques at hand cannot make {minutes:g}"
            )
        items = tuple(Item(e.item.name, e.length) for e in routine.entries)
        plan_days.append(Day(key, items))
    plan = Plan(goal, areas, equipment, minutes, time, zone, today or dt.date.today(), tuple(plan_days))
    return Built(plan, tuple(dict.fromkeys(warnings)))


def _in_turn(pool: list[Facts], target: float, start: int) -> list[Facts]:
    """Techniques from ``start`` in turn, as many as fit in ``target`` seconds at their shortest."""
    turn = pool[start:] + pool[:start]
    chosen: list[Facts] = []
    low = high = 0.0
    for facts in turn:
        lo, hi = facts.part or (0.0, 0.0)
        if len(chosen) >= MOST_PER_DAY or high >= target:
            break
        if low + lo <= target:
            chosen.append(facts)
            low, high = low + lo, high + hi
    return chosen or [min(turn, key=lambda f: (f.part or (0.0, 0.0))[0])]


def day_session(plan: Plan, day: Day, name: str, path: Path) -> Routine:
    """A day of the plan as one session named ``name``: its techniques in order, each fitted to its time."""
    goal = GOALS[plan.goal].title if plan.goal in GOALS else plan.goal
    entries = tuple(Entry(library.load(item.name), item.seconds) for item in day.items)
    return Routine(
        name=name,
        path=path,
        title=f"{day.title} practice: {goal.lower()}",
        entries=entries,
        summary=f"The {day.title} session of your {goal.lower()} plan.",
    )
