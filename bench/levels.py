"""Loudness and speech-to-music ratio at each music and cue level.

For one library session rendered at music levels -30, -12, 0, +3 and +6 dB (cues at the same
level): the integrated loudness of the mix (LUFS, the house's meter, which the tests check
against ffmpeg's) and the speech-to-music ratio inside speech (dB, RMS of the voice over RMS of
the music within each spoken sentence: the lowest, and the median).

Run alone: ``python -m bench.levels``; ``measure()`` gives the figures as a dict.
"""

from __future__ import annotations

import json
import statistics

import numpy as np

from bench.common import Bench, Figures, Row
from voiceguide import library
from voiceguide.loudness import Meter
from voiceguide.mixer import BLOCK
from voiceguide.render import RenderOptions, prepare
from voiceguide.samples import SAMPLE_RATE

SESSION = "childs-pose"
LEVELS = (-30.0, -12.0, 0.0, 3.0, 6.0)


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(max(float(np.mean(np.square(x, dtype=np.float64))), 1e-20)))


def at_level(level: float) -> dict[str, float]:
    """Loudness and SMR of ``SESSION`` with the music and the cues at ``level`` dB."""
    session = library.load(SESSION)
    prepared = prepare(session, RenderOptions(music_level=level, cue_level=level))
    with prepared.speech:
        length = prepared.timeline.length
        meter = Meter(SAMPLE_RATE, 2)
        voice = np.zeros(length, np.float32)
        music = np.zeros(length, np.float32)
        for at in range(0, length, BLOCK):
            parts = prepared.mixer.parts(at, min(BLOCK, length - at))
            meter.add(parts.mix())
            voice[at : at + len(parts.voice)] = parts.voice
            music[at : at + len(parts.voice)] = parts.music[:, 0]
    ratios = [
        _rms_db(voice[e.start : e.end]) - _rms_db(music[e.start : e.end])
        for e in prepared.timeline.events
        if e.kind == "speech" and e.length > SAMPLE_RATE // 2
    ]
    return {
        "loudness_lufs": round(meter.integrated(), 2),
        "smr_lowest_db": round(min(ratios), 1),
        "smr_median_db": round(statistics.median(ratios), 1),
    }


def measure() -> dict[str, object]:
    return {"session": SESSION, "levels": {f"{level:+g} dB": at_level(level) for level in LEVELS}}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))


ROWS = (23,)


def run(bench: Bench) -> Figures:
    found = measure()
    bench.log(f"levels: {found}")
    table = found["levels"]
    assert isinstance(table, dict)
    loud_ok = all(abs(v["loudness_lufs"] + 16) <= 1 for v in table.values())
    smr_ok = all(v["smr_lowest_db"] >= 17 for v in table.values())
    row = Row(
        23,
        f"music and cue levels (`--music-level`, `--cue-level`, both at each level), {SESSION}: integrated loudness of the mix, and speech-to-music ratio inside every sentence (lowest / median)",
        "; ".join(
            f"{level}: {v['loudness_lufs']:.1f} LUFS, SMR {v['smr_lowest_db']:.0f} / {v['smr_median_db']:.0f} dB"
            for level, v in table.items()
        ),
        "-16 LUFS ± 1 at every level; SMR ≥ 17 dB",
        loud_ok and smr_ok,
    )
    return Figures([row])
