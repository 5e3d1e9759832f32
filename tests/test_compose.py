"""A session composed on the spot: for every area, length and piece of equipment, the session
lasts the minutes asked, needs only what is at hand, works the areas asked and moves one way;
the routine file it writes plays the same; each request it cannot meet is one line, exit 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.errors import UsageError
from voiceguide.facts import library_facts, works
from voiceguide.practice.composer import CLOSE, build, compose, has_equipment, session_length, thing
from voiceguide.script import POSITIONS, Routine, Script
from voiceguide.steps import MOVES, Speak
from voiceguide.steps import build as expand

TECHNIQUES = [f for f in library_facts() if f.part is not None and f.audience == "self"]
AREAS = sorted({a.lower() for f in TECHNIQUES for a in f.areas})
ITEMS = sorted({thing(alt) for f in TECHNIQUES for need in f.equipment for alt in need.split(" or ")})
NEEDS = re.compile(r"every (.+) technique needs one of: ([^;]+);")
SUGGESTED = re.compile(r"is (\d+) minutes|(\d+) or (\d+) minutes would work")


def scripts(session: Routine) -> list[Script]:
    return session.techniques()


def check(area: str, minutes: int, equipment: tuple[str, ...]) -> None:
    composed = compose(area, minutes, equipment)
    session = composed.session
    length = session_length(session)  # as the render's fitting will meet each technique's length
    assert abs(length - minutes * 60) <= CLOSE, (area, minutes, equipment, length)
    for script in scripts(session):
        assert has_equipment(script, equipment), (script.name, equipment)
    assert all(works(tuple(s.areas), (area,)) for s in scripts(session))
    at_hand = [f for f in TECHNIQUES if has_equipment(f, equipment)]
    if any(works(f.areas, (area,)) for f in at_hand):
        assert any(works(tuple(s.areas), (area,)) for s in scripts(session)), (area, equipment)
    places = [POSITIONS.index(s.position) for s in scripts(session)]
    assert places == sorted(places), [s.position for s in scripts(session)]


@pytest.mark.parametrize("area", AREAS)
def test_every_area_length_and_item(area: str) -> None:
    """Each request is composed within half a minute of the minutes, or refused naming minutes
    that do work (and they do)."""
    for minutes in (5, 10, 20):
        for equipment in [(), *((item,) for item in ITEMS)]:
            try:
                check(area, minutes, equipment)
            except UsageError as refused:
                needs = NEEDS.match(str(refused))
                if needs:  # everything for the area needs something not at hand, and names it
                    named = needs.group(2).split(", ")
                    assert not set(named) & set(equipment)
                    assert not any(works(f.areas, (area,)) and has_equipment(f, equipment) for f in TECHNIQUES)
                    continue
                found = SUGGESTED.search(str(refused))
                assert found, str(refused)
                for other in (int(m) for m in found.groups() if m):
                    check(area, other, equipment)


def test_a_longer_session_where_the_library_can_fill_it() -> None:
    check("back", 30, ("tennis ball", "yoga mat", "foam roller"))


def test_no_minute_is_missed_between_the_shortest_and_the_longest() -> None:
    """With seven back techniques at hand, repeats that change a length in steps leave no gap:
    every whole minute from the shortest session to the longest is composed to its length."""
    equipment = ("tennis ball", "yoga mat", "foam roller")
    made = []
    for minutes in range(1, 61):
        try:
            check("back", minutes, equipment)
        except UsageError:
            continue
        made.append(minutes)
    assert made == list(range(made[0], made[-1] + 1)) and made[0] <= 5 and made[-1] >= 30, made


def test_the_same_request_gives_the_same_session_and_a_seed_varies_it() -> None:
    def names(seed: int) -> list[str]:
        return [s.name for s in scripts(compose("back", 15, ("tennis ball", "yoga mat"), seed=seed).session)]

    assert names(1) == names(1)
    assert any(names(seed) != names(1) for seed in range(2, 12))


def test_the_equipment_is_said_once_at_the_start_and_each_change_of_place_in_a_sentence() -> None:
    session = compose("hamstrings", 10, ("yoga mat", "strap")).session
    items = expand(session).items
    said = [i for i in items if isinstance(i, Speak)]
    equipment = [n for n, i in enumerate(said) if i.role == "equipment"]
    assert len(equipment) == 1 and equipment[0] <= 3
    positions = [s.position for s in scripts(session)]
    changes = [b for a, b in zip(positions, positions[1:], strict=False) if a != b]
    assert changes, positions
    assert [i.text for i in said if i.text in MOVES.values()] == [MOVES[p] for p in changes]


def test_what_the_therapist_advised_against_is_left_out() -> None:
    plain = {s.name for s in scripts(compose("neck", 12, ("yoga mat",)).session)}
    assert "upper-trapezius-release" in plain
    avoided = compose("neck", 12, ("yoga mat",), avoid=frozenset({"upper-trapezius-release"}))
    assert "upper-trapezius-release" not in {s.name for s in scripts(avoided.session)}
    assert abs(session_length(avoided.session) - 12 * 60) <= CLOSE
    with pytest.raises(UsageError, match="advise against every technique for the glutes"):
        compose("glutes", 10, ("chi ball", "yoga mat"), avoid=frozenset({"chi-ball"}))


def test_the_days_of_a_plan_are_composed_sessions() -> None:
    built = build("back-pain", ("back",), ("tennis ball", "yoga mat"), 10, ("mon", "wed", "fri"), "07:30", "UTC")
    by_name = {f.name: f for f in library_facts()}
    for day in built.plan.days:
        places = [POSITIONS.index(by_name[i.name].position) for i in day.items]
        assert places == sorted(places), day


def voiceguide(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"VOICEGUIDE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    import os

    env["VOICEGUIDE_CACHE_DIR"] = os.environ["VOICEGUIDE_CACHE_DIR"]
    return subprocess.run(
        [sys.executable, "-m", "voiceguide", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_composed_routine_file_round_trips(tmp_path: Path) -> None:
    """Written, validated, shown and rendered to the same cue sheet as the session composed on the spot."""
    request = ["--areas", "hamstrings", "--minutes", "9", "--equipment", "yoga mat,strap"]
    home = tmp_path / "home"
    made = voiceguide("compose", *request, "-o", "mine.yaml", cwd=tmp_path, home=home)
    assert made.returncode == 0, made.stderr
    assert voiceguide("validate", "--strict", "mine.yaml", cwd=tmp_path, home=home).returncode == 0
    shown = voiceguide("show", "mine.yaml", cwd=tmp_path, home=home)
    assert shown.returncode == 0 and "Hamstrings, 9 minutes" in shown.stdout
    again = voiceguide("compose", *request, "-o", "mine.yaml", cwd=tmp_path, home=home)
    assert again.returncode != 0 and "--force" in again.stderr
    for name, source in (("spot", request), ("file", ["mine.yaml"])):
        rendered = voiceguide("render", *source, "-o", f"{name}.wav", "--cues", f"{name}.json", cwd=tmp_path, home=home)
        assert rendered.returncode == 0, rendered.stderr
    spot, file = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("spot", "file"))
    assert spot == file
    assert abs(spot["duration"] - 9 * 60) <= CLOSE
    assert [e["text"] for e in spot["events"] if e["text"] in MOVES.values()]
    assert (tmp_path / "spot.wav").read_bytes() == (tmp_path / "file.wav").read_bytes()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--areas", "elbows", "--minutes", "10"], r"^voiceguide: no technique works the elbows; areas are: ankles, "),
        (
            ["--areas", "neck", "--minutes", "1"],
            r"^voiceguide: the shortest session for the neck with your equipment is \d+ minutes",
        ),
        (
            ["--areas", "glutes", "--minutes", "10"],
            r"^voiceguide: every glutes technique needs one of: chi ball, yoga mat",
        ),
        (["--areas", "neck"], r"^voiceguide: --areas needs --minutes"),
        (
            ["--areas", "feet", "--minutes", "10", "--for", "partner"],
            r"^voiceguide: no technique for a partner works the feet",
        ),
        (
            ["childs-pose", "--areas", "neck", "--minutes", "10"],
            r"^voiceguide: give a session's name \(childs-pose\) or --areas",
        ),
    ],
)
def test_each_refusal_is_one_line_and_exit_2(args: list[str], line: str, tmp_path: Path) -> None:
    for command in (["play"], ["render", "-o", "x.wav"], ["export", "-o", "out"]):
        if command[0] == "export" and args[0] == "childs-pose":
            continue
        result = voiceguide(*command, *args, cwd=tmp_path, home=tmp_path / "home")
        assert result.returncode == 2, (command, result.stderr)
        assert re.search(line, result.stderr), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert list(tmp_path.glob("*.wav")) == [] and not (tmp_path / "out").exists()
