"""The composer: techniques picked for areas, equipment and minutes, put in an order that moves
the listener one way only (standing, sitting, kneeling, lying), and fitted to the minutes.

The plan builder and a session made on the spot (``voiceguide play --areas neck --minutes 10``)
share it: each day of a plan is a composed session. A technique is used only when its equipment
is at hand (a wall, a chair, a bed and a towel always are) and the therapist has not advised
against it. The same request gives the same session; a ``seed`` varies the choice. Of the sets
of techniques that cover the most areas asked, the most relevant whose measured length meets
the minutes is used (``lengths`` gives each technique its seconds within its ranges).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voiceguide import library
from voiceguide.equipment import spoken_list
from voiceguide.errors import UsageError
from voiceguide.facts import Facts, asked_areas, covers, library_facts, works
from voiceguide.practice.goals import GOALS
from voiceguide.practice.lengths import Parts, fitted, guessed, loaded
from voiceguide.practice.lengths import session_length as session_length  # the length of what it composes
from voiceguide.practice.plan import DAY_NAMES, Day, Item, Plan
from voiceguide.script import AUDIENCES, POSITIONS, Entry, Routine, Session
from voiceguide.units import format_duration

HOUSEHOLD = ("wall", "chair", "bed", "towel", "floor", "table", "space to stand")
CLOSE = 30.0  # seconds: a composed session lasts the minutes asked to within this
FRAMING = 45.0  # seconds: a first guess at the time around the techniques, before it is measured
CONSIDERED = 12  # the most relevant techniques a session is composed from
MOST_PER_SESSION = 6
SLACK = 30.0  # seconds: a choice whose guessed length misses the target by this much can still fit
NEAR = 2.0  # seconds: a session this near the minutes asked ends the search for a nearer one
MEASURED = 24  # the most sets of techniques measured for one request


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
        return _composed(ranked, asked, wanted, make)

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


def _composed(
    ranked: list[Facts], asked: tuple[str, ...], target: float, make: Callable[[Parts], Routine]
) -> tuple[Routine, float]:
    """The session of techniques that lasts ``target`` seconds, and how long it lasts: of the
    sets that work the most areas asked, the most relevant (then the fewest) whose measured
    length is within CLOSE of it, one within NEAR if there is. The sets are measured in the
    order a guess at their lengths gives, at most MEASURED of them."""
    coverable = [a for a in asked if works(tuple(_areas(ranked)), (a,))]
    sets = []
    for picks in _choices(ranked):
        chosen = by_position([ranked[i] for i in picks])
        low, high = guessed(chosen)
        covered = sum(1 for a in coverable if works(tuple(_areas(chosen)), (a,)))
        miss = max(0.0, low - target - SLACK, target - high - SLACK)
        sets.append(((miss, -covered, *picks), covered, chosen))
    sets.sort(key=lambda s: s[0])
    best: tuple[tuple[bool, int, bool], Routine, float] | None = None
    for _key, covered, chosen in sets[:MEASURED]:
        routine, total = fitted(chosen, target, make)
        error = abs(total - target)
        score = (error > CLOSE, -covered, error > NEAR)
        if best is None or score < best[0]:
            best = (score, routine, total)
        if error <= NEAR and best[1] is routine:
            break
    assert best is not None
    return best[1], best[2]


def _cannot(named: str, minutes: float, ranked: list[Facts], works_for: Callable[[int], bool]) -> str:
    """Why a session of ``minutes`` cannot be made, naming the nearest whole minutes that can."""
    spans = sorted(guessed(by_position([ranked[i] for i in picks])) for picks in _choices(ranked))
    near = CLOSE + SLACK
    possible = [m for m in range(1, 241) if any(lo - near <= m * 60 <= hi + near for lo, hi in spans)]
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
