"""Speaking pace: how fast the voice articulates and how long it rests between sentences.

Guided sessions are spoken more slowly than conversation. ``normal`` is the calm default,
tuned by measurement (tests/test_voices.py and BENCHMARKS.md) to 120 to 130 words a minute
over running speech (the sentences of an instruction and the gaps between them), and under
150 inside a sentence; ``slow`` is slower in both the voice and the gaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voiceguide.errors import UsageError
from voiceguide.text import word_count


@dataclass(frozen=True)
class Pace:
    name: str
    speed: float  # articulation speed relative to the calm default (1.0)
    sentence_gap: float  # seconds of rest between sentences of one instruction
    step_gap: float  # seconds of rest between two instructions


PACES = {
    "slow": Pace("slow", 0.88, 1.5, 2.0),
    "normal": Pace("normal", 1.0, 1.15, 1.5),
    "fast": Pace("fast", 1.15, 0.7, 1.0),
}
DEFAULT_PACE = PACES["normal"]


def get_pace(name: str) -> Pace:
    try:
        return PACES[name]
    except KeyError:
        raise UsageError(f"unknown pace {name!r}; choose one of: {', '.join(PACES)}") from None


def word_rates(events: list[dict[str, Any]], pace: Pace, skip: Iterable[str] = ()) -> tuple[float, float]:
    """Words a minute of a cue sheet's speech (its ``events``), as (inside sentences, running).

    Inside sentences counts only the time the voice is sounding; running speech also counts the
    gaps between the sentences of one instruction (a gap shorter than halfway from the pace's
    sentence gap to its step gap). Sentences in ``skip`` (the breathing words) are left out.
    """
    left_out = set(skip)
    split = (pace.sentence_gap + pace.step_gap) / 2
    words = sounding = running = 0.0
    run_start = run_end = None
    for event in events:
        if event["kind"] != "speech" or event["text"] in left_out:
            continue
        words += word_count(event["text"])
        sounding += event["end"] - event["start"]
        if run_end is not None and event["start"] - run_end < split:
            run_end = event["end"]
            continue
        if run_start is not None and run_end is not None:
            running += run_end - run_start
        run_start, run_end = event["start"], event["end"]
    if run_start is not None and run_end is not None:
        running += run_end - run_start
    if not sounding:
        return 0.0, 0.0
    return words / sounding * 60, words / running * 60
