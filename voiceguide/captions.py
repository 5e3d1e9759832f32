"""Captions beside a track: LRC (synced lyrics, shown line by line by many phone players)
and WebVTT. Each spoken sentence appears at its start time; a blank line clears the screen
during long silences."""

from __future__ import annotations

from dataclasses import dataclass

from voiceguide.timeline import Event, Timeline

CLEAR_AFTER = 3.0  # seconds of silence after a line before the screen is cleared


@dataclass(frozen=True)
class Line:
    start: float  # seconds from the start of the file
    end: float
    text: str


def lines(timeline: Timeline, start: int = 0, end: int | None = None) -> list[Line]:
    """The spoken sentences between samples ``start`` and ``end``, timed from ``start``."""
    stop = timeline.length if end is None else end
    sr = timeline.sample_rate
    chosen: list[Event] = [e for e in timeline.speech() if start <= e.start < stop]
    return [Line((e.start - start) / sr, (min(e.end, stop) - start) / sr, e.text) for e in chosen]


def _lrc_time(seconds: float) -> str:
    centis = int(round(seconds * 100))
    minutes, centis = divmod(centis, 6000)
    return f"[{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}]"


def lrc(items: list[Line], title: str, album: str, artist: str, length: float) -> str:
    minutes, seconds = divmod(int(round(length)), 60)
    out = [
        f"[ti:{_tag(title)}]",
        f"[ar:{_tag(artist)}]",
        f"[al:{_tag(album)}]",
        f"[length:{minutes:02d}:{seconds:02d}]",
    ]
    for i, line in enumerate(items):
        out.append(f"{_lrc_time(line.start)}{_text(line.text)}")
        following = items[i + 1].start if i + 1 < len(items) else length
        if following - line.end > CLEAR_AFTER:
            out.append(_lrc_time(line.end + 0.5))
    return "\n".join(out) + "\n"


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def vtt(items: list[Line], title: str) -> str:
    out = [f"WEBVTT - {_text(title)}", ""]
    for number, line in enumerate(items, 1):
        out += [
            str(number),
            f"{_vtt_time(line.start)} --> {_vtt_time(line.end)}",
            _text(line.text).replace("-->", "->"),
            "",
        ]
    return "\n".join(out)


def _text(text: str) -> str:
    return " ".join(text.split())


def _tag(text: str) -> str:
    return _text(text).replace("[", "(").replace("]", ")")
