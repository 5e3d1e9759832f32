"""Settle a session's ranges: the middle of each range, or values that fit a requested length.

Speech time is fixed (it is what the voice takes); only holds, pauses, repeats and breathing
cycles move. One pair of fractions (counts, seconds) applies to every technique that has no
length of its own, so all ranges stretch in proportion. A length a routine gives one of its
techniques is met at full guidance; brief guidance keeps the same timings and says less.
"""

from __future__ import annotations

from collections.abc import Callable

from voiceguide.errors import UsageError
from voiceguide.pace import Pace
from voiceguide.samples import SAMPLE_RATE
from voiceguide.script import SHORTEST, Breathe, Repeat, Script, Session, Sides, Step
from voiceguide.steps import MIDDLE, Choice, Chooser, Steps, build, leaves, technique_items
from voiceguide.text import estimate_seconds
from voiceguide.timeline import LEAD_IN, TAIL, End, SentenceLength, layout
from voiceguide.units import format_duration

TOLERANCE = 1.0  # seconds: a fitted session lands this close to the request
_COUNT_STEPS = 32


def steps_length(steps: Steps, sentence_length: SentenceLength, pace: Pace) -> float:
    """Seconds the steps last once laid out."""
    for part in layout(steps, sentence_length, pace):
        if isinstance(part, End):
            return part.length / SAMPLE_RATE
    raise AssertionError("layout ends with End")  # pragma: no cover


def estimated_lengths(pace: Pace) -> SentenceLength:
    """Sentence lengths guessed from word counts, for listings made before any speech exists."""
    return lambda sentence: int(round(estimate_seconds(sentence, pace.speed) * SAMPLE_RATE))


def settle(
    session: Session,
    sentence_length: SentenceLength,
    pace: Pace,
    length: float | None = None,
    guidance: str = "full",
) -> Chooser:
    """The choice for each technique: fitted to its routine-given length, to ``length`` overall,
    or the middle of each range."""
    fixed: dict[int, Choice] = {}
    for index, (script, own) in enumerate(leaves(session)):
        if own == SHORTEST:
            fixed[index] = Choice(0.0, 0.0)
        elif own is not None:
            # A routine's author cannot know every voice's speed: a length outside what this
            # voice can do is moved to the nearest it can.
            def part(c: Choice, s: Script = script) -> float:
                return _part_length(s, c, sentence_length, pace, "full", True)

            shortest, longest = part(Choice(0.0, 0.0)), part(Choice(1.0, 1.0))
            target = min(max(own, shortest), longest)
            fixed[index] = _solve(part, target, script.name, nearest=True, whole=_counter((script,)))
    if length is None:
        return lambda i, _s: fixed.get(i, MIDDLE)

    def total(choice: Choice) -> float:
        return steps_length(build(session, lambda i, _s: fixed.get(i, choice), guidance), sentence_length, pace)

    free = tuple(s for i, (s, _own) in enumerate(leaves(session)) if i not in fixed)
    chosen = _solve(total, length, session.name, whole=_counter(free))
    return lambda i, _s: fixed.get(i, chosen)


def length_range(
    session: Session, sentence_length: SentenceLength, pace: Pace, guidance: str = "full"
) -> tuple[float, float]:
    """The shortest and longest the session can be, in seconds."""
    chooser = settle(session, sentence_length, pace, guidance=guidance)
    fixed = {i for i, (_s, own) in enumerate(leaves(session)) if own is not None}

    def at(choice: Choice) -> float:
        steps = build(session, lambda i, s: chooser(i, s) if i in fixed else choice, guidance)
        return steps_length(steps, sentence_length, pace)

    return at(Choice(0.0, 0.0)), at(Choice(1.0, 1.0))


