"""Speaking pace: how fast the voice articulates and how long it rests between sentences.

Guided sessions are spoken more slowly than conversation. ``normal`` is the calm default,
tuned by measurement (tests/test_voices.py and BENCHMARKS.md) to about 130 words a minute
counting the rests between sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from voiceguide.errors import UsageError


@dataclass(frozen=True)
class Pace:
    name: str
    speed: float  # articulation speed relative to the calm default (1.0)
    sentence_gap: float  # seconds of rest between sentences of one instruction
    step_gap: float  # seconds of rest between two instructions


PACES = {
    "slow": Pace("slow", 0.88, 1.1, 1.6),
    "normal": Pace("normal", 1.0, 0.8, 1.2),
    "fast": Pace("fast", 1.15, 0.5, 0.8),
}
DEFAULT_PACE = PACES["normal"]


def get_pace(name: str) -> Pace:
    try:
        return PACES[name]
    except KeyError:
        raise UsageError(f"unknown pace {name!r}; choose one of: {', '.join(PACES)}") from None
