"""The plan: the user's self-care plan, one YAML file they can read and edit.

```yaml
goal: back-pain
areas: [back, neck]
equipment: [tennis ball, yoga mat]
minutes: 10
time: "07:30"
zone: Europe/Berlin
created: "2026-12-01"
days:
  mon:
    - childs-pose: 3m30s
    - tennis-ball-back-wall: 6m
```

Each day lists techniques (or routines) from the library, each with the time to give it
(fitted within its ranges when it plays; a routine keeps the lengths it gives its own parts).
``time`` is the local time of day in ``zone``: a clock change does not move it. A mistake is
reported as ``path:line:col: message``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voiceguide import library, yamlnodes
from voiceguide.errors import Problem, ScriptError, did_you_mean
from voiceguide.practice.home import valid_zone
from voiceguide.units import format_duration, parse_duration
from voiceguide.yamlnodes import Node

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
KEYS = ("goal", "areas", "equipment", "minutes", "time", "zone", "created", "days")
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
Fail = Callable[[Node, str], None]
HEADER = """\
# Your self-care plan. Edit it freely: `voiceguide plan edit` checks it when you save.
# Each day lists techniques from `voiceguide list`, each with the time to give it.
# time is the time of day for reminders, in zone.
"""


@dataclass(frozen=True)
class Item:
    """One technique (or routine) of a day, given ``seconds`` (None: the middle of its ranges)."""

    name: str
    seconds: float | None = None


@dataclass(frozen=True)
class Day:
    day: str  # mon ... sun
    items: tuple[Item, ...]

    @property
    def title(self) -> str:
        return DAY_NAMES[self.day]


@dataclass(frozen=True)
class Plan:
    goal: str
    areas: tuple[str, ...]
    equipment: tuple[str, ...]
    minutes: float  # per session
    time: str  # HH:MM, local time in ``zone``
    zone: str  # IANA zone name
    created: dt.date
    days: tuple[Day, ...]

    def day(self, key: str) -> Day | None:
        return next((d for d in self.days if d.day == key), None)

    def weekly_minutes(self) -> float:
        return self.minutes * len(self.days)


def day_key(value: str) -> str | None:
    """``mon`` for mon, Monday, MONDAY; None for anything else."""
    word = value.strip().lower()
    return next((d for d in DAYS if word == d or word == DAY_NAMES[d].lower()), None)


def dump(plan: Plan) -> str:
    """The plan as YAML text, with a header saying how to edit it."""

    def words(values: tuple[str, ...]) -> str:
        return "[" + ", ".join(_quote(v) for v in values) + "]"

    out = [
        HEADER.rstrip("\n"),
        f"goal: {plan.goal}",
        f"areas: {words(plan.areas)}",
        f"equipment: {words(plan.equipment)}",
        f"minutes: {plan.minutes:g}",
        f'time: "{plan.time}"',
        f"zone: {plan.zone}",
        f'created: "{plan.created.isoformat()}"',
        "days:",
    ]
    for day in plan.days:
        out.append(f"  {day.day}:")
        for item in day.items:
            out.append(f"    - {item.name}" + (f": {format_duration(item.seconds)}" if item.seconds else ""))
    return "\n".join(out) + "\n"


def _quote(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z][A-Za-z0-9 _-]*", value) else '"' + value.replace('"', '\\"') + '"'


def load(path: Path) -> Plan:
    return parse(yamlnodes.read_text(path), str(path))


def parse(text: str, where: str) -> Plan:
    """The plan in ``text``; every problem at once as a ScriptError (``where:line:col``)."""
    root = yamlnodes.parse(text, where)
    problems: list[Problem] = []

    def fail(node: Node, message: str) -> None:
        problems.append(Problem(where, node.line, node.col, message))

    if root.kind != "map":
        raise ScriptError.at(where, root.line, root.col, "a plan is a mapping of goal, minutes, time, days ...")
    fields: dict[str, Node] = {}
    for key, value in root.items():
        if key.value not in KEYS:
            fail(key, f"unknown key {key.value!r}{did_you_mean(str(key.value), KEYS)}")
        else:
            fields[str(key.value)] = value
    missing = [k for k in ("goal", "minutes", "days") if k not in fields]
    if missing:
        fail(root, "the plan needs " + ", ".join(missing))
    goal = _text(fields.get("goal"), fail, "goal") or ""
    from voiceguide.practice.goals import GOALS

    if goal and goal not in GOALS:
        fail(fields["goal"], f"unknown goal {goal!r}; the goals are {', '.join(GOALS)}")
    minutes = 0.0
    if "minutes" in fields:
        amount = fields["minutes"].value
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not 1 <= amount <= 240:
            fail(fields["minutes"], "minutes must be a number from 1 to 240")
        else:
            minutes = float(amount)
    time = _text(fields.get("time"), fail, "time") or "07:30"
    if "time" in fields and not TIME.match(time):
        fail(fields["time"], f"time must be HH:MM on a 24-hour clock, not {time!r}")
    zone = _text(fields.get("zone"), fail, "zone") or "UTC"
    if "zone" in fields and not valid_zone(zone):
        fail(fields["zone"], f"unknown time zone {zone!r}; use a name such as Europe/London")
    created = dt.date.today()
    if "created" in fields:
        try:
            created = dt.date.fromisoformat(str(fields["created"].value))
        except ValueError:
            fail(fields["created"], 'created must be a date such as "2026-12-01"')
    days = _days(fields["days"], fail) if "days" in fields else ()
    if problems:
        raise ScriptError(problems)
    return Plan(
        goal=goal,
        areas=_words(fields.get("areas"), fail),
        equipment=_words(fields.get("equipment"), fail),
        minutes=minutes,
        time=time,
        zone=zone,
        created=created,
        days=days,
    )


def _text(node: Node | None, fail: Fail, key: str) -> str | None:
    if node is None:
        return None
    if node.kind != "scalar" or node.value is None or isinstance(node.value, bool):
        fail(node, f"{key} must be a word")
        return None
    return str(node.value).strip()


def _words(node: Node | None, fail: Fail) -> tuple[str, ...]:
    if node is None or node.value is None:
        return ()
    if node.kind == "scalar":
        return tuple(w.strip() for w in str(node.value).split(",") if w.strip())
    if node.kind != "seq" or any(e.kind != "scalar" for e in node.elements()):
        fail(node, "give a list of words, such as [back, neck]")
        return ()
    return tuple(str(e.value).strip() for e in node.elements())


def _days(node: Node, fail: Fail) -> tuple[Day, ...]:
    if node.kind != "map" or not node.items():
        fail(node, "days must map day names (mon ... sun) to lists of techniques")
        return ()
    found: dict[str, Day] = {}
    names = library.Resolver().names()
    for key, value in node.items():
        day = day_key(str(key.value))
        if day is None:
            fail(key, f"{key.value!r} is not a day; use mon, tue, wed, thu, fri, sat or sun")
            continue
        if day in found:
            fail(key, f"{DAY_NAMES[day]} is given twice")
            continue
        if value.kind != "seq" or not value.elements():
            fail(value, f"{DAY_NAMES[day]} needs a list of techniques, such as - childs-pose: 3m")
            continue
        items = [_item(element, names, fail) for element in value.elements()]
        found[day] = Day(day, tuple(i for i in items if i is not None))
    return tuple(found[d] for d in DAYS if d in found)


def _item(node: Node, names: list[str], fail: Fail) -> Item | None:
    seconds: float | None = None
    if node.kind == "map" and len(node.items()) == 1:
        ((key, value),) = node.items()
        name_node = key
        try:
            seconds = parse_duration(str(value.value))
            if seconds <= 0:
                raise ValueError("a length must be above zero")
        except ValueError as exc:
            fail(value, f"{exc}")
            return None
    elif node.kind == "scalar":
        name_node = node
    else:
        fail(node, "write each technique as - name: length, such as - childs-pose: 3m")
        return None
    name = str(name_node.value).strip()
    if name not in names:
        hint = did_you_mean(name, names) or "; see `voiceguide list`"
        fail(name_node, f"no technique or routine named {name!r}{hint}")
        return None
    return Item(name, seconds)
