"""The plan, the therapist's notes, today and the reminders, through the command line, on a
real folder (VOICEGUIDE_HOME) and the real library."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from typer.testing import CliRunner

from voiceguide import library
from voiceguide.cli import app
from voiceguide.cli.notes import note_app
from voiceguide.cli.practice import plan_app
from voiceguide.describe import minutes
from voiceguide.practice.composer import has_equipment, thing
from voiceguide.practice.goals import GOALS
from voiceguide.practice.plan import load as load_plan
from voiceguide.practice.sessions import day_session

runner = CliRunner()
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"


def back_pain(days: str = "mon,wed,fri") -> list[str]:
    return [
        "plan",
        "new",
        "--goal",
        "back-pain",
        "--areas",
        "back,neck",
        "--minutes",
        "10",
        "--days",
        days,
        "--time",
        "07:30",
        "--equipment",
        "tennis ball,yoga mat",
        "--zone",
        "Europe/Berlin",
    ]


BACK_PAIN = back_pain()


def run(*args: str):
    return runner.invoke(app, list(args))


def home() -> Path:
    return Path(os.environ["VOICEGUIDE_HOME"])


def test_plan_new_from_flags_builds_a_varied_week_from_what_is_at_hand() -> None:
    result = run(*BACK_PAIN)
    assert result.exit_code == 0, result.output
    plan = load_plan(home() / "plan.yaml")
    assert (plan.goal, plan.time, plan.zone, plan.minutes) == ("back-pain", "07:30", "Europe/Berlin", 10)
    assert [d.day for d in plan.days] == ["mon", "wed", "fri"]
    used = [[i.name for i in d.items] for d in plan.days]
    for names in used:
        for name in names:
            assert name in GOALS["back-pain"].techniques
            assert has_equipment(library.load(name), ("tennis ball", "yoga mat")), name
            assert not {"foam roller", "chi ball", "spiky ball"} & {thing(e) for e in library.load(name).equipment}
    assert all(a != b for a, b in zip(used, used[1:], strict=False)), f"consecutive days differ: {used}"
    for day in plan.days:  # each day's session, framing and all, fitted to the ten minutes
        assert abs(minutes(day_session(plan, day))[1] * 60 - 600) <= 60, day
    shown = run("plan", "show", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert [d["session"] for d in data["days"]] == ["plan-monday", "plan-wednesday", "plan-friday"]
    text = run("plan", "show").stdout
    assert all(library.load(name).title in text for names in used for name in names)


def test_plan_new_never_overwrites_and_needs_a_goal_without_a_terminal() -> None:
    assert run(*BACK_PAIN).exit_code == 0
    before = (home() / "plan.yaml").read_bytes()
    again = run(*BACK_PAIN[:-4])
    assert again.exit_code == 1 and "--force" in again.output
    assert (home() / "plan.yaml").read_bytes() == before
    (home() / "plan.yaml").unlink()
    bare = run("plan", "new", "--minutes", "10")
    assert bare.exit_code == 2 and "--goal is needed" in bare.output
    assert run("plan", "new", "--goal", "back-pain", "--days", "mon,someday").exit_code == 2


def test_plan_new_on_a_terminal_asks_for_each_answer() -> None:
    """The prompts read a real pseudo-terminal."""
    import pty
    import subprocess

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "plan", "new"], stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    answers = [b"stress-relief", b"neck", b"", b"8", b"tue,thu", b"18:15"]
    seen = b""
    import select
    import time

    deadline = time.monotonic() + 60
    for prompt, answer in zip([b"Goal", b"Areas", b"Equipment", b"Minutes", b"Days", b"Time"], answers, strict=True):
        while prompt not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                seen += os.read(master, 4096)
        os.write(master, answer + b"\r")
    assert process.wait(60) == 0, seen.decode(errors="replace")
    os.close(master)
    plan = load_plan(home() / "plan.yaml")
    assert (plan.goal, plan.minutes, plan.time, [d.day for d in plan.days]) == (
        "stress-relief",
        8,
        "18:15",
        ["tue", "thu"],
    )


def test_a_hand_edited_plan_with_a_mistake_gives_path_line_col() -> None:
    assert run(*BACK_PAIN).exit_code == 0
    path = home() / "plan.yaml"
    text = path.read_text()
    broken = text.replace('time: "07:30"', 'time: "25:99"').replace(
        "  wed:\n    - ", "  wed:\n    - chidls-pose: 3m\n    - "
    )
    path.write_text(broken)
    line = broken.splitlines().index('time: "25:99"') + 1
    typo = next(i for i, row in enumerate(broken.splitlines(), 1) if "chidls-pose" in row)
    result = run("plan", "show")
    assert result.exit_code == 2
    assert f"{path}:{line}:7: time must be HH:MM" in result.output
    assert f"{path}:{typo}:7: no technique or routine named 'chidls-pose'; did you mean 'childs-pose'?" in result.output
    assert "Traceback" not in result.output


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_plan_edit_keeps_a_valid_edit_and_refuses_a_broken_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(*BACK_PAIN).exit_code == 0
    path = home() / "plan.yaml"
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "sed -i 's/minutes: 10/minutes: 12/' \"$1\""))
    result = run("plan", "edit")
    assert result.exit_code == 0, result.output
    assert load_plan(path).minutes == 12
    good = path.read_bytes()
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "sed -i 's/^goal: back-pain/goal: sleep better/' \"$1\""))
    result = run("plan", "edit")
    assert result.exit_code == 2
    assert f"{path}:4:7: unknown goal 'sleep better'" in result.output
    assert path.read_bytes() == good, "a broken edit is not saved"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_notes_are_spoken_before_their_technique_in_show_and_the_cue_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "quiet-breath.yaml").write_text(
        "title: Quiet breath\nsteps:\n  - say: Sit comfortably.\n  - pause: 1s\n  - say: Let your shoulders drop.\n"
    )
    monkeypatch.setenv("VOICEGUIDE_LIBRARY", str(folder))
    added = run("note", "add", "Keep the pressure light on the left shoulder", "--technique", "quiet-breath")
    assert added.exit_code == 0, added.output
    spoken = "Your therapist's note: Keep the pressure light on the left shoulder"
    shown = run("show", "quiet-breath").stdout
    assert spoken in shown and shown.index(spoken) < shown.index("Sit comfortably.")
    assert spoken not in run("show", "quiet-breath", "--no-notes").stdout
    cues = tmp_path / "cues.json"
    out = tmp_path / "quiet.wav"
    result = run("render", "quiet-breath", "-o", str(out), "--cues", str(cues), "--voice", "system", "--music", "none")
    assert result.exit_code == 0, result.output
    texts = [e["text"] for e in json.loads(cues.read_text())["events"] if e["kind"] == "speech"]
    assert spoken in " ".join(texts)
    first = next(i for i, t in enumerate(texts) if "therapist" in t)
    assert first < next(i for i, t in enumerate(texts) if "Sit comfortably" in t)
    listed = json.loads(run("note", "list", "--json").stdout)
    assert listed == [
        {
            "id": 1,
            "date": dt.date.today().isoformat(),
            "text": spoken.split(": ", 1)[1],
            "technique": "quiet-breath",
            "avoid": False,
        }
    ]
    assert run("note", "remove", "1").exit_code == 0
    assert spoken not in run("show", "quiet-breath").stdout
    assert run("note", "remove", "1").exit_code == 2


def test_an_avoided_technique_is_left_out_of_a_new_plan_and_refused_without_a_terminal() -> None:
    result = run("note", "add", "No twisting until the disc settles", "--technique", "spinal-mobility", "--avoid")
    assert result.exit_code == 0, result.output
    assert run(*back_pain(EVERY_DAY)).exit_code == 0
    plan = load_plan(home() / "plan.yaml")
    assert all(i.name != "spinal-mobility" for d in plan.days for i in d.items)
    import subprocess

    for command in (["play", "spinal-mobility"], ["export", "spinal-mobility", "-o", str(home() / "out")]):
        refused = subprocess.run(
            [sys.executable, "-m", "voiceguide", *command],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert refused.returncode == 2, refused.stderr
        lines = [row for row in (refused.stdout + refused.stderr).splitlines() if row.strip()]
        assert len(lines) == 1 and "your therapist advised against Gentle spinal mobility" in lines[0], lines
    assert not (home() / "out").exists()
    inside = run("export", "back-pain-recovery", "-o", str(home() / "out"))  # a routine that holds it
    assert inside.exit_code == 2 and "Gentle spinal mobility" in inside.output
    assert run("note", "add", "Rest it", "--avoid").exit_code == 2


def test_a_note_is_spoken_inside_every_routine_that_holds_its_technique() -> None:
    assert run("note", "add", "Knees wide", "--technique", "childs-pose").exit_code == 0
    shown = run("show", "daily-routine").stdout
    assert shown.count("Your therapist's note: Knees wide") == 1
    assert shown.index("== Upper trapezius release") < shown.index("== Child's pose") < shown.index("Knees wide")


def test_today_names_the_session_and_plan_days_are_targets() -> None:
    assert run(*back_pain(EVERY_DAY)).exit_code == 0
    result = run("today", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    key = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[dt.datetime.now(ZoneInfo("Europe/Berlin")).weekday()]
    assert data["day"] == key and data["time"] == "07:30" and data["session"].startswith("plan-")
    plan = load_plan(home() / "plan.yaml")
    assert [t["name"] for t in data["techniques"]] == [i.name for i in plan.day(key).items]
    assert "Play it: voiceguide play today" in run("today").stdout
    shown = run("show", "today")
    assert shown.exit_code == 0 and "fitted to" in shown.stdout
    assert run("show", "plan-monday").exit_code == 0


def test_today_without_a_plan_says_how_to_make_one() -> None:
    result = run("today")
    assert result.exit_code == 2 and "voiceguide plan new" in result.output


def test_reminders_are_weekly_events_with_alarms_that_a_clock_change_does_not_move(tmp_path: Path) -> None:
    assert run(*BACK_PAIN).exit_code == 0
    ics = tmp_path / "plan.ics"
    result = run("plan", "reminders", "-o", str(ics))
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = calendar.walk("VEVENT")
    assert [e["RRULE"]["BYDAY"] for e in events] == [["MO"], ["WE"], ["FR"]]
    plan = load_plan(home() / "plan.yaml")
    for event, day in zip(events, plan.days, strict=True):
        assert event["RRULE"]["FREQ"] == ["WEEKLY"]
        start = event.decoded("DTSTART")
        assert str(start.tzinfo) == "Europe/Berlin" and (start.hour, start.minute) == (7, 30)
        minutes = event.decoded("DURATION").total_seconds() / 60
        assert abs(minutes - plan.minutes) <= 1.5  # each day's session lasts the minutes the plan gives it
        assert event["SUMMARY"].startswith(day.title)
        for item in day.items:
            assert library.load(item.name).title in event["DESCRIPTION"]
        alarms = event.walk("VALARM")
        assert len(alarms) == 1 and alarms[0]["ACTION"] == "DISPLAY" and alarms[0]["DESCRIPTION"]
        assert alarms[0].decoded("TRIGGER") == -dt.timedelta(minutes=10)
        # Half a year of occurrences crosses a clock change: always 07:30 local, so the UTC
        # time moves by the hour instead.
        dates = list(islice(rrulestr(event["RRULE"].to_ical().decode(), dtstart=start), 30))
        assert {(d.hour, d.minute) for d in dates} == {(7, 30)}
        assert len({d.utcoffset() for d in dates}) == 2
    again = tmp_path / "again.ics"
    assert run("plan", "reminders", "-o", str(again)).exit_code == 0
    uids = [e["UID"] for e in icalendar.Calendar.from_ical(again.read_bytes()).walk("VEVENT")]
    assert uids == [e["UID"] for e in events] and len(set(uids)) == 3, "stable UIDs: a new import updates"
    assert run("plan", "reminders", "-o", str(ics)).exit_code == 1, "nothing overwritten without --force"


def test_every_practice_command_has_help() -> None:
    for group, typer_app in (("plan", plan_app), ("note", note_app)):
        for command in typer_app.registered_commands:
            assert (command.callback.__doc__ or "").strip(), command.name
            result = run(group, command.name or "", "-h")
            assert result.exit_code == 0 and "Usage:" in result.stdout, command.name


def test_export_today_and_the_whole_plan_carry_the_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "quiet-breath.yaml").write_text("title: Quiet breath\nsteps:\n  - say: Sit comfortably.\n  - pause: 1s\n")
    monkeypatch.setenv("VOICEGUIDE_LIBRARY", str(folder))
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    today = days[dt.datetime.now(ZoneInfo("UTC")).weekday()]
    other = days[(days.index(today) + 3) % 7]
    home().mkdir(parents=True)
    (home() / "plan.yaml").write_text(
        f'goal: stress-relief\nminutes: 1\ntime: "20:00"\nzone: UTC\ndays:\n  {today}:\n    - quiet-breath\n'
        f"  {other}:\n    - quiet-breath: 10s\n"
    )
    assert run("note", "add", "Go slowly", "--technique", "quiet-breath").exit_code == 0
    options = ["--voice", "system", "--music", "none", "--jobs", "1"]
    result = run("export", "today", "-o", str(tmp_path / "today"), *options)
    assert result.exit_code == 0, result.output
    (track,) = sorted((tmp_path / "today").glob("*.mp3"))
    assert track.stem.startswith("plan-")
    assert "Your therapist's note: Go slowly" in track.with_suffix(".lrc").read_text()
    result = run("export", "--plan", "-o", str(tmp_path / "week"), "--no-notes", *options)
    assert result.exit_code == 0, result.output
    tracks = sorted((tmp_path / "week").glob("*.mp3"))
    assert len(tracks) == 2
    assert all("therapist" not in t.with_suffix(".lrc").read_text() for t in tracks)


def test_on_a_terminal_an_avoided_technique_is_asked_about_first(tmp_path: Path) -> None:
    import pty
    import select
    import subprocess
    import time

    assert run("note", "add", "No twisting", "--technique", "spinal-mobility", "--avoid").exit_code == 0
    master, slave = pty.openpty()
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "export", "spinal-mobility", "-o", str(out)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Go on anyway?" not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 1)[0]:
            seen += os.read(master, 4096)
    assert b"Your therapist advised against Gentle spinal mobility (note 1: No twisting)" in seen
    os.write(master, b"n\r")
    assert process.wait(60) == 1
    os.close(master)
    assert not out.exists()
