"""The practice commands: plan (new, show, edit, reminders), today, log, history, progress.

The therapist's notes (``note``) are in ``notes``; both register on ``app``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, err, guarded, say
from voiceguide.cli.options import ForceOpt
from voiceguide.errors import ScriptError, UsageError

plan_app = typer.Typer(
    help="Your self-care plan: make it, show it, edit it, put it in your calendar.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(plan_app, name="plan")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _words(value: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in value.split(",") if w.strip())


def _ask(value: Any, prompt: str, default: str, interactive: bool) -> str:
    if value is not None:
        return str(value)
    return str(typer.prompt(prompt, default=default)) if interactive else default


@plan_app.command("new")
@guarded
def plan_new(
    goal: Annotated[
        str | None,
        typer.Option("--goal", help="stress-relief, injury-prevention, rehabilitation, back-pain or partner-massage."),
    ] = None,
    areas: Annotated[str | None, typer.Option("--areas", help="Areas to work, such as back,neck.")] = None,
    minutes: Annotated[float | None, typer.Option("--minutes", min=1, max=240, help="Minutes a session.")] = None,
    days: Annotated[str | None, typer.Option("--days", help="Days of the week, such as mon,wed,fri.")] = None,
    time: Annotated[str | None, typer.Option("--time", help="Time of day for reminders, HH:MM.")] = None,
    equipment: Annotated[
        str | None, typer.Option("--equipment", help='Equipment at hand, such as "tennis ball,yoga mat".')
    ] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Time zone (default: this machine's).")] = None,
    force: ForceOpt = False,
) -> None:
    """Make a new plan: asks on a terminal, or takes everything from the options."""
    from voiceguide import atomic
    from voiceguide.practice import composer, goals, home, notes
    from voiceguide.practice.plan import DAY_NAMES, TIME, day_key, dump

    path = home.plan_path()
    atomic.check_free([path], force)
    interactive = sys.stdin.isatty()
    if goal is None and interactive:
        for g in goals.GOALS.values():
            say.line(say.fields([("goal", g.name), ("about", g.about)]) if say.plain() else f"  {g.name:<18} {g.about}")
    goal = _ask(goal, "Goal", "stress-relief", interactive) if goal or interactive else None
    if goal is None:
        raise UsageError(f"--goal is needed without a terminal: one of {', '.join(goals.GOALS)}")
    if goal not in goals.GOALS:
        raise UsageError(f"--goal: unknown goal {goal!r}; the goals are {', '.join(goals.GOALS)}")
    chosen_areas = _words(_ask(areas, "Areas (comma-separated, empty for any)", "", interactive))
    chosen_equipment = _words(_ask(equipment, "Equipment at hand (comma-separated)", "", interactive))
    length = float(_ask(minutes, "Minutes a session", "10", interactive))
    day_words = _words(_ask(days, "Days", "mon,wed,fri", interactive))
    keys = [day_key(w) for w in day_words]
    if not keys or None in keys:
        bad = [w for w, k in zip(day_words, keys, strict=True) if k is None]
        raise UsageError(f"--days: {', '.join(bad) or 'none given'}: use mon, tue, wed, thu, fri, sat, sun")
    at = _ask(time, "Time of day (HH:MM)", "07:30", interactive)
    if not TIME.match(at):
        raise UsageError(f"--time must be HH:MM on a 24-hour clock, not {at!r}")
    where = zone or home.local_zone()
    if not home.valid_zone(where):
        raise UsageError(f"--zone: unknown time zone {where!r}; use a name such as Europe/London")
    avoid = frozenset(n.technique for n in notes.load(home.notes_path()) if n.avoid and n.technique)
    order = tuple(dict.fromkeys(k for k in keys if k))
    built = composer.build(goal, chosen_areas, chosen_equipment, length, order, at.zfill(5), where, avoid)
    atomic.write_bytes(path, dump(built.plan).encode("utf-8"))
    for warning in built.warnings:
        err(f"voiceguide: note: {warning}")
    print(f"Plan written to {path}")
    planned = ", ".join(DAY_NAMES[d.day] for d in built.plan.days)
    print(f"{planned} at {built.plan.time}; see it with `voiceguide plan show`")


def _plan_data(plan: Any) -> dict[str, Any]:
    from voiceguide.practice import sessions

    return {
        "goal": plan.goal,
        "areas": list(plan.areas),
        "equipment": list(plan.equipment),
        "minutes": plan.minutes,
        "time": plan.time,
        "zone": plan.zone,
        "created": plan.created.isoformat(),
        "days": [
            {
                "day": d.day,
                "session": name,
                "techniques": [{"name": i.name, "seconds": i.seconds} for i in d.items],
            }
            for d, name in zip(plan.days, sessions.session_names(plan), strict=True)
        ],
    }


@plan_app.command("show")
@guarded
def plan_show(as_json: JsonOpt = False) -> None:
    """Print the plan: each day's techniques and their times."""
    from voiceguide import library
    from voiceguide.practice import sessions
    from voiceguide.practice.goals import GOALS
    from voiceguide.units import format_duration

    plan = sessions.current_plan()
    if as_json:
        print(json.dumps(_plan_data(plan), indent=2, ensure_ascii=False))
        return
    goal = GOALS[plan.goal].title if plan.goal in GOALS else plan.goal
    print(f"{goal}: {plan.minutes:g} minutes a session, at {plan.time} ({plan.zone})")
    if plan.areas:
        print("Areas: " + ", ".join(plan.areas))
    if plan.equipment:
        print("Equipment: " + ", ".join(plan.equipment))
    for day, name in zip(plan.days, sessions.session_names(plan), strict=True):
        if say.plain():
            say.line(say.fields([("day", day.title), ("session", name)]))
        else:
            print(f"\n{day.title}  ({name})")
        for item in day.items:
            title = library.load(item.name).title
            length = format_duration(item.seconds) if item.seconds else ""
            say.line(
                say.fields([("technique", title), ("length", length)]) if say.plain() else f"  {title:<36} {length}"
            )


