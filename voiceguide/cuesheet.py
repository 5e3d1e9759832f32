"""The cue sheet: every event of a session with its time, for tools, captions and tests."""

from __future__ import annotations

from typing import Any

from voiceguide.timeline import Timeline


def cue_sheet(timeline: Timeline, music_level: float = 0.0, cue_level: float = 0.0) -> dict[str, Any]:
    """``{"title", "duration", "sample_rate", "levels", "sections", "events": [{start, end, kind, text,
    section}]}``, times in seconds; ``levels`` holds the music's and the cues' levels in dB (0: the
    usual mix)."""
    sr = timeline.sample_rate
    titles = [s.title for s in timeline.sections]
    return {
        "title": timeline.title,
        "duration": timeline.length / sr,
        "sample_rate": sr,
        "levels": {"music": music_level, "cues": cue_level},
        "sections": [
            {"title": s.title, "start": s.start / sr, "end": timeline.section_end(s.index) / sr}
            for s in timeline.sections
        ],
        "events": [
            {
                "start": e.start / sr,
                "end": e.end / sr,
                "kind": e.kind,
                "text": e.text,
                "section": titles[e.section] if 0 <= e.section < len(titles) else "",
            }
            for e in timeline.events
        ],
    }
