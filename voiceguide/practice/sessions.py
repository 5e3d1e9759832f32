"""Targets the practice adds to the commands: ``today`` (the plan's session for today),
``plan-monday`` and the like (a day of the plan), and the therapist's notes on any session.

This is where the CLI turns a target into a Session; the library's own loader is unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from voiceguide import library
from voiceguide.errors import UsageError
from voiceguide.practice import composer, home, notes
from voiceguide.practice.plan import DAY_NAMES, DAYS, Day, Plan, day_key
from voiceguide.practice.plan import load as load_plan
from voiceguide.script import Routine, Session

TODAY = "today"
PREFIX = "plan-"


def current_plan() -> Plan:
    path = home.plan_path()
    if not path.exists():
        raise UsageError("there is no plan yet; make one with `voiceguide plan new`")
    return load_plan(path)


def today_key(plan: Plan, now: dt.datetime | None = None) -> str:
    """Today's day (mon ... sun) in the plan's zone."""
    moment = now or dt.datetime.now(dt.UTC)
    return DAYS[moment.astimezone(ZoneInfo(plan.zone)).weekday()]


def today_name(plan: Plan, now: dt.datetime | None = None) -> str | None:
    """The name of today's session of the plan, or None on a day it holds nothing."""
    day = plan.day(today_key(plan, now))
    return None if day is None else day_name(day)


def day_name(day: Day) -> str:
    return f"{PREFIX}{DAY_NAMES[day.day].lower()}"


def day_session(plan: Plan, day: Day) -> Routine:
    """A day of the plan as one session: its techniques in order, each fitted to its time."""
    return composer.day_session(plan, day, day_name(day), home.plan_path())


def plan_day(plan: Plan, target: str) -> Day:
    """The day a target names: ``today``, or ``plan-monday``."""
    if target == TODAY:
        key = today_key(plan)
        found = plan.day(key)
        if found is None:
            planned = ", ".join(d.title for d in plan.days) or "no days"
            raise UsageError(f"your plan holds nothing for today ({DAY_NAMES[key]}); its days are {planned}")
        return found
    key = day_key(target.removeprefix(PREFIX)) or ""
    found = plan.day(key)
    if found is None:
        raise UsageError(f"your plan has no {target!r}; its sessions are {', '.join(session_names(plan))}")
    return found


def session_names(plan: Plan) -> list[str]:
    return [day_name(d) for d in plan.days]


def is_plan_target(target: str) -> bool:
    return target == TODAY or (target.startswith(PREFIX) and day_key(target.removeprefix(PREFIX)) is not None)


def load(target: str, with_notes: bool = True) -> Session:
    """A library name, a path, ``today`` or a plan day, with the therapist's notes unless told not to."""
    if is_plan_target(target) and not library.looks_like_path(target):
        plan = current_plan()
        session: Session = day_session(plan, plan_day(plan, target))
    else:
        session = library.load(target)
    return apply_notes(session) if with_notes else session


def plan_sessions(with_notes: bool = True) -> list[Session]:
    """Every day of the plan, as sessions (for ``export --plan``)."""
    plan = current_plan()
    sessions: list[Session] = [day_session(plan, day) for day in plan.days]
    return [apply_notes(s) for s in sessions] if with_notes else sessions


def apply_notes(session: Session) -> Session:
    return notes.with_notes(session, notes.load(home.notes_path()))


@dataclass(frozen=True)
class Facts:
    """What the history keeps about a session: ``seconds`` is its planned (or middle) length."""

    name: str
    title: str
    areas: tuple[str, ...]
    seconds: float


def facts(target: str) -> Facts:
    """The facts of a library name, ``today`` or a plan day (``plan-monday``, an exported file's name)."""
    from voiceguide import describe

    if is_plan_target(target):
        plan = current_plan()
        day = day_session(plan, plan_day(plan, target))
        return Facts(day.name, day.title, tuple(day.areas), plan.minutes * 60)
    session = library.load(target)
    lo, hi = describe.minutes(session)
    return Facts(session.name, session.title, tuple(session.areas), (lo + hi) / 2 * 60)
