"""The practice history on a real SQLite file: log, history, damage, migrations, many
writers at once, and progress."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceguide.cli import app
from voiceguide.practice import history
from voiceguide.practice.progress import habit_scores

from .support import voiceguide_without

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def home() -> Path:
    return Path(os.environ["VOICEGUIDE_HOME"])


def db_path() -> Path:
    return home() / "history.sqlite"


def entries() -> list[dict]:
    result = run("history", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_log_records_in_utc_with_the_zone_and_a_clock_change_moves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    # The night the clocks go forward in Berlin: 07:30 is UTC+2 after it and UTC+1 before.
    assert run("log", "childs-pose", "--date", "2026-03-28 07:30", "--before", "6", "--after", "3").exit_code == 0
    result = run("log", "neck-tension-release", "--date", "2026-03-29 07:30", "--minutes", "7", "--note", "tight")
    assert result.exit_code == 0, result.output
    rows = entries()
    assert [(r["started"], r["zone"], r["local"]) for r in rows] == [
        ("2026-03-28T06:30:00Z", "Europe/Berlin", "2026-03-28T07:30+01:00"),
        ("2026-03-29T05:30:00Z", "Europe/Berlin", "2026-03-29T07:30+02:00"),
    ]
    assert (rows[0]["before"], rows[0]["after"], rows[0]["source"], rows[0]["finished"]) == (6, 3, "log", True)
    assert rows[1]["heard"] == 420 and rows[1]["note"] == "tight" and "neck" in rows[1]["areas"]
    raw = sqlite3.connect(db_path()).execute("SELECT started_utc, zone FROM practice ORDER BY id").fetchall()
    assert raw == [("2026-03-28T06:30:00Z", "Europe/Berlin"), ("2026-03-29T05:30:00Z", "Europe/Berlin")]
    monkeypatch.setenv("TZ", "America/New_York")  # the machine moves: the record does not
    assert [(r["started"], r["local"]) for r in entries()] == [
        ("2026-03-28T06:30:00Z", "2026-03-28T07:30+01:00"),
        ("2026-03-29T05:30:00Z", "2026-03-29T07:30+02:00"),
    ]
    csv = run("history", "--csv").stdout.splitlines()
    assert csv[0].startswith("id,started,zone,local,session") and len(csv) == 3 and "tight" in csv[2]
    assert "Neck tension release" in run("history").stdout
    assert sqlite3.connect(db_path()).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_log_refuses_what_it_cannot_read() -> None:
    assert run("log", "no-such-thing").exit_code == 2
    assert run("log", "childs-pose", "--before", "11").exit_code == 2
    assert run("log", "childs-pose", "--date", "yesterday").exit_code == 2
    assert not db_path().exists()


def _plan_and_notes() -> dict[str, bytes]:
    assert run("plan", "new", "--goal", "stress-relief", "--days", "mon,thu").exit_code == 0
    assert run("note", "add", "Breathe into the tight side", "--technique", "neck-tension-release").exit_code == 0
    return {name: (home() / name).read_bytes() for name in ("plan.yaml", "notes.yaml")}


def _filled(count: int = 200) -> None:
    for i in range(count):
        history.add(
            db_path(),
            history.Practice(
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
                "UTC",
                "childs-pose",
                "Child's pose",
                180.0,
                True,
                "log",
                note="a longer note to fill the pages " * 4,
            ),
        )


@pytest.mark.parametrize("damage", ["garbage", "truncated", "newer"])
def test_a_damaged_history_is_one_line_naming_the_file_and_loses_nothing(damage: str) -> None:
    kept = _plan_and_notes()
    if damage == "garbage":
        db_path().write_bytes(os.urandom(8192))
    elif damage == "truncated":
        _filled()
        data = db_path().read_bytes()
        assert len(data) > 8 * 4096
        db_path().write_bytes(data[: len(data) // 2 + 1000])
    else:
        _filled(1)
        with sqlite3.connect(db_path()) as db:
            db.execute("PRAGMA user_version = 99")
    before = db_path().read_bytes()
    for command in (["history"], ["log", "childs-pose"], ["progress"]):
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        lines = [row for row in result.output.splitlines() if row.strip()]
        assert len(lines) == 1 and str(db_path()) in lines[0], lines
        assert "newer voiceguide" in lines[0] if damage == "newer" else "damaged" in lines[0]
        assert "Traceback" not in result.output
    assert db_path().read_bytes() == before, "a damaged file is never changed"
    assert {name: (home() / name).read_bytes() for name in kept} == kept
    assert run("plan", "show").exit_code == 0 and run("note", "list").exit_code == 0


V1 = """CREATE TABLE practice (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_utc TEXT NOT NULL, zone TEXT NOT NULL, session TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '', heard_seconds REAL NOT NULL, length_seconds REAL, finished INTEGER NOT NULL,
    skipped TEXT NOT NULL DEFAULT '[]', source TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', before INTEGER,
    after INTEGER)"""


def test_an_old_history_is_migrated_forward_after_a_backup_copy() -> None:
    db_path().parent.mkdir(parents=True)
    with sqlite3.connect(db_path()) as db:
        db.execute(V1)
        db.execute(
            "INSERT INTO practice (started_utc, zone, session, title, heard_seconds, finished, source) "
            "VALUES ('2026-11-02T07:30:00Z', 'Europe/Paris', 'childs-pose', 'Child''s pose', 200, 1, 'play')"
        )
        db.execute("PRAGMA user_version = 1")
    db.close()
    rows = entries()
    assert [(r["session"], r["heard"], r["areas"]) for r in rows] == [("childs-pose", 200.0, [])]
    assert sqlite3.connect(db_path()).execute("PRAGMA user_version").fetchone()[0] == len(history.MIGRATIONS)
    backup = db_path().with_name("history.sqlite.schema-1.bak")
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT session FROM practice").fetchall() == [("childs-pose",)]
    assert run("log", "childs-pose").exit_code == 0 and len(entries()) == 2


def test_twenty_logs_at_once_all_land_once() -> None:
    env = {**os.environ}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "log", "childs-pose", "--note", f"run {i}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(20)
    ]
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
    notes = sorted(r["note"] for r in entries())
    assert notes == sorted(f"run {i}" for i in range(20))


def test_progress_against_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    assert (
        run("plan", "new", "--goal", "back-pain", "--minutes", "10", "--days", "mon,wed,fri", "--zone", "UTC").exit_code
        == 0
    )
    today = dt.datetime.now(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    last_week = monday - dt.timedelta(weeks=1)
    for day, minutes, rating in ((0, 10, ("7", "4")), (2, 12, ("6", "4")), (4, 8, None)):
        extra = ["--before", rating[0], "--after", rating[1]] if rating else []
        date = (last_week + dt.timedelta(days=day)).isoformat()
        assert run("log", "childs-pose", "--date", date, "--minutes", str(minutes), *extra).exit_code == 0
    result = run("progress", "--json", "--weeks", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    previous, current = data["weeks"]
    assert previous["start"] == last_week.isoformat() and current["start"] == monday.isoformat()
    assert (previous["minutes"], previous["goal_minutes"], previous["days"], previous["planned_days"]) == (30, 30, 3, 3)
    assert previous["finished"] == 3 and previous["areas"]["back"] == 3
    assert previous["change"] == -2.5 and data["change"] == -2.5
    assert 0 < previous["habit"] <= 1 and current["minutes"] == 0
    text = run("progress").stdout
    assert "habit strength" in text and "30 / 30" in text
    chart = tmp_path / "progress.png"
    plotted = run("progress", "--plot", str(chart))
    assert plotted.exit_code == 0, plotted.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 5000


def test_without_matplotlib_the_plot_says_how_to_get_it(tmp_path: Path) -> None:
    chart = tmp_path / "p.png"
    result = subprocess.run(
        [*voiceguide_without("matplotlib"), "progress", "--plot", str(chart)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "voiceguide: --plot needs matplotlib: pip install 'voiceguide[plot]' (make setup installs it)"
    ]
    assert not chart.exists()


def test_habit_strength_forgives_a_missed_day_and_is_not_a_streak() -> None:
    start = dt.date(2026, 1, 5)  # a Monday
    today = start + dt.timedelta(weeks=8, days=-1)
    planned = {start + dt.timedelta(weeks=w, days=d) for w in range(8) for d in (0, 2, 4)}
    perfect = habit_scores(planned, 3, start, today)[today]
    missed = planned - {start + dt.timedelta(weeks=6, days=2)}
    once = habit_scores(missed, 3, start, today)[today]
    assert 0.5 < perfect <= 1
    assert perfect - 0.1 < once < perfect, "one missed day costs a little, not everything"
    days = sorted(planned)
    scores = habit_scores(planned, 3, start, today)
    assert all(scores[b] >= scores[a] - 1e-9 for a, b in zip(days, days[1:], strict=False)), "keeping it grows it"
    moved = (planned - {start + dt.timedelta(weeks=6)}) | {start + dt.timedelta(weeks=6, days=1)}
    assert habit_scores(moved, 3, start, today)[today] == pytest.approx(perfect, abs=0.02), "a day moved is kept"
