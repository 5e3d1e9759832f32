"""Plans and timelines: every range settled, every event placed to the sample.

Sentence lengths come from a simple rule here (0.3 s a word), so the layout is checked on its
own; the tests in test_render.py check the same rules with the real voices.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceguide import library
from voiceguide.errors import UsageError
from voiceguide.fit import settle, steps_length
from voiceguide.loader import load_session
from voiceguide.pace import DEFAULT_PACE
from voiceguide.samples import SAMPLE_RATE
from voiceguide.script import Hold, Pause, Say, Script, Sides
from voiceguide.steps import CLOSING, Choice, Speak, build, rotate
from voiceguide.text import sentences
from voiceguide.timeline import BELL_STEP, BREATH_SETTLE, LEAD_IN, TAIL, Timeline
from voiceguide.timeline import build as lay_out
from voiceguide.units import Span, parse_pattern

SR = SAMPLE_RATE
Write = Callable[..., Path]


def words_length(sentence: str) -> int:
    return int(0.3 * SR * len(sentence.split()))


def timeline_of(path: Path, choice: Choice | None = None) -> Timeline:
    return lay_out(build(load_session(path), choice or Choice()), words_length, DEFAULT_PACE)


def test_hold_is_exact_and_starts_when_its_instruction_ends(write: Write) -> None:
    tl = timeline_of(write("title: T\nsteps:\n  - say: Sit down now.\n  - hold: 5s\n  - say: Done.\n"))
    speech = [e for e in tl.events if e.kind == "speech"]
    hold = next(e for e in tl.events if e.kind == "hold")
    sit = next(e for e in speech if e.text == "Sit down now.")
    done = next(e for e in speech if e.text == "Done.")
    assert hold.length == 5 * SR == 220500
    assert hold.start == sit.end
    assert done.start == hold.end


def test_breathing_cycles_follow_the_pattern(write: Write) -> None:
    tl = timeline_of(write("title: T\nsteps:\n  - say: Breathe with me.\n  - breathe: 4-7-8\n    cycles: 3\n"))
    phases = [e for e in tl.events if e.kind.startswith("breath")]
    assert [e.kind for e in phases] == ["breath-in", "breath-hold", "breath-out"] * 3
    assert [e.length for e in phases] == [4 * SR, 7 * SR, 8 * SR] * 3
    assert all(a.end == b.start for a, b in zip(phases, phases[1:], strict=False))
    intro = next(e for e in tl.events if e.text == "Breathe with me.")
    assert phases[0].start == intro.end + int(BREATH_SETTLE * SR)
    words = [e for e in tl.events if e.kind == "speech" and e.text in ("Breathe in.", "Hold.", "Breathe out.")]
    assert len(words) == 6, "words for the first two cycles only"
    assert all(any(w.start == p.start for p in phases) for w in words)


def test_hold_with_countdown_ticks_and_breathing(write: Write) -> None:
    path = write(
        "title: T\nsteps:\n  - say: Stay.\n  - hold: 40s\n    countdown: 10s\n    pace: 4s\n    breathe: relax\n"
    )
    tl = timeline_of(path)
    hold = next(e for e in tl.events if e.kind == "hold")
    countdown = next(e for e in tl.events if e.text == "Ten seconds.")
    assert countdown.start == hold.end - 10 * SR
    ticks = [e.start - hold.start for e in tl.events if e.kind == "tick"]
    assert ticks == [k * 4 * SR for k in range(10)]
    breaths = [e for e in tl.events if e.kind.startswith("breath")]
    assert breaths[0].start == hold.start + int(BREATH_SETTLE * SR)
    assert breaths[-1].end <= hold.end
    assert len(breaths) == 2 * int((40 - BREATH_SETTLE) // 10)


def test_sides_and_rotating_texts(write: Write) -> None:
    path = write(
        """
        title: T
        steps:
          - repeat: 4
            steps:
              - sides: [right, left]
                steps:
                  - say: ["Lift the {side} arm.", "Again, {side}.", "Last time, {side}, not {other_side}."]
        """
    )
    spoken = [item.text for item in build(load_session(path)).items if isinstance(item, Speak)]
    body = spoken[1:-1]
    assert body == [
        "Lift the right arm.", "Now switch to your left side.", "Lift the left arm.",
        "Again, right.", "Now switch to your left side.", "Again, left.",
        "Again, right.", "Now switch to your left side.", "Again, left.",
        "Last time, right, not left.", "Now switch to your left side.", "Last time, left, not right.",
    ]  # fmt: skip
    assert rotate(("a", "b"), 0, 3) == "a" and rotate(("a", "b"), 1, 3) == "b" and rotate(("a", "b"), 2, 3) == "b"
    assert [rotate(("a", "b", "c", "d"), i, 6) for i in range(6)] == ["a", "b", "c", "b", "c", "d"]


def test_partner_scripts_switch_sides_for_the_giver(write: Write) -> None:
    path = write(
        "title: T\naudience: partner\nsteps:\n  - sides: both\n    steps:\n      - say: Work the {side} side.\n"
    )
    spoken = [i.text for i in build(load_session(path)).items if isinstance(i, Speak)]
    assert "Now move to the left side." in spoken and spoken[-1] == CLOSING["partner"]


def test_session_frame_and_sections(write: Write) -> None:
    path = write(
        "title: T\nsafety: Go gently.\nsteps:\n  - section: One\n  - say: First.\n  - section: Two\n  - say: Second.\n"
    )
    tl = timeline_of(path)
    assert [(s.title, s.start) for s in tl.sections][0] == ("One", 0)
    assert tl.sections[1].title == "Two"
    second = next(e for e in tl.events if e.text == "Second.")
    assert second.start >= tl.sections[1].start and second.section == 1
    chime = tl.events[0]
    assert (chime.kind, chime.start) == ("chime", int(LEAD_IN * SR))
    title = next(e for e in tl.events if e.kind == "speech")
    assert title.text == "T" and title.start == chime.start + int(BELL_STEP * SR)
    closing = [e.text for e in tl.events if e.kind == "speech"][-2:]
    assert " ".join(closing) == CLOSING["self"]
    last_chime = [e for e in tl.events if e.kind == "chime"][-1]
    assert tl.length == last_chime.start + int((BELL_STEP + TAIL) * SR)


def test_routine_sections_per_technique() -> None:
    routine = library.load("daily-routine")
    plan = build(routine)
    tl = lay_out(plan, words_length, DEFAULT_PACE)
    titles = [s.title for s in tl.sections]
    assert titles == ["Upper trapezius release", "Child's pose"]
    assert tl.sections[0].start == 0 and tl.sections[1].start > 0


# -- properties ----------------------------------------------------------------------------

durations = st.sampled_from([Span(1, 1), Span(5, 5), Span(2.5, 7), Span(30, 60), Span(0.1, 0.2)])
step = st.one_of(
    st.builds(lambda n: Say((" ".join(["word"] * n) + ".",)), st.integers(1, 12)),
    st.builds(Pause, durations),
    st.builds(
        lambda d, c, p: Hold(d, countdown=c, pace=p),
        durations,
        st.sampled_from([None]),
        st.sampled_from([None, 1.0, 3.0]),
    ),
    st.builds(lambda d: Hold(Span(max(d.lo, 10), max(d.hi, 10)), breathe=parse_pattern("relax")), durations),
)
scripts = st.builds(
    lambda steps, sides: Script(
        "p", Path("p.yaml"), "P", tuple([Sides(("right", "left"), tuple(steps))] if sides else steps)
    ),
    st.lists(step, min_size=1, max_size=8),
    st.booleans(),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts, st.floats(0, 1), st.floats(0, 1))
def test_layout_invariants(script: Script, counts: float, seconds: float) -> None:
    plan = build(script, Choice(counts, seconds))
    tl = lay_out(plan, words_length, DEFAULT_PACE)
    starts = [e.start for e in tl.events]
    assert starts == sorted(starts)
    assert all(0 <= e.start and e.end <= tl.length for e in tl.events)
    speech = [e for e in tl.events if e.kind == "speech"]
    assert all(a.end <= b.start for a, b in zip(speech, speech[1:], strict=False)), "the voice never talks over itself"
    spans = [e for e in tl.events if e.kind in ("hold", "pause")]
    waits = [i for i in plan.items if type(i).__name__ == "Wait"]
    assert [e.length for e in spans] == [int(round(w.seconds * SR)) for w in waits]
    spoken = [s for i in plan.items if isinstance(i, Speak) for s in sentences(i.text)]
    assert [e.text for e in speech if e.text not in ("Breathe in.", "Breathe out.")] == spoken


# -- fitting a length -----------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [2.0, 3.0, 4.0])
def test_length_fits_within_a_second(minutes: float) -> None:
    session = library.load("childs-pose")
    plan = build(session, settle(session, words_length, DEFAULT_PACE, minutes * 60))
    assert abs(steps_length(plan, words_length, DEFAULT_PACE) - minutes * 60) <= 1.0


def test_length_fitting_with_repeats() -> None:
    session = library.load("single-knee-to-chest")
    for target in (280.0, 400.0, 520.0):  # its range runs from about 4 to 11 minutes
        plan = build(session, settle(session, words_length, DEFAULT_PACE, target))
        assert abs(steps_length(plan, words_length, DEFAULT_PACE) - target) <= 1.0


def test_impossible_length_gives_the_feasible_range() -> None:
    session = library.load("childs-pose")
    with pytest.raises(
        UsageError, match=r"childs-pose cannot last 40m: with this voice and pace it lasts between \d+m\d*s? and \d+m"
    ):
        settle(session, words_length, DEFAULT_PACE, 40 * 60)


def test_without_length_the_middle_of_each_range() -> None:
    session = library.load("childs-pose")
    plan = build(session, settle(session, words_length, DEFAULT_PACE))
    hold = next(i for i in plan.items if type(i).__name__ == "Wait" and i.kind == "hold")
    assert hold.seconds == 105.0
