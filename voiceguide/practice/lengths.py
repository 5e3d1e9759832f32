"""The lengths of a composed session: each chosen technique is given whole seconds that its
ranges meet exactly, and the time around them (titles, the equipment and what must be made
ready, the changes of place, the closing) is measured, so the whole lasts what was asked.

A technique's repeats and breathing cycles are whole counts, so what a routine can give it is
one or more ranges (``Facts.reach``); the render's fitting meets a length inside them exactly.
Any length within those ranges may be given, so a few techniques together can fill any length
between their shortest and longest but for those gaps.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

from voiceguide import library
from voiceguide.equipment import fetch_seconds
from voiceguide.facts import Facts
from voiceguide.fit import estimated_lengths, length_range, steps_length
from voiceguide.pace import DEFAULT_PACE
from voiceguide.script import Entry, Routine, Session
from voiceguide.steps import Choice
from voiceguide.steps import build as expand

Parts = list[tuple[Facts, float]]  # techniques, each with its seconds
Span = tuple[int, int]  # whole seconds, shortest and longest, both met exactly


def session_length(session: Session) -> float:
    """Seconds the session lasts with every technique at the length it is given (estimated
    speech, each length met as the render's fitting meets it)."""
    return length_range(session, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE)[0]


@functools.lru_cache(maxsize=256)
def spans(facts: Facts) -> tuple[Span, ...]:
    """The whole seconds a routine can give the technique, as ranges met exactly."""
    ranges = facts.reach or ((facts.part or (0.0, 0.0)),)
    out = tuple((math.ceil(lo), math.floor(hi)) for lo, hi in ranges)
    shortest = math.ceil(ranges[0][0])
    return tuple(s for s in out if s[0] <= s[1]) or ((shortest, shortest),)


def framing(chosen: list[Facts]) -> float:
    """A guess at the seconds around these techniques in a session, in this order (the title,
    summary and closing, the fetching of the equipment, each change of place), for choosing
    among many sets before the few best are measured; what must be made ready is not in it."""
    moves = sum(1 for a, b in itertools.pairwise(chosen) if a.position and b.position and a.position != b.position)
    things = len(dict.fromkeys(e for f in chosen for e in f.equipment))
    return 25.0 + 8.0 * moves + (fetch_seconds(things) if things else 0.0)


def guessed(chosen: list[Facts]) -> tuple[float, float]:
    """A guess at the shortest and longest a session of these techniques (in this order) lasts."""
    extra = framing(chosen)
    return extra + sum(spans(f)[0][0] for f in chosen), extra + sum(spans(f)[-1][1] for f in chosen)


def around(routine: Routine, chosen: list[Facts]) -> float:
    """Seconds of the routine that are not its techniques' own (its title, summary, equipment and
    what must be made ready, the changes of place, the closing), measured with each technique at
    its shortest."""
    steps = expand(routine, Choice(0.0, 0.0))
    shortest = sum((f.part or (0.0, 0.0))[0] for f in chosen)
    return steps_length(steps, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE) - shortest


def fitted(chosen: list[Facts], seconds: float, make: Callable[[Parts], Routine]) -> tuple[Routine, float]:
    """The routine of ``chosen`` (in this order) that lasts ``seconds`` as near as its ranges
    allow, and how long it lasts: the time around the techniques is measured, and the
    techniques share the rest."""
    framed = around(make([(f, spans(f)[0][0]) for f in chosen]), chosen)
    given = share([spans(f) for f in chosen], round(seconds - framed))
    parts = [(f, float(s)) for f, s in zip(chosen, given, strict=True)]
    return make(parts), framed + sum(given)


def share(options: list[tuple[Span, ...]], target: int) -> list[int]:
    """Whole seconds for each technique, each inside one of its spans, adding up to ``target``
    or as near as they can. Of the ways to pick a span each, the one that holds ``target`` and
    keeps each technique nearest its fair share of its whole range (its shortest, plus the rest
    in proportion to its range) is used; inside those spans the rest is shared the same way."""
    whole = [(s[0][0], s[-1][1]) for s in options]
    fair = _proportional(whole, target)
    best: tuple[tuple[float, float], list[int]] | None = None
    for picked in itertools.product(*options):
        low, high = sum(lo for lo, _hi in picked), sum(hi for _lo, hi in picked)
        lengths = _proportional(list(picked), min(max(target, low), high))
        miss = max(0, low - target, target - high)
        key = (float(miss), sum(abs(a - b) for a, b in zip(lengths, fair, strict=True)))
        if best is None or key < best[0]:
            best = (key, lengths)
    assert best is not None
    return best[1]


def _proportional(spans: list[Span], target: int) -> list[int]:
    """Each span's shortest plus a whole-second share of what ``target`` leaves, in proportion to
    the span's width (the largest remainders get the odd seconds), clamped to the spans."""
    low = sum(lo for lo, _hi in spans)
    width = sum(hi - lo for lo, hi in spans)
    extra = min(max(target - low, 0), width)
    exact = [extra * (hi - lo) / width if width else 0.0 for lo, hi in spans]
    given = [math.floor(e) for e in exact]
    left = extra - sum(given)
    for i in sorted(range(len(spans)), key=lambda i: given[i] - exact[i])[:left]:
        given[i] += 1
    return [lo + g for (lo, _hi), g in zip(spans, given, strict=True)]


def loaded(parts: Parts) -> tuple[Entry, ...]:
    return tuple(Entry(_script(facts.path), seconds) for facts, seconds in parts)


@functools.lru_cache(maxsize=64)
def _script(path: str) -> Session:
    return library.load(path)
