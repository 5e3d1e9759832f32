"""The loader: round trips, every error kind at its exact line and column, safety limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from voiceguide.errors import ScriptError
from voiceguide.library import Resolver
from voiceguide.loader import load_session
from voiceguide.script import Breathe, Chime, Hold, Pause, Repeat, Routine, Say, Script, Section, Sides

from .support.sessions import ALIAS_BOMB

Write = Callable[..., Path]

GOOD = """
title: Test stretch
summary: A short test.
audience: partner
areas: [neck, back]
equipment: tennis ball
safety: Be gentle.
music: waves
steps:
  - section: Start
  - say: Sit tall.
  - pause: 5s
  - hold: 30s to 1m
    breathe: relax
    countdown: 10s
    pace: 4s
  - breathe: box
    cycles: 2 to 3
  - breathe: 4-6
    for: 1m
  - repeat: 2 to 4
    steps:
      - say: [First., Middle., Last.]
  - sides: [right, left]
    steps:
      - say: Tilt to the {side}, away from the {other_side}.
  - chime: soft
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        load_session(path, Resolver())
    return [f"{p.line}:{p.col}: {p.message}" for p in caught.value.problems]


def test_round_trip(write: Write) -> None:
    script = load_session(write(GOOD))
    assert isinstance(script, Script)
    assert (script.title, script.summary, script.audience, script.music) == (
        "Test stretch",
        "A short test.",
        "partner",
        "waves",
    )
    assert script.areas == ("neck", "back") and script.equipment == ("tennis ball",)
    kinds = [type(s) for s in script.steps]
    assert kinds == [Section, Say, Pause, Hold, Breathe, Breathe, Repeat, Sides, Chime]
    hold = script.steps[3]
    assert isinstance(hold, Hold)
    assert (hold.seconds.lo, hold.seconds.hi, hold.countdown, hold.pace) == (30, 60, 10, 4)
    assert hold.breathe is not None and hold.breathe.name == "relax"
    assert (hold.line, hold.col) == (12, 5)
    breathe_for = script.steps[5]
    assert isinstance(breathe_for, Breathe) and breathe_for.cycles.lo == 6  # 1 minute of 10 s cycles
    repeat = script.steps[6]
    assert isinstance(repeat, Repeat) and isinstance(repeat.steps[0], Say)
    assert repeat.steps[0].texts == ("First.", "Middle.", "Last.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("steps:\n  - say: hi\n", ["1:1: missing key 'title'"]),
        ("title: x\n", ["1:1: missing key 'steps': a technique needs a list of steps"]),
        ("title: x\nsteps: []\n", ["2:8: steps is empty: give at least one step"]),
        (
            "title: x\nstep:\n  - say: hi\n",
            [
                "1:1: missing key 'steps': a technique needs a list of steps",
                "2:1: unknown key 'step' in a technique script; did you mean 'steps'?",
            ],
        ),
        ("title: x\nsteps:\n  - sya: hi\n", ["3:5: unknown key 'sya' in a step; did you mean 'say'?"]),
        (
            "title: x\nsteps:\n  - say: hi\n    pause: 5s\n",
            ["4:5: a step has exactly one action, but this one has 'say' and 'pause'; split it into two steps"],
        ),
        (
            "title: x\nsteps:\n  - pause: -5s\n",
            ["3:12: pause: duration '-5s' is negative; durations must be above zero"],
        ),
        ("title: x\nsteps:\n  - pause: 0s\n", ["3:12: pause: duration '0s' is zero; durations must be above zero"]),
        ("title: x\nsteps:\n  - hold: 30\n", ["3:11: hold: duration '30' needs a unit: write 30s or 30m"]),
        ("title: x\nsteps:\n  - hold: 99h\n", ["3:11: hold: duration '99h' is longer than the 4 hour session limit"]),
        (
            "title: x\nsteps:\n  - hold: 1m to 30s\n",
            ["3:11: hold: range 1m to 30s is reversed; write the shorter duration first"],
        ),
        (
            "title: x\nsteps:\n  - repeat: 0\n    steps:\n      - say: hi\n",
            ["3:13: repeat: repeat must be at least 1, not 0"],
        ),
        (
            "title: x\nsteps:\n  - repeat: 101\n    steps:\n      - say: hi\n",
            ["3:13: repeat: repeat 101 is more than the limit of 100"],
        ),
        (
            "title: x\nsteps:\n  - breathe: 4-x\n",
            [
                "3:14: breathe: '4-x' is not a breathing pattern; use 4-7-8, box, relax, or seconds per phase such as 4-6 (in, out), 4-7-8 (in, hold, out) or 4-4-4-4 (in, hold, out, hold)"
            ],
        ),
        (
            "title: x\nsteps:\n  - hold: 5s\n    cycles: 3\n",
            ["4:5: option 'cycles' does not go with hold; it belongs to breathe"],
        ),
        (
            "title: x\nsteps:\n  - hold: 5s\n    countdown: 10s\n",
            ["4:16: countdown 10s does not fit in a 5s hold; make it shorter"],
        ),
        ("title: x\nsteps:\n  - say: Turn to the {side}.\n", ["3:10: {side} is only filled in inside a sides: step"]),
        (
            "title: x\nsteps:\n  - say: Hi {name}.\n",
            ["3:10: unknown placeholder {name}; only {side} and {other_side} exist"],
        ),
        (
            "title: x\nsteps:\n  - say: [a, b]\n",
            ["3:10: a list of texts takes turns across repeats; put this say inside a repeat, or give one text"],
        ),
        (
            "title: x\nsteps:\n  - repeat: 2\n    steps:\n      - section: A\n      - say: b\n",
            ["5:18: a section can only start at the top level of steps, not inside repeat or sides"],
        ),
        ("title: x\naudience: kids\nsteps:\n  - say: hi\n", ["2:11: audience must be 'self' or 'partner', not 'kids'"]),
        (
            "title: x\nmusic: jazz\nsteps:\n  - say: hi\n",
            ["2:8: music must be a mood (warm, waves, bowls), none, or a sound file"],
        ),
        (
            "title: x\nmusic: missing.mp3\nsteps:\n  - say: hi\n",
            ["2:8: music file 'missing.mp3' not found (paths are relative to the script's folder)"],
        ),
        (
            "title: x\nsteps:\n  - breathe: relax\n    cycles: 2\n    for: 1m\n",
            ["5:5: give either cycles: or for:, not both"],
        ),
        (
            "title: x\nsteps:\n  - sides: [left, left]\n    steps:\n      - say: hi\n",
            ["3:12: sides must list one to four different sides, such as [right, left]"],
        ),
        ("title: x\nsteps:\n  - repeat: 2\n", ["3:13: repeat needs nested steps: (indented under it)"]),
        ("title: x\nsteps:\n  - just text\n", ["3:5: a step must be a mapping such as 'say: ...', not 'just text'"]),
        ("title: x\nsteps:\n  - chime: loud\n", ["3:12: chime must be 'soft', not 'loud'"]),
        (
            "title: x\nsteps:\n  - say: a\n    detail: true\n    brief: b\n",
            ["5:5: give either detail: true (brief guidance drops it) or brief:, not both"],
        ),
        (
            "title: x\nsteps:\n  - say: a\n    detail: yes please\n",
            ["4:13: detail must be true or false, not 'yes please'"],
        ),
        (
            "title: x\nsteps:\n  - say: a\n    brief: On the {side}.\n",
            ["4:12: {side} is only filled in inside a sides: step"],
        ),
    ],
)
def test_errors_at_their_line(write: Write, text: str, expected: list[str]) -> None:
    assert problems(write(text)) == expected


