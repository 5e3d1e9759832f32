"""Figure 6: each event's start in the cue sheet against its sound in the rendered audio."""

from __future__ import annotations

import json

import numpy as np

from bench.common import SR, TINY, Bench, Figures, Row, voiceguide
from tests.support.audio import read_wav

ROWS = (6,)


def run(bench: Bench) -> Figures:
    from voiceguide.sounds import cues as cue_sounds

    folder = bench.work / "timing"
    target = TINY if bench.quick else "daily-routine"
    voiceguide(
        "render", target, "-o", str(folder / "t.wav"), "--cues", str(folder / "cues.json"),
        "--stems", str(folder / "stems"), "--force", env=bench.env,
    )  # fmt: skip
    sheet = json.loads((folder / "cues.json").read_text())
    cue_stem = read_wav(folder / "stems" / "cues.wav")[:, 0]
    voice = read_wav(folder / "stems" / "voice.wav")[:, 0]
    worst_cue = 0
    checked = 0
    for event in sheet["events"]:
        if event["kind"] not in ("chime", "tick", "breath-in", "breath-out"):
            continue
        start = int(round(event["start"] * SR))
        sound = cue_sounds.sound(event["kind"], int(round(event["end"] * SR)) - start).astype(np.float64)
        # Where the template fits the stem best, searching 1000 samples either side.
        lo = max(0, start - 1000)
        segment = cue_stem[lo : start + len(sound) + 1000]
        scores = np.correlate(segment, sound, mode="valid")
        lag = lo + int(np.argmax(scores)) - start
        worst_cue = max(worst_cue, abs(lag))
        checked += 1
    onsets = []
    for event in sheet["events"]:
        if event["kind"] != "speech":
            continue
        start = int(round(event["start"] * SR))
        heard = np.flatnonzero(np.abs(voice[start : start + SR // 10]) > 10 ** (-40 / 20))
        onsets.append(heard[0] / SR * 1000 if heard.size else 100.0)
    worst_speech = max(onsets)
    row = Row(
        6,
        "timing: event start in the cue sheet against its sound in the rendered audio",
        f"generated cues ({checked}): {worst_cue} samples at most; speech onset: {worst_speech:.1f} ms at most ({len(onsets)} sentences, first sample above -40 dBFS)",
        "0 samples; within 10 ms",
        worst_cue == 0 and worst_speech <= 10,
    )
    return Figures([row])
