"""The first commands through typer's CliRunner: list, show, validate, schema, help."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceguide import library
from voiceguide.cli import app
from voiceguide.script import POSITIONS, Script

from .support import SCRIPTS

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_list_json() -> None:
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["kind"] for r in rows} == {"technique", "routine"}
    for row in rows:
        assert set(row) == {"name", "title", "kind", "audience", "position", "areas", "minutes", "minutes_brief"}
        assert (row["position"] in POSITIONS) == (row["kind"] == "technique"), row
        lo, hi = row["minutes"]
        assert 0 < lo <= hi < 240
        brief_lo, brief_hi = row["minutes_brief"]
        assert 0 < brief_lo <= lo and brief_lo <= brief_hi <= hi, row
    by_name = {r["name"]: r for r in rows}
    assert by_name["partner-back-massage"]["audience"] == "partner"
    assert 4 <= by_name["daily-routine"]["minutes"][0] <= by_name["daily-routine"]["minutes"][1] <= 6.5


def test_a_reader_that_goes_away_ends_it_quietly() -> None:
    """``voiceguide list --json | head -1``: no "Broken pipe" message, no failure."""
    command = [sys.executable, "-m", "voiceguide", "list", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


def test_list_table() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    assert "childs-pose" in result.stdout and "routine" in result.stdout


@pytest.mark.parametrize("columns", ["30", "60", "200"])
def test_list_never_cuts_a_name_and_shows_each_position(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a narrow terminal (or a pipe) the names stay whole: the title wraps instead."""
    monkeypatch.setenv("COLUMNS", columns)
    result = run("list")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line and not line.startswith(" ")}
    for entry in library.entries():
        assert entry.name in rows, entry.name
        session = library.load(entry.name)
        if isinstance(session, Script):
            assert f"  {session.position}  " in rows[entry.name]
    assert "…" not in result.stdout


def test_list_by_area() -> None:
    result = run("list", "--areas", "neck", "--json")
    assert result.exit_code == 0, result.output
    names = {r["name"] for r in json.loads(result.stdout)}
    every = {e.name: library.load(e.name) for e in library.entries()}
    assert names == {n for n, s in every.items() if any("neck" in a for a in s.areas)}
    refused = run("list", "--areas", "elbows")
    assert refused.exit_code == 2
    assert refused.output.startswith("voiceguide: no technique works the elbows; areas are: ")
    assert len(refused.output.strip().splitlines()) == 1


def test_show_text_and_json() -> None:
    result = run("show", "childs-pose")
    assert result.exit_code == 0, result.output
    assert "hold     30s to 3m  (breathe relax, countdown 5s)" in result.stdout
    assert "Total: about" in result.stdout
    data = json.loads(run("show", "childs-pose", "--json").stdout)
    assert data["name"] == "childs-pose"
    hold = next(s for s in data["steps"] if s["action"] == "hold")
    assert hold["seconds"] == [30, 180] and hold["breathe"] == "relax"
    routine = json.loads(run("show", "daily-routine", "--json").stdout)
    assert [t["name"] for t in routine["techniques"]] == ["upper-trapezius-release", "childs-pose"]


def test_show_by_path_and_unknown_name() -> None:
    assert run("show", str(SCRIPTS / "childs-pose.yaml")).exit_code == 0
    result = run("show", "childs-pse")
    assert result.exit_code == 2
    assert "no technique or routine named 'childs-pse'; did you mean 'childs-pose'?" in result.stderr


def test_validate(write: Callable[..., Path]) -> None:
    ok = run("validate", str(SCRIPTS))
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip().endswith("files valid")
    bad = write("title: x\nsteps:\n  - sya: hi\n  - hold: 1m to 30s\n", "bad.yaml")
    result = run("validate", str(bad), str(SCRIPTS / "childs-pose.yaml"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:3:5: unknown key 'sya' in a step; did you mean 'say'?",
        f"{bad}:4:11: hold: range 1m to 30s is reversed; write the shorter duration first",
    ]
    assert "Traceback" not in result.output


def test_validate_a_folder_skips_hidden_files(tmp_path: Path) -> None:
    """An editor's lock link or a hidden backup beside the scripts is not a script."""
    (tmp_path / "childs-pose.yaml").write_bytes((SCRIPTS / "childs-pose.yaml").read_bytes())
    (tmp_path / ".#childs-pose.yaml").symlink_to("root@host.1234:1700000000")  # how emacs marks a file open
    (tmp_path / ".backup.yaml").write_text("steps: [")
    (tmp_path / ".drafts").mkdir()
    (tmp_path / ".drafts" / "half.yaml").write_text("title: [")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("1 ")
    (tmp_path / "broken.yaml").write_text("title: [")
    assert run("validate", str(tmp_path)).exit_code == 2, "a visible broken script is still found"


def test_schema_command() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$schema"].startswith("https://json-schema.org/")


def _commands() -> list[str]:
    return sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_every_command_has_help() -> None:
    top = run("-h")
    assert top.exit_code == 0
    assert len(_commands()) >= 4
    for name in _commands():
        result = run(name, "-h")
        assert result.exit_code == 0, name
        assert "Usage:" in result.stdout
        command = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == name)
        assert command.callback is not None and (command.callback.__doc__ or "").strip(), f"{name} needs a docstring"
        assert name in top.stdout


@pytest.mark.parametrize("flag", ["--version"])
def test_version(flag: str) -> None:
    result = run(flag)
    assert result.exit_code == 0 and result.stdout.startswith("voiceguide ")


def test_list_follows_a_changed_script_through_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts kept for ``list`` are keyed by a script's content: an edit shows at once."""
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "childs-pose.yaml").write_bytes((SCRIPTS / "childs-pose.yaml").read_bytes())
    monkeypatch.setenv("VOICEGUIDE_LIBRARY", str(folder))
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "cache"))

    def listed() -> dict[str, object]:
        result = run("list", "--json")
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.stdout)
        return dict(row)

    first = listed()
    assert (tmp_path / "cache" / "script-facts.json").is_file()
    assert listed() == first
    text = (folder / "childs-pose.yaml").read_text()
    (folder / "childs-pose.yaml").write_text(text.replace("position: kneeling", "position: lying face down"))
    changed = listed()
    assert changed["position"] == "lying face down" and first["position"] == "kneeling"
