"""validate --strict for a listener with eyes closed, and the library held to it at every level."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from voiceguide import library, strict
from voiceguide.cli import app
from voiceguide.fit import estimated_lengths, settle
from voiceguide.loader import load_session
from voiceguide.pace import DEFAULT_PACE
from voiceguide.safety import safety_said
from voiceguide.script import Hold, Repeat, Script, Sides, Step
from voiceguide.steps import GUIDANCE, MIDDLE, Speak, Wait, build, leaves, technique_items

from .support import REPO, SCRIPTS

FILES = sorted(SCRIPTS.glob("*.yaml")) + sorted((SCRIPTS / "routines").glob("*.yaml"))
runner = CliRunner()


def sources() -> Path | None:
    """The source texts the library was written from: ``shared/`` lies beside the clone (or beside
    the folder of worktrees) where the project is developed and in CI; a user's clone has none."""
    for folder in (REPO.parent / "shared" / "sources", REPO.parent.parent / "shared" / "sources"):
        if folder.is_dir():
            return folder
    return None


needs_sources = pytest.mark.skipif(
    sources() is None, reason="the source texts (shared/sources beside the clone) are not on this machine"
)


# -- the rules --------------------------------------------------------------------------------


def test_a_stop_line_says_to_stop_when_something_hurts() -> None:
    assert strict.is_stop_line("Keep it gentle. If anything hurts, ease off or stop.")
    assert strict.is_stop_line("Lift the pack off at once if it hurts.")
    assert not strict.is_stop_line("Massage should feel good and never painful.")
    assert not strict.is_stop_line("Stop when the timer ends. Nothing here should hurt.")


def test_words_that_ask_for_sight_are_found_whole() -> None:
    assert strict.sight_words("Look at your skin: is it white or pale?") == ["Look", "white", "pale"]
    assert strict.sight_words("Watch your breath, and gaze ahead. Do you see it?") == ["Watch", "gaze", "see"]
    assert strict.sight_words("Plant a seed, lookout, seesaw, whitewash, a palette.") == []
    assert strict.sight_words("If it lasts, see a doctor or see your massage therapist.") == []


