"""Loudness and speech-to-music ratio at each music and cue level.

For one library session rendered at music levels -30, -12, 0, +3 and +6 dB (cues at the same
level): the integrated loudness of the mix where the voice speaks (over its sentences, the
anchor by which AES TD1008 measures speech with music) and over the whole (LUFS, the house's
meter, which the tests check against ffmpeg's), that of the voice alone over the same session,
and the speech-to-music ratio inside speech (dB, RMS of the voice over RMS of the music within
each spoken sentence: the lowest, and the median). Then the session of the library with the longest holds (the cold pack)
at 0 and +6 dB, where most of what is heard is the music.

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
HOLDS = "cold-pack"  # about 8 minutes, three quarters of it holds under the music
HOLDS_LEVELS = (0.0, 6.0)


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(max(float(np.mean(np.square(x, dtype=np.float64))), 1e-20)))


def at_level(level: float, name: str = SESSION) -> dict[str, float]:
    """Loudness (of the mix where it speaks and whole, and of the voice alone) and SMR of
    ``name`` with the music and the cues at ``level`` dB."""
    session = library.load(name)
    prepared = prepare(session, RenderOptions(music_level=level, cue_level=level))
    with prepared.speech:
        length = prepared.timeline.length
        meter, voice_meter = Meter(SAMPLE_RATE, 2), Meter(SAMPLE_RATE, 2)
        voice = np.zeros(length, np.float32)
        music = np.zeros(length, np.float32)
        for at in range(0, length, BLOCK):
            parts = prepared.mixer.parts(at, min(BLOCK, length - at))
            meter.add(parts.mix())
            voice_meter.add(np.repeat(parts.voice[:, None], 2, axis=1))  # on both channels, as mixed
            voice[at : at + len(parts.voice)] = parts.voice
            music[at : at + len(parts.voice)] = parts.music[:, 0]
    ratios = [
        _rms_db(voice[e.start : e.end]) - _rms_db(music[e.start : e.end])
        for e in prepared.timeline.events
        if e.kind == "speech" and e.length > SAMPLE_RATE // 2
    ]
    return {
        "speech_lufs": round(meter.integrated([(e.start, e.end) for e in prepared.timeline.speech()]), 2),
        "loudness_lufs": round(meter.integrated(), 2),
        "voice_lufs": round(voice_meter.integrated(), 2),
        "smr_lowest_db": round(min(ratios), 1),
        "smr_median_db": round(statistics.median(ratios), 1),
    }


def measure() -> dict[str, object]:
    return {
        "session": SESSION,
        "levels": {f"{level:+g} dB": at_level(level) for level in LEVELS},
        "holds": HOLDS,
        "holds_levels": {f"{level:+g} dB": at_level(level, HOLDS) for level in HOLDS_LEVELS},
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))


ROWS = (23,)


def run(bench: Bench) -> Figures:
    found = measure()
    bench.log(f"levels: {found}")
    table, holds = found["levels"], found["holds_levels"]
    assert isinstance(table, dict) and isinstance(holds, dict)
    every = [*table.values(), *holds.values()]
    loud_ok = all(abs(v["speech_lufs"] + 16) <= 1 for v in every)
    smr_ok = all(v["smr_lowest_db"] >= 17 for v in every)

    def said(v: dict[str, float]) -> str:
        return (f"{v['loudness_lufs']:.1f} LUFS (the voice alone {v['voice_lufs']:.1f}; where it speaks "
                f"**{v['speech_lufs']:.1f}**), SMR {v['smr_lowest_db']:.0f} / {v['smr_median_db']:.0f} dB")  # fmt: skip

    row = Row(
        23,
        f"music and cue levels (`--music-level`, `--cue-level`, both at each level), {SESSION}, and {HOLDS} (the "
        "longest holds): integrated loudness of the mix (and of the voice alone over the same session; and of "
        "the mix where the voice speaks, over its sentences), and speech-to-music ratio inside every sentence "
        "(lowest / median)",
        "; ".join(f"{level}: {said(v)}" for level, v in table.items())
        + f"; {HOLDS}: "
        + "; ".join(f"{level}: {said(v)}" for level, v in holds.items()),
        "-16 LUFS ± 1 at every level, where the voice speaks (the anchor AES TD1008 measures speech with "
        "music by); SMR ≥ 17 dB",
        loud_ok and smr_ok,
    )
    return Figures([row])
