"""What a listener hears with eyes closed: equipment named before it is needed, sides named by
what moves, one tick per stroke, countdowns only before a change, advice that warns instead
of refusing, two guidance levels, and routines whose lengths can be reached."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceguide import library
from voiceguide.cli import app
from voiceguide.fit import _part_length, estimated_lengths, settle
from voiceguide.library import Resolver
from voiceguide.loader import check_session, load_session
from voiceguide.pace import DEFAULT_PACE
from voiceguide.script import SHORTEST, Hold, Repeat, Routine, Script, Sides, Step
from voiceguide.steps import Choice, Speak, Steps, Wait, build, fetch_seconds
from voiceguide.timeline import build as lay_out

from .support import REPO

Write = Callable[..., Path]
runner = CliRunner()
SR = 44100


def words_length(sentence: str) -> int:
    return int((0.4 * len(sentence.split()) + 0.3) * SR)


def spoken(steps: Steps) -> list[str]:
    return [item.text for item in steps.items if isinstance(item, Speak)]


# -- equipment ------------------------------------------------------------------------------


def test_a_technique_names_its_equipment_before_its_first_step_and_leaves_time_to_fetch(write: Write) -> None:
    path = write(
        """
        title: Wall ball
        equipment: [a tennis ball, a clear stretch of wall]
        safety: Keep it gentle.
        steps:
          - say: Stand with your back to the wall.
        """
    )
    items = build(load_session(path)).items
    texts = [i.text for i in items if isinstance(i, Speak)]
    sentence = "You will need a tennis ball and a clear stretch of wall. Take a moment to have them ready."
    assert texts[:4] == ["Wall ball", "Keep it gentle.", sentence, "Stand with your back to the wall."]
    after = items[[i for i, item in enumerate(items) if isinstance(item, Speak) and item.text == sentence][0] + 1]
    assert isinstance(after, Wait) and after.kind == "fetch" and after.seconds == fetch_seconds(2) >= 5


def test_a_routine_names_everything_once_at_its_start() -> None:
    routine = library.load("back-pain-recovery")
    assert isinstance(routine, Routine)
    steps = build(routine)
    needs = [t for t in spoken(steps) if t.startswith("You will need")]
    assert len(needs) == 1, needs
    for technique in routine.techniques():
        for thing in technique.equipment:
            assert thing in needs[0]
    assert needs[0].count("a yoga mat") == 1, "each thing is named once"
    first_title = routine.techniques()[0].title
    assert spoken(steps).index(needs[0]) < spoken(steps).index(first_title)
    pause = steps.items[[i for i, x in enumerate(steps.items) if isinstance(x, Speak) and x.text == needs[0]][0] + 1]
    assert isinstance(pause, Wait) and pause.seconds == fetch_seconds(len(routine.equipment)) >= 10


# -- sides ----------------------------------------------------------------------------------


def test_sides_are_named_by_what_moves(write: Write) -> None:
    path = write(
        """
        title: Knees
        steps:
          - sides: [right, left]
            part: leg
            steps:
              - say: Lift your {side} knee.
          - sides: [right leg, left leg]
            steps:
              - say: Lift your {side}.
          - sides: [right, left]
            switch: Now the other way, toward the {side}.
            steps:
              - say: Knees to the {side}.
        """
    )
    switches = [i.text for i in build(load_session(path)).items if isinstance(i, Speak) and i.role == "switch"]
    assert switches == ["Now the left leg.", "Now switch to the left leg.", "Now the other way, toward the left."]


@pytest.mark.parametrize(
    "name", ["single-knee-to-chest", "hamstring-stretch", "chi-ball", "spinal-mobility", "foam-roller"]
)
def test_library_scripts_lying_down_never_say_switch_to_your_side(name: str) -> None:
    script = library.load(name)
    assert isinstance(script, Script)
    sides = [s for s in _walk(script.steps) if isinstance(s, Sides)]
    assert sides and all(s.part or s.switch for s in sides)
    for guidance in ("full", "brief"):
        texts = spoken(build(script, guidance=guidance))
        assert not [t for t in texts if "side." in t and t.startswith("Now switch to your")], texts


# -- ticks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "pace", "strokes"), [(24.0, 8.0, 3), (32.0, 8.0, 4), (10.0, 4.0, 3), (3.0, 5.0, 1)]
)
def test_a_tick_starts_one_whole_stroke(write: Write, seconds: float, pace: float, strokes: int) -> None:
    path = write(f"title: t\nsteps:\n  - say: Stroke on each tick.\n  - hold: {seconds}s\n    pace: {pace}s\n")
    timeline = lay_out(build(load_session(path)), words_length, DEFAULT_PACE)
    hold = next(e for e in timeline.events if e.kind == "hold")
    ticks = [e.start - hold.start for e in timeline.events if e.kind == "tick"]
    assert len(ticks) == strokes
    assert ticks == [round(k * seconds / strokes * SR) for k in range(strokes)], "evenly spread, each stroke alike"


def test_partner_massage_gives_three_to_four_strokes_where_the_source_says_so() -> None:
    script = library.load("partner-back-massage")
    assert isinstance(script, Script)
    # A spoken cue per stroke and ticks as well would double the count: no paced hold repeats.
    assert not [s for s in _walk(script.steps) if isinstance(s, Repeat) and _paced(s.steps)]
    for choice in (Choice(0.0, 0.0), Choice(1.0, 1.0)):
        timeline = lay_out(build(script, choice), words_length, DEFAULT_PACE)
        counts: dict[str, list[int]] = {}
        for index, mark in enumerate(timeline.sections):
            holds = [e for e in timeline.events if e.section == index and e.kind == "hold"]
            counts[mark.title] = [
                sum(1 for e in timeline.events if e.kind == "tick" and h.start <= e.start < h.end) for h in holds
            ]
        for title in ("3. Upper back sweeps beside the spine", "5. Three fingers along the spine"):
            assert counts[title] and all(3 <= n <= 4 for n in counts[title]), (title, counts[title])
        assert all(3 <= n <= 4 for n in counts["6. Forearm along the shoulder blade"])
        right = counts["9. The same moves on the right side"]
        assert sum(3 <= n <= 4 for n in right) == 3, right  # sweeps, three fingers, forearm


# -- countdowns -----------------------------------------------------------------------------


def test_a_countdown_is_said_only_before_a_change(write: Write) -> None:
    path = write(
        """
        title: Strokes
        steps:
          - say: Light strokes.
          - hold: 30s
            pace: 5s
            countdown: 10s
          - say: Keep going, just as light.
          - hold: 30s
            pace: 5s
            countdown: 10s
          - say: Now deeper, slower strokes.
          - hold: 30s
            pace: 6s
            countdown: 10s
          - say: Rest.
        """
    )
    waits = [i for i in build(load_session(path)).items if isinstance(i, Wait) and i.kind == "hold"]
    assert [w.countdown for w in waits] == [None, 10.0, 10.0], "the work went on after the first hold"


def test_partner_massage_counts_down_once_in_its_light_massage() -> None:
    timeline = lay_out(build(library.load("partner-back-massage")), words_length, DEFAULT_PACE)
    for title in ("2. Light massage over the whole back", "7. Lower back circles"):
        index = next(m.index for m in timeline.sections if m.title == title)
        said = [e.text for e in timeline.events if e.section == index and e.kind == "speech"]
        assert said.count("Ten seconds.") == 1, (title, said)


# -- warnings -------------------------------------------------------------------------------

ADVICE = """
title: Breath first
steps:
  - section: Breathe
  - breathe: relax
    cycles: 2
  - say: Now rest.
  - hold: 4s
    pace: 0.5s