@plan_app.command("edit")
@guarded
def plan_edit() -> None:
    """Open the plan in $EDITOR; it is checked when you save, and kept only when valid."""
    from voiceguide import atomic, yamlnodes
    from voiceguide.practice import home
    from voiceguide.practice.plan import parse

    path = home.plan_path()
    if not path.exists():
        raise UsageError("there is no plan yet; make one with `voiceguide plan new`")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    draft = path.with_name(f".{path.stem}.editing{path.suffix}")
    draft.write_bytes(path.read_bytes())
    try:
        while True:
            if subprocess.run([*shlex.split(editor), str(draft)]).returncode != 0:
                raise UsageError(f"{editor} failed; the plan was left unchanged")
            try:
                parse(yamlnodes.read_text(draft).replace("\r\n", "\n"), str(path))
                break
            except ScriptError as exc:
                if not (sys.stdin.isatty() and sys.stdout.isatty()):
                    raise
                for problem in exc.problems:
                    err(str(problem))
                if not typer.confirm("Edit again? (no: keep the plan as it was)", default=True):
                    raise typer.Exit(2) from None
        atomic.write_bytes(path, draft.read_bytes())
    finally:
        draft.unlink(missing_ok=True)
    print(f"{path}: saved")


def plan_day_sessions(with_notes: bool = False) -> tuple[Any, list[tuple[Any, float]]]:
    """The plan and each of its days as (session, seconds estimated)."""
    from voiceguide import describe
    from voiceguide.practice import sessions

    plan = sessions.current_plan()
    out = []
    for day in plan.days:
        session = sessions.day_session(plan, day)
        out.append((sessions.apply_notes(session) if with_notes else session, describe.minutes(session)[1] * 60))
    return plan, out


@plan_app.command("reminders")
@guarded
def plan_reminders(
    output: Annotated[Path, typer.Option("-o", "--output", help="The iCalendar file to write (.ics).")],
    force: ForceOpt = False,
) -> None:
    """Write the plan as an iCalendar file: a weekly event per day with an alarm ten minutes before."""
    from voiceguide import atomic
    from voiceguide.practice.reminders import calendar

    atomic.check_free([output], force)
    plan, days = plan_day_sessions()
    atomic.write_bytes(output, calendar(plan, days))
    print(f"{output}: {len(days)} weekly event{'s' if len(days) != 1 else ''}; import it in your calendar")


@app.command()
@guarded
def today(
    as_json: JsonOpt = False,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Leave out the therapist's notes.")] = False,
) -> None:
    """Say what the plan holds for today."""
    from voiceguide import describe
    from voiceguide.practice import home, notes, sessions
    from voiceguide.practice.plan import DAY_NAMES
    from voiceguide.steps import leaves
    from voiceguide.units import format_duration

    plan = sessions.current_plan()
    key = sessions.today_key(plan)
    day = plan.day(key)
    if day is None:
        later = [d.title for d in plan.days]
        if as_json:
            print(json.dumps({"day": key, "session": None}))
        else:
            print(f"Nothing planned for today ({DAY_NAMES[key]}). Your days: {', '.join(later) or 'none'}.")
        return
    session = sessions.day_session(plan, day)
    shown = session if no_notes else sessions.apply_notes(session)
    lo, hi = describe.minutes(session)
    if as_json:
        data = describe.detail(shown)
        print(json.dumps({"day": key, "time": plan.time, "session": shown.name, **data}, indent=2, ensure_ascii=False))
        return
    print(f"{session.title}  (about {hi:g} minutes, at {plan.time})")
    said = [] if no_notes else notes.load(home.notes_path())
    for number, (script, own) in enumerate(leaves(session), 1):
        print(f"  {number}. {script.title:<34} {format_duration(own) if own else ''}")
        for note in said:
            if note.technique == script.name:
                print(f"     {'Avoid: ' if note.avoid else ''}Your therapist's note: {note.text}")
    print("Play it: voiceguide play today    For your phone: voiceguide export today -o out/")


# isort: off
from voiceguide.cli import notes as _notes  # noqa: E402,F401
from voiceguide.cli import log as _log  # noqa: E402,F401
# isort: on