def part_reach(script: Script, sentence_length: SentenceLength, pace: Pace) -> tuple[tuple[float, float], ...]:
    """The lengths a routine can give a technique and have met exactly, as ranges in seconds,
    shortest first. Its repeats and breathing cycles are whole counts, so a length between two
    counts can be out of reach: ``settle`` would move it to the nearest it can."""
    counts: dict[tuple[int, ...], float] = {}
    for step in range(_COUNT_STEPS + 1):  # the counts ``_solve`` tries
        counts.setdefault(_counts_at(script.steps, step / _COUNT_STEPS), step / _COUNT_STEPS)
    spans = sorted(
        (
            _part_length(script, Choice(c, 0.0), sentence_length, pace, "full", True),
            _part_length(script, Choice(c, 1.0), sentence_length, pace, "full", True),
        )
        for c in counts.values()
    )
    merged: list[tuple[float, float]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _counts_at(steps: tuple[Step, ...], counts: float) -> tuple[int, ...]:
    """Every whole count in ``steps`` (repeats, breathing cycles) at the fraction ``counts``."""
    out: list[int] = []
    for step in steps:
        if isinstance(step, Repeat):
            out += [step.times.count_at(counts), *_counts_at(step.steps, counts)]
        elif isinstance(step, Breathe):
            out.append(step.cycles.count_at(counts))
        elif isinstance(step, Sides):
            out += _counts_at(step.steps, counts)
    return tuple(out)


def _part_length(
    script: Script, choice: Choice, sentence_length: SentenceLength, pace: Pace, guidance: str, safety: bool
) -> float:
    """Seconds a technique takes inside a routine, from its title to its last step."""
    items = tuple(technique_items(script, choice, routine=True, first=False, guidance=guidance, safety=safety))
    steps = Steps(script.name, script.title, script.audience, None, items)
    return steps_length(steps, sentence_length, pace) - LEAD_IN - TAIL


def _counter(scripts: tuple[Script, ...]) -> Callable[[float], tuple[int, ...]]:
    """Every whole count of ``scripts`` at a fraction of their count ranges."""
    return lambda fraction: tuple(n for script in scripts for n in _counts_at(script.steps, fraction))


def _solve(
    total: Callable[[Choice], float],
    target: float,
    name: str,
    nearest: bool = False,
    whole: Callable[[float], tuple[int, ...]] | None = None,
) -> Choice:
    """The choice whose length is ``target`` to within a second; with ``nearest`` (a length a
    routine or a plan gives one of its techniques), the nearest length its repeats allow.
    ``whole`` (the whole counts at a fraction) spares laying out again counts already tried."""
    shortest, longest = total(Choice(0.0, 0.0)), total(Choice(1.0, 1.0))
    if not shortest - TOLERANCE <= target <= longest + TOLERANCE:
        raise UsageError(
            f"{name} cannot last {format_duration(target)}: with this voice and pace it lasts "
            f"between {format_duration(shortest)} and {format_duration(longest)}"
        )
    best: tuple[tuple[bool, float, float], Choice] | None = None
    seen: set[tuple[float, float]] = set()
    tried: set[tuple[int, ...]] = set()
    for step in range(_COUNT_STEPS + 1):
        counts = step / _COUNT_STEPS
        if whole is not None:
            if whole(counts) in tried:
                continue  # the same whole counts give the same lengths, seen already
            tried.add(whole(counts))
        low, high = total(Choice(counts, 0.0)), total(Choice(counts, 1.0))
        if (low, high) in seen:
            continue
        seen.add((low, high))
        seconds = min(1.0, max(0.0, (target - low) / (high - low))) if high > low else 0.5
        choice = Choice(counts, seconds)
        error = abs(total(choice) - target)
        score = (error > TOLERANCE / 2, abs(counts - seconds), error)
        if best is None or score < best[0]:
            best = (score, choice)
    assert best is not None
    if best[0][2] > TOLERANCE and not nearest:
        raise UsageError(
            f"{name} cannot land within a second of {format_duration(target)}: its repeats "
            "change its length in steps; try a slightly different length"
        )
    return best[1]