"""


def test_style_rules_are_warnings_and_strict_makes_them_errors(write: Write, tmp_path: Path) -> None:
    path = write(ADVICE)
    session, warnings = check_session(path, Resolver())
    assert session.title == "Breath first"
    assert [f"{w.line}:{w.col}: {w.message}" for w in warnings] == [
        "3:5: warning: section 'Breathe' should begin with a say step, so that a listener with eyes closed "
        "hears what to do",
        "8:11: warning: pace: ticks closer than 1 second apart are not a calm pace",
    ]
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}:3:5: warning: section 'Breathe' should begin" in result.stderr
    assert "1 file valid, 2 warnings" in result.stdout
    strict = runner.invoke(app, ["validate", "--strict", str(path)])
    assert strict.exit_code == 2
    assert f"{path}:8:11: pace: ticks closer than 1 second apart are not a calm pace (a warning, an error" in (
        strict.stderr
    )
    out = tmp_path / "advice.wav"
    rendered = runner.invoke(app, ["render", str(path), "-o", str(out), "--voice", "system", "--music", "none"])
    assert rendered.exit_code == 0, rendered.output
    assert out.stat().st_size > 44


def test_the_library_passes_strict_validation_and_make_test_checks_it() -> None:
    result = runner.invoke(app, ["validate", "--strict", str(REPO / "scripts")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "validate --strict scripts/" in recipe and recipe.index("validate") < recipe.index("pytest")


# -- guidance levels ------------------------------------------------------------------------

GUIDED = """
title: Guided
safety: Be gentle with yourself. Stop if it hurts.
steps:
  - say: Sit down.
  - say: This stretch has a long and interesting history.
    detail: true
  - say: Slowly tip your head to the right, and let your shoulder soften as you breathe.
    brief: Tip your head to the right.
  - breathe: relax
    cycles: 2
    detail: true
  - hold: 20s
    countdown: 5s
  - say: Come back to the middle.