def test_strict_reports_each_eyes_closed_problem_at_its_line(write: Callable[..., Path]) -> None:
    path = write(
        """
        title: Wall ball
        equipment: [a tennis ball]
        safety: Keep it gentle.
        steps:
          - say: Stand with your back to the wall and look at the ball.
          - hold: 10s
          - say: Set the ball down.
        """
    )
    result = runner.invoke(app, ["validate", "--strict", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    for guidance in ("full", "brief"):
        assert any(line.startswith(f"{path}:3:1: under {guidance} guidance nothing before") for line in lines)
    assert any(line.startswith(f"{path}:5:47:") and '"look" asks for sight' in line for line in lines)
    assert any(line.startswith(f"{path}:5:5:") and '"wall", which is not in the equipment' in line for line in lines)
    assert len(lines) == 4, lines
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0, "without --strict these are no error"


def test_a_thing_named_only_in_a_comparison_needs_no_equipment(write: Callable[..., Path]) -> None:
    path = write(
        """
        title: Table back
        safety: If anything hurts, stop.
        steps:
          - say: Let your back be flat like a table.
        """
    )
    result = runner.invoke(app, ["validate", "--strict", str(path)])
    assert result.exit_code == 0, result.output


def _against_a_source(text: str, path: Path, tmp_path: Path) -> Result:
    """``validate --strict`` of ``path`` against a folder holding one source, ``text``."""
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "a.txt").write_text(text, encoding="utf-8")
    return runner.invoke(app, ["validate", "--strict", "--sources", str(folder), str(path)])


def test_seven_words_from_a_source_are_caught_six_are_not(write: Callable[..., Path], tmp_path: Path) -> None:
    path = write(
        """
        title: Neck
        safety: If anything hurts, stop.
        steps:
          - say: Now rest your hand on the back of your neck.
          - say: Rest your palm on the back of your neck.
        """
    )
    result = _against_a_source("Rest your hand on the back of your neck, and breathe.", path, tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f'{path}:4:14: "rest your hand on the back of..." is copied from a source; say it in your own words'
    ]
    assert runner.invoke(app, ["validate", "--strict", str(path)]).exit_code == 0, "no sources given, no check"
    missing = runner.invoke(app, ["validate", "--strict", "--sources", str(tmp_path / "none"), str(path)])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr


def test_a_run_copied_through_a_side_is_caught_as_it_is_heard(write: Callable[..., Path], tmp_path: Path) -> None:
    """ "your {side} arm" is said "your right arm" (and "your left arm"): the check hears it so."""
    path = write(
        """
        title: Neck
        safety: If anything hurts, stop.
        steps:
          - sides: [right, left]
            steps:
              - say: Bring your {side} arm across your chest and rest it.
              - say: Bring your {side} hand to your chest, and rest it there.
        """
    )
    result = _against_a_source("Put your right arm across your chest and rest your hand.", path, tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f'{path}:6:20: "your right arm across your chest and..." is copied from a source; say it in your own words'
    ]


# -- the library --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_library_session_is_safe_with_eyes_closed(path: Path) -> None:
    """Every rule; the runs of words shared with a source where the sources are here."""
    session = load_session(path, library.Resolver())
    assert [str(p) for p in strict.check(path, session, sources())] == []


@needs_sources
def test_the_library_passes_strict_validation_with_the_sources() -> None:
    result = runner.invoke(app, ["validate", "--strict", "--sources", str(sources()), str(SCRIPTS)])
    assert result.exit_code == 0, result.output


def _holds(steps: tuple[Step, ...]) -> list[Hold]:
    out: list[Hold] = []
    for step in steps:
        if isinstance(step, Hold):
            out.append(step)
        elif isinstance(step, Repeat | Sides):
            out += _holds(step.steps)
    return out


def _held(script: Script, choice: object, guidance: str) -> list[Wait]:
    items = technique_items(script, choice, routine=True, first=False, guidance=guidance)
    return [i for i in items if isinstance(i, Wait) and i.kind == "hold"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_technique_keeps_its_doses_in_every_session_at_every_level(path: Path) -> None:
    session = load_session(path, library.Resolver())
    chooser = settle(session, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE)
    for index, (script, _length) in enumerate(leaves(session)):
        choice = chooser(index, script)
        ranges = [(h.seconds.lo, h.seconds.hi, h.pace, h.breathe) for h in _holds(script.steps)]
        fewest = len(_held(script, type(choice)(0.0, 0.0), "full"))
        most = len(_held(script, type(choice)(1.0, 1.0), "full"))
        full = _held(script, choice, "full")
        assert fewest <= len(full) <= most, f"{script.name}: {len(full)} holds, outside {fewest} to {most}"
        for wait in full:
            assert any(
                lo - 1e-6 <= wait.seconds <= hi + 1e-6 and pace == wait.pace and breathe == wait.breathe
                for lo, hi, pace, breathe in ranges
            ), f"{script.name}: a hold of {wait.seconds:g}s is outside every range of its script"
        assert _held(script, choice, "brief") == full, f"{script.name}: brief guidance keeps every timing"
    for guidance in GUIDANCE:  # the whole session builds at both levels with these choices
        assert build(session, chooser, guidance).items


def test_brief_guidance_keeps_the_stop_line_and_the_warning_signs() -> None:
    line = (
        "If anything hurts, stop. Move slowly. Stop and see a doctor if back pain comes with a fever. "
        "Ask your therapist."
    )
    assert safety_said(line, brief=False) == line
    assert (
        safety_said(line, brief=True)
        == "If anything hurts, stop. Stop and see a doctor if back pain comes with a fever."
    )
    assert safety_said("Stop if it hurts.", brief=True) == "Stop if it hurts."


BACK = [p for p in FILES if p.parent == SCRIPTS and any("back" in a for a in load_session(p).areas)]


@pytest.mark.parametrize("path", BACK + [SCRIPTS / "routines" / "back-pain-recovery.yaml"], ids=lambda p: p.stem)
def test_every_back_session_names_the_warning_signs_before_its_first_step_at_every_level(path: Path) -> None:
    """Pain with numbness or weakness in the legs, after a fall or with a fever: see a doctor.
    Every session for the back says so, at full and at brief guidance, before anything moves."""
    session = load_session(path, library.Resolver())
    for guidance in GUIDANCE:
        spoken = [i for i in build(session, MIDDLE, guidance).items if isinstance(i, Speak)]
        first = next(n for n, i in enumerate(spoken) if i.role == "say")
        said = [n for n, i in enumerate(spoken) if re.search(r"numbness or weakness\s+in (your|their) legs", i.text)]
        assert said and said[0] < first, f"{path.stem} at {guidance} guidance: {[i.text for i in spoken[:first]]}"
        assert len(said) == 1, f"{path.stem} at {guidance} guidance says the warning signs {len(said)} times"
