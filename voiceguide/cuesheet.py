"""The cue sheet: every event of a session with its time, for tools, captions and tests."""

from __future__ import annotations

from typing import Any

from voiceguide.timeline import Timeline


def cue_sheet(timeline: Timeline) -> dict[str, Any]:
    """``{"title", "duration", "sample_rate", "sections", "events": [{start, end, kind, text, section}]}``,
    times in seconds."""
    sr = timeline.sample_rate
    titles = [s.title for s in timeline.sections]
    return {
        "title": timeline.title,
        "duration": timeline.length / sr,
        "sample_rate": sr,
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