def test_reports_every_problem_at_once(write: Write) -> None:
    path = write("title: x\nsteps:\n  - sya: hi\n  - pause: 0s\n  - hold: 1m to 30s\n")
    assert [p.split(":")[0] for p in problems(path)] == ["3", "4", "5"]


def test_yaml_syntax_errors(write: Write) -> None:
    assert problems(write("title: x\nsteps:\n\t- say: hi\n")) == [
        "3:1: tab character in the YAML; indent with spaces, not tabs"
    ]
    assert problems(write("title: [x\nsteps: []\n"))[0].startswith("2:6: YAML syntax error")
    assert problems(write("title: x\ntitle: y\nsteps:\n  - say: hi\n")) == [
        "2:1: duplicate key 'title' (first given on line 1)"
    ]
    assert problems(write("title: x\n---\ntitle: y\n")) == [
        "2:1: the file holds more than one YAML document; a script is one document"
    ]
    assert problems(write("- a\n- b\n")) == ["1:1: a script must be a mapping of keys (title:, steps: ...)"]


def test_file_level_errors(write: Write) -> None:
    assert problems(write(b"")) == ["1:1: file is empty; a script needs at least a title and steps"]
    assert problems(write(b"  \n\n")) == ["1:1: file is empty; a script needs at least a title and steps"]
    assert problems(write(b"title: caf\xe9\n")) == ["1:11: byte 0xe9 is not UTF-8; save the file as UTF-8"]
    assert problems(write(b"title: x\nste\x00ps: 1\n")) == ["2:4: this is a binary file, not a YAML text file"]
    assert problems(write(b"title: x\n#" + b"a" * 1_000_001)) == ["1:1: file is 1,000,011 bytes; the limit is 1 MB"]
    big = "title: x\nsteps:\n  - say: " + "word " * 250 + "\n"
    assert problems(write(big)) == ["3:10: say is 1,249 characters; the limit is 1,000 (split it into several steps)"]


