"""The history commands: log, history, progress."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from voiceguide.cli import app, guarded, say
from voiceguide.cli.options import ForceOpt
from voiceguide.errors import MissingToolError, UsageError

Rating = Annotated[int | None, typer.Option(min=0, max=10, help="Tension or pain from 0 (none) to 10.")]


def _when(value: str | None, zone: str) -> dt.datetime:
    """A moment from YYYY-MM-DD, YYYY-MM-DD HH:MM or an ISO time, local to ``zone`` unless it says otherwise."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date: {value!r} is not a date such as 2026-12-01 or 2026-12-01 07:30") from None
    if len(value.strip()) == 10:
        moment = moment.replace(hour=12)  # a day without a time: midday, clear of any clock change
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(dt.UTC)


@app.command()
@guarded
def log(
    session: Annotated[
        str, typer.Argument(metavar="SESSION", help="A library name, today, a plan day (plan-monday) or an MP3's name.")
    ],
    minutes: Annotated[
        float | None, typer.Option("--minutes", min=0, help="Minutes practised (default: the session's length).")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="When: YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (default now).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A few words about it.")] = "",
    before: Rating = None,
    after: Rating = None,
) -> None:
    """Record a session done away from the computer (from your phone, say)."""
    from voiceguide.cli.audio import AUDIO_SUFFIXES
    from voiceguide.practice import history, home, sessions

    zone = home.local_zone()
    name = Path(session).stem if session.lower().endswith(AUDIO_SUFFIXES) else session  # a phone's MP3
    about = sessions.facts(name)
    practice = history.Practice(
        started=_when(date, zone),
        zone=zone,
        session=about.name,
        title=about.title,
        heard=round(minutes * 60 if minutes is not None else about.seconds, 1),
        finished=True,
        source="log",
        length=round(about.seconds, 1),
        note=note,
        before=before,
        after=after,
        areas=about.areas,
    )
    ident = history.add(home.history_path(), practice)
    print(f"logged {ident}: {about.title}, {practice.heard / 60:.0f} minutes on {practice.local:%a %d %b %Y %H:%M}")


def _row(p: Any) -> dict[str, Any]:
    data = asdict(p)
    data["started"] = p.started.strftime("%Y-%m-%dT%H:%M:%SZ")
    data["local"] = p.local.isoformat(timespec="minutes")
    data["skipped"] = list(p.skipped)
    data["areas"] = list(p.areas)
    return data


@app.command("history")
@guarded
def history_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (for a spreadsheet).")] = False,
) -> None:
    """List your practice, oldest first."""
    from voiceguide.practice import history, home

    rows = [_row(p) for p in history.entries(home.history_path())]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if as_csv:
        buffer = io.StringIO()
        fields = [
            "id",
            "started",
            "zone",
            "local",
            "session",
            "title",
            "heard",
            "length",
            "finished",
            "skipped",
            "source",
            "note",
            "before",
            "after",
            "areas",
        ]
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "skipped": ";".join(row["skipped"]), "areas": ";".join(row["areas"])})
        print(buffer.getvalue(), end="")
        return
    if not rows:
        print("No practice yet. `voiceguide play today` or `voiceguide log NAME` adds one.")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    columns = ("when", "session", "minutes", "done", "rating", "note")
    for column in columns:
        table.add_column(column, justify="right" if column == "minutes" else "left")
    for row in rows:
        joint = " to " if say.plain() else " → "
        rated = row["before"] is not None and row["after"] is not None
        rating = f"{row['before']}{joint}{row['after']}" if rated else ""
        done = "finished" if row["finished"] else "stopped"
        when = dt.datetime.fromisoformat(row["local"]).strftime("%a %d %b %Y %H:%M")
        cells = (when, row["title"], f"{row['heard'] / 60:.0f}", done, rating, row["note"])
        if say.plain():
            say.line(say.fields(list(zip(columns, cells, strict=True))))
        else:
            table.add_row(*cells)
    if not say.plain():
        say.console().print(table)


@app.command()
@guarded
def progress(
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=52, help="How many weeks to show.")] = 4,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also draw a chart (PNG; needs matplotlib).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    force: ForceOpt = False,
) -> None:
    """The last weeks against your plan: minutes, days, sessions finished, areas, ratings, habit strength."""
    from voiceguide import atomic
    from voiceguide.practice import history, home, sessions
    from voiceguide.practice.progress import chart
    from voiceguide.practice.progress import progress as figures

    if plot is not None:
        atomic.check_free([plot], force)
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise MissingToolError(
                "--plot needs matplotlib: pip install 'voiceguide[plot]' (make setup installs it)"
            ) from None
    plan = sessions.current_plan() if home.plan_path().exists() else None
    result = figures(plan, history.entries(home.history_path()), weeks, zone=home.local_zone())
    if plot is not None:
        with atomic.replacing(plot) as temp:
            chart(result, temp)
    if as_json:
        data = asdict(result)
        for week in data["weeks"]:
            week["start"] = week["start"].isoformat()
            week["areas"] = dict(week["areas"])
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if say.plain():
        _lines(result)
    else:
        _draw(result)
    if plot is not None:
        say.line(f"chart: {plot}")


def _lines(result: Any) -> None:
    """The figures for a screen reader: a week a line, labelled; no bars."""
    for week in result.weeks:
        target = f" of {week.goal_minutes:g}" if week.goal_minutes else ""
        days = f"{week.days}" + (f" of {week.planned_days}" if week.planned_days else "")
        say.line(
            say.fields(
                [
                    ("week of", week.start.strftime("%d %b")),
                    ("minutes", f"{week.minutes:g}{target}"),
                    ("days", days),
                    ("finished", str(week.finished)),
                    ("areas", ", ".join(a for a, _n in week.areas[:3])),
                    ("change", f"{week.change:+.1f}" if week.change is not None else ""),
                ]
            )
        )
    say.line(f"habit strength: {result.habit * 100:.0f}% (a missed day lowers it a little; it never resets)")
    if result.change is not None:
        say.line(f"average change in tension or pain, before to after: {result.change:+.1f} (of 10)")


def _draw(result: Any) -> None:
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("week of", "minutes", "", "days", "finished", "areas", "change"):
        table.add_column(column)
    for week in result.weeks:
        goal = week.goal_minutes or max([w.minutes for w in result.weeks] + [1.0])
        target = f" / {week.goal_minutes:g}" if week.goal_minutes else ""
        days = f"{week.days}" + (f" of {week.planned_days}" if week.planned_days else "")
        change = f"{week.change:+.1f}" if week.change is not None else ""
        areas = ", ".join(a for a, _n in week.areas[:3])
        bar = ProgressBar(total=goal, completed=min(week.minutes, goal), width=20)
        table.add_row(
            week.start.strftime("%d %b"), f"{week.minutes:g}{target}", bar, days, str(week.finished), areas, change
        )
    console = say.console()
    console.print(table)
    habit = ProgressBar(total=100, completed=result.habit * 100, width=20)
    line = Table.grid(padding=(0, 1))
    about = "a missed day lowers it a little; it never resets"
    line.add_row("habit strength", habit, f"{result.habit * 100:.0f}%  ({about})")
    console.print(line)
    if result.change is not None:
        console.print(f"average change in tension or pain, before to after: {result.change:+.1f} (of 10)")
