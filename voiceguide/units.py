"""Durations, counts, ranges and breathing patterns: parsing and formatting.

Parsers raise ``ValueError`` with a message for the user; the loader adds the position.
All durations are in seconds (float).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SESSION_SECONDS = 4 * 3600.0
MAX_REPEATS = 100

_DURATION = re.compile(
    r"^(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*(?:(?P<m>\d+(?:\.\d+)?)\s*m)?\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s)?$"
)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Span:
    """An inclusive range ``lo`` to ``hi`` of seconds or counts; ``lo == hi`` for a fixed value."""

    lo: float
    hi: float

    @property
    def fixed(self) -> bool:
        return self.lo == self.hi

    def at(self, t: float) -> float:
        """The value a fraction ``t`` (0 to 1) of the way from ``lo`` to ``hi``."""
        return self.lo + (self.hi - self.lo) * t

    def count_at(self, t: float) -> int:
        """A whole count a fraction ``t`` of the way through the range (half rounds up)."""
        return int(self.at(t) + 0.5)


@dataclass(frozen=True)
class BreathPattern:
    """A breathing cycle, in seconds per phase. ``name`` is how the script wrote it."""

    name: str
    inhale: float
    hold_in: float
    exhale: float
    hold_out: float

    @property
    def cycle(self) -> float:
        return self.inhale + self.hold_in + self.exhale + self.hold_out

    def phases(self) -> list[tuple[str, float]]:
        """The non-empty phases in order, as (event kind, seconds)."""
        raw = [
            ("breath-in", self.inhale),
            ("breath-hold", self.hold_in),
            ("breath-out", self.exhale),
            ("breath-hold", self.hold_out),
        ]
        return [(kind, secs) for kind, secs in raw if secs > 0]


NAMED_PATTERNS = {
    "relax": (4.0, 0.0, 6.0, 0.0),
    "box": (4.0, 4.0, 4.0, 4.0),
    "4-7-8": (4.0, 7.0, 8.0, 0.0),
}


def parse_duration(text: object) -> float:
    """``45s``, ``2m``, ``1m30s``, ``1.5m``, ``1h`` to seconds (> 0, at most the session limit)."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError(f"expected a duration such as 45s, 2m or 1m30s, not {_show(text)}")
    raw = str(text).strip().lower()
    if _NUMBER.match(raw) or isinstance(text, (int, float)):
        raise ValueError(f"duration {raw!r} needs a unit: write {raw}s or {raw}m")
    if raw.startswith("-"):
        raise ValueError(f"duration {raw!r} is negative; durations must be above zero")
    match = _DURATION.match(raw)
    if not raw or not match or not any(match.groupdict().values()):
        raise ValueError(f"{raw!r} is not a duration; write it like 45s, 2m, 1m30s or 1.5m")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    seconds = parts.get("h", 0.0) * 3600 + parts.get("m", 0.0) * 60 + parts.get("s", 0.0)
    if seconds <= 0:
        raise ValueError(f"duration {raw!r} is zero; durations must be above zero")
    if seconds > MAX_SESSION_SECONDS:
        raise ValueError(f"duration {raw!r} is longer than the 4 hour session limit")
    return seconds


def parse_duration_span(text: object) -> Span:
    """A duration or a range of durations: ``30s`` or ``30s to 1m``."""
    lo_text, hi_text = _split_range(text)
    lo = parse_duration(lo_text)
    hi = parse_duration(hi_text) if hi_text is not None else lo
    if hi < lo:
        raise ValueError(f"range {text!s} is reversed; write the shorter duration first")
    return Span(lo, hi)


def parse_count(text: object, what: str = "count") -> int:
    if isinstance(text, bool):
        raise ValueError(f"{what} must be a whole number, not {_show(text)}")
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and re.fullmatch(r"-?\d+", text.strip()):
        value = int(text.strip())
    else:
        raise ValueError(f"{what} must be a whole number such as 3, not {_show(text)}")
    if value <= 0:
        raise ValueError(f"{what} must be at least 1, not {value}")
    if value > MAX_REPEATS:
        raise ValueError(f"{what} {value} is more than the limit of {MAX_REPEATS}")
    return value


def parse_count_span(text: object, what: str = "count") -> Span:
    """A count or a range of counts: ``3`` or ``2 to 4``."""
    lo_text, hi_text = _split_range(text)
    lo = parse_count(lo_text, what)
    hi = parse_count(hi_text, what) if hi_text is not None else lo
    if hi < lo:
        raise ValueError(f"range {text!s} is reversed; write the smaller count first")
    return Span(float(lo), float(hi))


def parse_pattern(text: object) -> BreathPattern:
    """A named pattern (relax, box, 4-7-8) or seconds per phase: ``4-6``, ``4-7-8``, ``4-4-4-4``."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError(f"expected a breathing pattern such as relax or 4-6, not {_show(text)}")
    raw = str(text).strip().lower()
    if raw in NAMED_PATTERNS:
        return BreathPattern(raw, *NAMED_PATTERNS[raw])
    parts = raw.split("-")
    names = ", ".join(sorted(NAMED_PATTERNS))
    if len(parts) not in (2, 3, 4) or not all(_NUMBER.match(p) for p in parts):
        raise ValueError(
            f"{raw!r} is not a breathing pattern; use {names}, or seconds per phase "
            "such as 4-6 (in, out), 4-7-8 (in, hold, out) or 4-4-4-4 (in, hold, out, hold)"
        )
    secs = [float(p) for p in parts]
    if len(secs) == 2:
        phases = (secs[0], 0.0, secs[1], 0.0)
    elif len(secs) == 3:
        phases = (secs[0], secs[1], secs[2], 0.0)
    else:
        phases = (secs[0], secs[1], secs[2], secs[3])
    inhale, hold_in, exhale, hold_out = phases
    if inhale < 1 or exhale < 1:
        raise ValueError(f"pattern {raw!r}: breathing in and out each need at least 1 second")
    if max(phases) > 20:
        raise ValueError(f"pattern {raw!r}: a phase longer than 20 seconds is not a safe breath")
    return BreathPattern(raw, inhale, hold_in, exhale, hold_out)


def format_duration(seconds: float) -> str:
    """Seconds as ``45s``, ``2m``, ``1m30s`` or ``1h05m``, rounded to the second."""
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m" if not s else f"{h}h{m:02d}m{s:02d}s"
    if m and s:
        return f"{m}m{s:02d}s"
    if m:
        return f"{m}m"
    return f"{s}s"


def format_span(span: Span) -> str:
    if span.fixed:
        return format_duration(span.lo)
    return f"{format_duration(span.lo)} to {format_duration(span.hi)}"


def format_clock(seconds: float) -> str:
    """Seconds as ``m:ss`` or ``h:mm:ss`` for status lines and tables."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _split_range(text: object) -> tuple[object, object | None]:
    if isinstance(text, str) and re.search(r"\sto\s", text):
        lo, _, hi = text.partition(" to ")
        if not lo.strip() or not hi.strip() or " to " in hi:
            raise ValueError(f"{text!r} is not a range; write it like '30s to 1m' or '2 to 4'")
        return lo.strip(), hi.strip()
    return text, None


def _show(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return repr(value)
