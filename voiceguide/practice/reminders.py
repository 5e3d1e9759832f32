"""The plan as an iCalendar file a phone's calendar can import.

One weekly event per plan day (``RRULE:FREQ=WEEKLY;BYDAY=MO``) at the plan's time of day in
the plan's zone, with the zone's ``VTIMEZONE``: the time is local, so a clock change does
not move it. Each event lasts the session, names it, lists its techniques and has a
``DISPLAY`` alarm ten minutes before. UIDs depend only on the plan's day, so importing the
file again updates the events instead of adding new ones.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import icalendar

from voiceguide import __version__
from voiceguide.practice.plan import DAYS, Plan
from voiceguide.script import Routine
from voiceguide.steps import leaves
from voiceguide.units import format_duration

ALARM_BEFORE = dt.timedelta(minutes=10)
UID = "voiceguide-plan-{day}@voiceguide.invalid"


def first_on_or_after(start: dt.date, day: str) -> dt.date:
    return start + dt.timedelta(days=(DAYS.index(day) - start.weekday()) % 7)


def calendar(plan: Plan, sessions: list[tuple[Routine, float]], now: dt.datetime | None = None) -> bytes:
    """The iCalendar text: one event per (session, seconds) of the plan's days, in order."""
    zone = ZoneInfo(plan.zone)
    hour, minute = (int(p) for p in plan.time.split(":"))
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//voiceguide//voiceguide {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "voiceguide practice")
    for day, (session, seconds) in zip(plan.days, sessions, strict=True):
        event = icalendar.Event()
        event.add("uid", UID.format(day=day.day))
        event.add("dtstamp", stamp)
        start = first_on_or_after(plan.created, day.day)
        event.add("dtstart", dt.datetime(start.year, start.month, start.day, hour, minute, tzinfo=zone))
        event.add("duration", dt.timedelta(minutes=max(1, math.ceil(seconds / 60))))
        event.add("rrule", {"freq": "weekly", "byday": [day.day[:2].upper()]})
        event.add("summary", session.title)
        techniques = [
            f"- {script.title}" + (f" ({format_duration(own)})" if own else "") for script, own in leaves(session)
        ]
        event.add(
            "description",
            "\n".join(["Techniques:", *techniques, "", f"Play it: voiceguide play today  (or {session.name})"]),
        )
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"In ten minutes: {session.title}")
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
