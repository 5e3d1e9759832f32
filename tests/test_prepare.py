"""Equipment that takes minutes to get ready: said, waited for, and named before pressing play."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from voiceguide import library
from voiceguide.cli import app
from voiceguide.loader import load_session
from voiceguide.script import Routine
from voiceguide.steps import Speak, Wait, build, fetch_seconds

runner = CliRunner()

BAG = """
title: Warm rest
equipment:
  - a thin towel
  - item: a heated wheat bag
    prepare: Heat the bag now, as its label says.
    for: 3m
safety: Lift the bag off if it hurts.
steps:
  - say: Lay the bag on your shoulders.
  - hold: 1m
"""


def test_a_thing_to_prepare_is_said_after_the_fetch_pause_and_waited_for_at_every_level(
    write: Callable[..., Path],
) -> None:
    path = write(BAG)
    for guidance in ("full", "brief"):
        items = list(build(load_session(path), guidance=guidance).items)
        at = next(i for i, x in enumerate(items) if isinstance(x, Speak) and x.role == "equipment")
        fetch, said, wait = items[at + 1 : at + 4]
        assert fetch == Wait("fetch", fetch_seconds(2))
        assert said == Speak("Heat the bag now, as its label says. The session waits three minutes.", "prepare")
        assert wait == Wait("prepare", 180.0)
        assert isinstance(items[at + 4], Speak) and items[at + 4].text == "Lay the bag on your shoulders."
    shown = runner.invoke(app, ["show", str(path)])
    assert "Prepare first: a heated wheat bag (3m). Heat the bag now, as its label says." in shown.stdout


def test_a_routine_prepares_each_thing_once() -> None:
    routine = library.load("warm-and-cold")
    assert isinstance(routine, Routine)
    assert [t.name for t in routine.techniques()].count("warm-compress") == 2
    items = build(routine).items
    assert len([x for x in items if isinstance(x, Wait) and x.kind == "prepare"]) == 1
    assert len([x for x in items if isinstance(x, Speak) and x.role == "prepare"]) == 1


def test_a_thing_to_prepare_needs_its_words_and_its_time(write: Callable[..., Path]) -> None:
    path = write(BAG.replace("    for: 3m\n", ""))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{path}:4:5: equipment to prepare needs item:, prepare: and for: (missing for:)"
    late = write(BAG.replace("for: 3m", "for: soon"), "late.yaml")
    result = runner.invoke(app, ["validate", str(late)])
    assert result.exit_code == 2 and f"{late}:6:10: for:" in result.stderr
