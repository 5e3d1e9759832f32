"""Progress: the last weeks of the history against the plan, and a habit strength.

The habit strength is a score in the manner of Loop Habit Tracker's, not a streak: every
day it moves a little toward how well the past seven days kept the plan's number of days,
``score = score * m + kept * (1 - m)`` with ``m = 0.5 ** (sqrt(frequency) / 13)``. A missed
day lowers it a little and the next practice lifts it again; nothing resets to zero.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from voiceguide.practice.history import Practice
from voiceguide.practice.plan import Plan

DEFAULT_DAYS = 3  # days a week assumed when there is no plan
LONGEST = 366  # days of history the score looks back over


@dataclass(frozen=True)
class Week:
    start: dt.date  # its Monday
    minutes: float
    goal_minutes: float | None
    days: int  # days practised
    planned_days: int | None
    sessions: int
    finished: int
    areas: tuple[tuple[str, int], ...]  # (area, practices) most worked first
    change: float | None  # average of after minus before, on the 0 to 10 scale
    habit: float  # the habit strength at the week's end (or today), 0 to 1


@dataclass(frozen=True)
class Progress:
    weeks: tuple[Week, ...]  # oldest first, the current week last
    habit: float  # today, 0 to 1
    change: float | None  # average over every rated practice in these weeks


def _change(practices: list[Practice]) -> float | None:
    rated = [p.after - p.before for p in practices if p.before is not None and p.after is not None]
    return round(sum(rated) / len(rated), 2) if rated else None


def habit_scores(days_done: set[dt.date], per_week: int, start: dt.date, today: dt.date) -> dict[dt.date, float]:
    """The habit strength at the end of every day from ``start`` to ``today``."""
    multiplier = 0.5 ** (math.sqrt(per_week / 7) / 13)
    score = 0.0
    out: dict[dt.date, float] = {}
    day = start
    while day <= today:
        window = sum(1 for back in range(7) if day - dt.timedelta(days=back) in days_done)
        kept = min(1.0, window / per_week)
        score = score * multiplier + kept * (1 - multiplier)
        out[day] = score
        day += dt.timedelta(days=1)
    return out


def progress(
    plan: Plan | None, practices: list[Practice], weeks: int = 4, now: dt.datetime | None = None, zone: str = "UTC"
) -> Progress:
    tz = ZoneInfo(plan.zone if plan else zone)
    today = (now or dt.datetime.now(dt.UTC)).astimezone(tz).date()
    local = [(p.started.astimezone(tz).date(), p) for p in practices]
    days_done = {d for d, _p in local}
    per_week = len(plan.days) if plan and plan.days else DEFAULT_DAYS
    first = min([d for d, _p in local] + ([plan.created] if plan else []) + [today])
    start = max(first, today - dt.timedelta(days=LONGEST))
    scores = habit_scores(days_done, per_week, start, today)
    monday = today - dt.timedelta(days=today.weekday())
    out: list[Week] = []
    shown: list[Practice] = []
    for back in range(weeks - 1, -1, -1):
        begin = monday - dt.timedelta(weeks=back)
        end = begin + dt.timedelta(days=7)
        these = [p for d, p in local if begin <= d < end]
        shown += these
        areas = Counter(a for p in these for a in p.areas)
        last = min(end - dt.timedelta(days=1), today)
        out.append(
            Week(
                start=begin,
                minutes=round(sum(p.heard for p in these) / 60, 1),
                goal_minutes=plan.weekly_minutes() if plan else None,
                days=len({d for d, _p in local if begin <= d < end}),
                planned_days=len(plan.days) if plan else None,
                sessions=len(these),
                finished=sum(1 for p in these if p.finished),
                areas=tuple(areas.most_common()),
                change=_change(these),
                habit=round(scores.get(last, 0.0), 3),
            )
        )
    return Progress(tuple(out), round(scores.get(today, 0.0), 3), _change(shown))


def chart(result: Progress, path: Path) -> None:
    """A PNG: minutes per week against the goal, and the habit strength. Needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [w.start.strftime("%d %b") for w in result.weeks]
    figure, minutes_axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        minutes_axis.bar(labels, [w.minutes for w in result.weeks], color="#6a9fb5", label="minutes practised")
        goal = result.weeks[0].goal_minutes if result.weeks else None
        if goal:
            minutes_axis.axhline(goal, color="#444444", linestyle="--", linewidth=1, label=f"goal: {goal:g} min")
        minutes_axis.set_ylabel("minutes per week")
        minutes_axis.set_xlabel("week of")
        habit_axis = minutes_axis.twinx()
        habit_axis.plot(labels, [w.habit * 100 for w in result.weeks], color="#d08c3c", marker="o", label="habit")
        habit_axis.set_ylim(0, 105)
        habit_axis.set_ylabel("habit strength (%)")
        lines = minutes_axis.get_legend_handles_labels()
        more = habit_axis.get_legend_handles_labels()
        minutes_axis.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize="small")
        minutes_axis.set_title("Your practice")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
