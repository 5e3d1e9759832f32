"""The goals a plan can have, the techniques that fit each, and how a new plan is built.

A new plan uses only techniques whose equipment is at hand (a wall, a chair, a bed and a
towel always are), leaves out what the therapist advised against, prefers techniques for
the chosen areas, fits each day's session to the minutes (each technique given a share
within its ranges; the render's length fitting settles the rest) and turns the techniques
across the week's days so that consecutive days differ.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from voiceguide import library
from voiceguide.errors import UsageError
from voiceguide.fit import estimated_lengths, length_range
from voiceguide.pace import DEFAULT_PACE
from voiceguide.practice.plan import DAY_NAMES, Day, Item, Plan
from voiceguide.script import Session
from voiceguide.timeline import LEAD_IN, TAIL

HOUSEHOLD = ("wall", "chair", "bed", "towel", "floor", "table", "space to stand")
MOST_PER_SESSION = 4
STEP = 5.0  # seconds: lengths in a new plan are rounded to this


@dataclass(frozen=True)
class Goal:
    name: str
    title: str
    about: str
    techniques: tuple[str, ...]  # library names, the best fits first


GOALS = {
    g.name: g
    for g in (
        Goal(
            "stress-relief",
            "Stress relief",
            "Slow, soothing work for the neck, the face and the shoulders, where tension gathers.",
            ("neck-tension-release", "facial-massage", "upper-trapezius-release", "childs-pose", "warm-compress",
             "tennis-ball-foot-massage", "basic-self-massage"),
        ),
        Goal(
            "injury-prevention",
            "Injury prevention",
            "Keep muscles supple and joints moving: stretches, rolling and leg work.",
            ("hamstring-stretch", "spinal-mobility", "foam-roller", "ankles-and-legs-massage", "basic-self-massage",
             "single-knee-to-chest", "childs-pose"),
        ),
        Goal(
            "rehabilitation",
            "Rehabilitation",
            "Gentle, low-effort movement and warmth while recovering; check each one with your therapist.",
            ("single-knee-to-chest", "spinal-mobility", "warm-compress", "childs-pose", "ankles-and-legs-massage",
             "hamstring-stretch"),
        ),
        Goal(
            "back-pain",
            "Back pain",
            "Ease and mobilise the back: resting stretches, gentle mobility and ball or roller release.",
            ("childs-pose", "spinal-mobility", "single-knee-to-chest", "tennis-ball-back-wall", "foam-roller",
             "chi-ball", "spiky-ball", "hamstring-stretch", "warm-compress"),
        ),
        Goal(
            "partner-massage",
            "Partner massage",
            "A full back massage to give a partner, with the shoulders, neck and scalp.",
            ("partner-back-massage",),
        ),
    )
}


def thing(words: str) -> str:
    """What a piece of equipment is, without how the script says it: "a tennis ball" and
    "Tennis ball" are one thing, and so are "some massage oil" and "massage oil"."""
    name = " ".join(words.strip().lower().split())
    for article in ("a ", "an ", "the ", "some ", "a little "):
        if name.startswith(article):
            name = name[len(article) :]
    return name


def has_equipment(session: Session, at_hand: tuple[str, ...]) -> bool:
    """Whether every piece the session needs is at hand; "strap or towel" needs either."""
    have = {thing(w) for w in at_hand}

    def found(alternative: str) -> bool:  # "a clear stretch of wall" is a wall
        name = thing(alternative)
        return name in have or any(name == word or name.endswith(" " + word) for word in HOUSEHOLD)

    return all(any(found(alt) for alt in need.split(" or ")) for need in session.equipment)


def _areas_match(session: Session, areas: tuple[str, ...]) -> bool:
    wanted = [a.lower() for a in areas]
    return any(w in a.lower() or a.lower() in w for a in session.areas for w in wanted)


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
    """A new plan, with warnings for anything a person should know (a session that cannot fill
    the minutes, say)."""
    if goal not in GOALS:
        raise UsageError(f"unknown goal {goal!r}; the goals are {', '.join(GOALS)}")
    sessions = {name: library.load(name) for name in GOALS[goal].techniques if name not in avoid}
    fitting = [s for s in sessions.values() if has_equipment(s, equipment)]
    if not fitting:
        needs = sorted({e for s in sessions.values() for e in s.equipment})
        raise UsageError(
            f"no technique for {goal} can be done with the equipment at hand; "
            f"add some with --equipment (these would help: {', '.join(needs) or 'none'})"
        )
    for_areas = [s for s in fitting if _areas_match(s, areas)] if areas else fitting
    pool = for_areas if len(for_areas) >= 2 or (for_areas and len(fitting) < 2) else fitting
    lengths = {s.name: _part_range(s) for s in pool}
    target = minutes * 60 - LEAD_IN - TAIL
    plan_days: list[Day] = []
    warnings: list[str] = []
    start = 0
    for key in days:
        chosen = _choose(pool, lengths, target, start)
        start = (start + len(chosen)) % len(pool)
        items = _share(chosen, lengths, target)
        # The session around the techniques (its title, the equipment to fetch, the cautions,
        # the closing) takes time too: measure it once and give the techniques the rest.
        framing = _session_seconds(goal, Day(key, items)) - sum(i.seconds or 0 for i in items)
        items = _share(chosen, lengths, minutes * 60 - framing)
        total = sum(i.seconds or 0 for i in items) + framing
        if abs(total - minutes * 60) > 60:
            warnings.append(
                f"{DAY_NAMES[key]} lasts about {total / 60:.0f} minutes: the techniques at hand "
                f"cannot make {minutes:g}"
            )
        plan_days.append(Day(key, items))
    plan = Plan(goal, areas, equipment, minutes, time, zone, today or dt.date.today(), tuple(plan_days))
    return Built(plan, tuple(dict.fromkeys(warnings)))


def _session_seconds(goal: str, day: Day) -> float:
    """Seconds a day of the plan lasts as one session (estimated speech)."""
    from voiceguide.practice.sessions import day_session

    stub = Plan(goal, (), (), 0, "00:00", "UTC", dt.date.today(), (day,))
    return length_range(day_session(stub, day), estimated_lengths(DEFAULT_PACE), DEFAULT_PACE)[1]


def _part_range(session: Session) -> tuple[float, float]:
    """Seconds a technique can take inside a routine (estimated speech), shortest and longest."""
    lo, hi = length_range(session, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE)
    return max(STEP, lo - LEAD_IN - TAIL), max(STEP, hi - LEAD_IN - TAIL)


def _choose(pool: list[Session], lengths: dict[str, tuple[float, float]], target: float, start: int) -> list[Session]:
    """Techniques from ``start`` in turn, as many as fit in ``target`` seconds at their shortest."""
    turn = pool[start:] + pool[:start]
    chosen: list[Session] = []
    low = high = 0.0
    for session in turn:
        lo, hi = lengths[session.name]
        if len(chosen) >= MOST_PER_SESSION or high >= target:
            break
        if low + lo <= target:
            chosen.append(session)
            low, high = low + lo, high + hi
    return chosen or [min(turn, key=lambda s: lengths[s.name][0])]


def _share(chosen: list[Session], lengths: dict[str, tuple[float, float]], target: float) -> tuple[Item, ...]:
    """Each technique's seconds: its shortest, plus a share of the rest in proportion to its range."""
    low = sum(lengths[s.name][0] for s in chosen)
    spare = sum(lengths[s.name][1] - lengths[s.name][0] for s in chosen)
    extra = max(0.0, min(target - low, spare))
    items = []
    for session in chosen:
        lo, hi = lengths[session.name]
        seconds = lo + (extra * (hi - lo) / spare if spare else 0.0)
        items.append(Item(session.name, max(STEP, round(seconds / STEP) * STEP)))
    return tuple(items)