"""


def test_brief_guidance_keeps_the_instructions_timings_and_one_line_of_safety(write: Write) -> None:
    script = load_session(write(GUIDED))
    full, brief = build(script), build(script, guidance="brief")
    assert spoken(brief)[1:] == ["Be gentle with yourself.", "Sit down.", "Tip your head to the right.",
                                 "Come back to the middle.", "This is the end of the session."]  # fmt: skip
    assert "This stretch has a long and interesting history." in spoken(full)
    holds = [(i.seconds, i.countdown) for s in (full, brief) for i in s.items if isinstance(i, Wait)]
    assert holds == [(20.0, 5.0), (20.0, 5.0)]
    assert lay_out(brief, words_length, DEFAULT_PACE).length < lay_out(full, words_length, DEFAULT_PACE).length


def test_a_routine_with_its_own_safety_keeps_that_line_under_brief_guidance() -> None:
    routine = library.load("daily-five")
    assert isinstance(routine, Routine)
    brief = [i for i in build(routine, guidance="brief").items if isinstance(i, Speak) and i.role == "safety"]
    assert [i.text for i in brief] == ["None of these should hurt: stop any technique that does."]
    full = [i.text for i in build(routine).items if isinstance(i, Speak) and i.role == "safety"]
    assert len(full) == 1 + len(routine.techniques())


def test_list_and_show_give_minutes_for_both_levels() -> None:
    rows = {r["name"]: r for r in json.loads(runner.invoke(app, ["list", "--json"]).stdout)}
    full, brief = rows["daily-five"]["minutes"], rows["daily-five"]["minutes_brief"]
    assert brief[1] < full[0]
    shown = runner.invoke(app, ["show", "daily-five"]).stdout
    assert f"Total: about {full[0]:g} minutes; with brief guidance about {brief[0]:g} minutes" in shown
    bad = runner.invoke(app, ["render", "daily-five", "-o", "x.wav", "--guidance", "short"])
    assert bad.exit_code == 2 and "--guidance: choose one of full, brief, not 'short'" in bad.stderr


def test_daily_five_keeps_every_dose_under_brief_guidance_and_says_its_true_length(tmp_path: Path) -> None:
    out, cues = tmp_path / "daily-five.wav", tmp_path / "cues.json"
    result = runner.invoke(
        app, ["render", "daily-five", "--guidance", "brief", "-o", str(out), "--cues", str(cues), "--music", "none"]
    )
    assert result.exit_code == 0, result.output
    sheet = json.loads(cues.read_text())
    routine = library.load("daily-five")
    assert isinstance(routine, Routine) and len(routine.techniques()) == 5
    shortest = build(routine, Choice(0.0, 0.0), "brief").items
    held = sum(i.seconds for i in shortest if isinstance(i, Wait) and i.kind == "hold")
    heard = sum(e["end"] - e["start"] for e in sheet["events"] if e["kind"] == "hold")
    assert heard == pytest.approx(held, abs=0.1), "brief guidance says less, and holds every dose in full"
    said = {e["text"] for e in sheet["events"] if e["kind"] == "speech"}
    sections = " ".join(s["title"] for s in sheet["sections"])
    for technique in routine.techniques():
        assert technique.title in said and technique.title in sections
    rows = {r["name"]: r for r in json.loads(runner.invoke(app, ["list", "--json"]).stdout)}
    assert "about twenty minutes" in routine.summary and abs(rows["daily-five"]["minutes"][0] - 20) <= 2


# -- routines -------------------------------------------------------------------------------


def test_a_routine_says_each_caution_once_and_leaves_out_what_is_said_alone() -> None:
    routine = library.load("back-pain-recovery")
    steps = build(routine)
    texts = " ".join(spoken(steps))
    assert texts.count("ask your doctor first") == 1
    assert texts.count("see a healthcare provider") + texts.count("talk to a healthcare provider") == 1
    first_safety = next(i for i in steps.items if isinstance(i, Speak) and i.role == "safety")
    assert "doctor" in first_safety.text, "the doctor line comes at the start"
    alone = " ".join(spoken(build(library.load("hamstring-stretch"))))
    assert "This stretch works well straight after a massage." in alone
    assert "This stretch works well straight after a massage." not in texts


ROUTINES = [e.name for e in library.entries() if e.path.parent.name == "routines"]


@pytest.mark.parametrize("name", ROUTINES)
def test_every_length_a_routine_asks_for_can_be_reached(name: str) -> None:
    routine = library.load(name)
    assert isinstance(routine, Routine)
    lengths = estimated_lengths(DEFAULT_PACE)
    for entry in routine.entries:
        if entry.length is None or entry.length == SHORTEST:
            continue
        assert isinstance(entry.item, Script)
        shortest, longest = (
            _part_length(entry.item, Choice(c, c), lengths, DEFAULT_PACE, "full", True) for c in (0.0, 1.0)
        )
        margin = 10.0  # seconds: room for a real voice that is a little slower or faster than the estimate
        assert shortest + margin <= entry.length <= longest - margin, (entry.item.name, shortest, longest)


def _walk(steps: tuple[Step, ...]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if isinstance(step, Repeat | Sides):
            out += _walk(step.steps)
    return out


def _paced(steps: tuple[Step, ...]) -> bool:
    return any(isinstance(s, Hold) and s.pace for s in _walk(steps))


def test_brief_guidance_keeps_the_timings_a_routine_fitted_at_full() -> None:
    routine = library.load("daily-routine")
    lengths = estimated_lengths(DEFAULT_PACE)
    waits = {
        guidance: [
            (i.kind, i.seconds)
            for i in build(routine, settle(routine, lengths, DEFAULT_PACE, guidance=guidance), guidance).items
            if isinstance(i, Wait) and i.kind == "hold"
        ]
        for guidance in ("full", "brief")
    }
    assert waits["full"] == waits["brief"] and waits["full"]