def test_no_tag_constructs_anything(write: Write, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"title: !!python/object/apply:os.system ['touch {marker}']\nsteps:\n  - say: hi\n"
    assert problems(write(text)) == ["1:8: YAML tag !!python/object/apply:os.system is not allowed in scripts"]
    assert problems(write("title: !custom x\nsteps:\n  - say: hi\n")) == [
        "1:8: YAML tag !custom is not allowed in scripts"
    ]
    assert not marker.exists()


def test_an_alias_bomb_is_refused(write: Write) -> None:
    """Ten levels of ten aliases each (10^10 values once expanded) are refused by their count, not
    expanded; how fast, is figure 18 of the benchmark."""
    found = problems(write(ALIAS_BOMB))
    assert len(found) == 1 and "more than 20,000 values (an alias bomb?)" in found[0]


def test_session_longer_than_four_hours(write: Write) -> None:
    text = "title: x\nsteps:\n  - repeat: 100\n    steps:\n      - repeat: 100\n        steps:\n          - hold: 10s\n"
    assert problems(write(text)) == [
        "1:1: this technique can last up to 27h46m40s, over the 4 hour session limit; shorten its holds or repeats"
    ]


def test_routines(write: Write) -> None:
    write("title: A\nsteps:\n  - say: a\n", "a.yaml")
    path = write("title: R\nroutine:\n  - a\n  - childs-pose: {length: 2m}\n", "r.yaml")
    routine = load_session(path, Resolver())
    assert isinstance(routine, Routine)
    assert [e.item.name for e in routine.entries] == ["a", "childs-pose"]
    assert routine.entries[1].length == 120
    unknown = write("title: R\nroutine:\n  - childs-pse\n", "u.yaml")
    assert problems(unknown) == ["3:5: no technique named 'childs-pse'; did you mean 'childs-pose'?"]
    self_ref = write("title: R\nroutine:\n  - loop\n", "loop.yaml")
    assert problems(self_ref) == ["3:5: routine includes itself (loop -> loop)"]
    write("title: B\nroutine:\n  - c\n", "b.yaml")
    write("title: C\nroutine:\n  - b\n", "c.yaml")
    assert "routine includes itself (c -> b -> c)" in problems(write("title: C\nroutine:\n  - b\n", "c.yaml"))[0]
    bad_option = write("title: R\nroutine:\n  - a: {lenght: 2m}\n", "o.yaml")
    assert problems(bad_option) == ["3:9: unknown key 'lenght' in routine entry options; did you mean 'length'?"]


def test_broken_technique_inside_routine(write: Write) -> None:
    broken = write("title: B\nsteps:\n  - pause: 0s\n", "broken.yaml")
    path = write("title: R\nroutine:\n  - broken\n", "r.yaml")
    with pytest.raises(ScriptError) as caught:
        load_session(path, Resolver())
    where = [(p.path, p.line) for p in caught.value.problems]
    assert (str(broken), 3) in where and (str(path), 3) in where
