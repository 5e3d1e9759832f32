"""Figure 10: how well a recogniser (PocketSphinx, its bundled en-us model) understands the
natural voice at each pace, against the length scale the calm voice had before (1.4). A
recogniser trained on conversational speech also stumbles on slow speech that is perfectly
clear, so the control puts both voices at the same rate with ffmpeg's atempo first."""

from __future__ import annotations

import re
import subprocess

import numpy as np

from bench.common import Bench, Figures, Row
from bench.wer import edits

ROWS = (10,)

NOTES = [
    "Figure 10's recogniser is PocketSphinx with the en-us model its wheel ships, on 16 kHz speech. Trained on everyday speech, it also misses more of slow speech that is perfectly clear, so the control speeds the new normal voice up to the old rate with ffmpeg's atempo (and the old voice through atempo at 1.0, for the same processing), and slows the old voice down to the new rate: at equal rates the two voices should score alike.",
]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _tempo(pcm: np.ndarray, factor: float) -> np.ndarray:
    """16 kHz int16 speech made ``factor`` times faster by ffmpeg's atempo (pitch kept)."""
    raw = ["-f", "s16le", "-ar", "16000", "-ac", "1"]
    done = subprocess.run(
        ["ffmpeg", "-v", "error", *raw, "-i", "-", "-filter:a", f"atempo={factor:.6f}", *raw, "-"],
        input=pcm.tobytes(),
        capture_output=True,
        check=True,
    )
    return np.frombuffer(done.stdout, np.int16)


def run(bench: Bench) -> Figures:
    from pocketsphinx import Decoder
    from scipy import signal

    from voiceguide import library
    from voiceguide.pace import PACES, Pace
    from voiceguide.steps import build
    from voiceguide.text import sentences
    from voiceguide.voices import VoiceSpec
    from voiceguide.voices.natural import BASE_LENGTH_SCALE, PiperVoice

    before = 1.4
    units: list[str] = []
    for name in ("daily-routine", "partner-back-massage", "neck-tension-release"):
        units += [u for p in build(library.load(name)).phrases() for u in sentences(p)]
    units = [u for u in dict.fromkeys(units) if len(_words(u)) >= 4][: 3 if bench.quick else 40]
    decoder = Decoder(samprate=16000, logfn="/dev/null")

    def heard(pcm: np.ndarray) -> str:
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    voices: dict[float, PiperVoice] = {}  # one per length scale: each loads the model once

    def speak(scale: float, text: str) -> np.ndarray:
        spec = VoiceSpec("natural", "", Pace("bench", BASE_LENGTH_SCALE / scale, 1.0, 1.0))
        voice = voices.setdefault(scale, PiperVoice(spec))
        ((audio, rate),) = voice.synthesize([text])
        pcm = signal.resample_poly(audio, 16000 // 100, rate // 100)
        return np.clip(np.round(pcm * 32767), -32768, 32767).astype(np.int16)

    scales = {"before (1.4)": before} | {name: BASE_LENGTH_SCALE / pace.speed for name, pace in PACES.items()}
    errors = dict.fromkeys(scales, 0)
    matched = {"before": 0, "normal": 0, "before slowed": 0}
    total = sum(len(_words(u)) for u in units)
    normal = scales["normal"]
    for text in units:
        ref = _words(text)
        spoken = {label: speak(scale, text) for label, scale in scales.items()}
        for label, pcm in spoken.items():
            errors[label] += edits(ref, _words(heard(pcm)))
        # Both at the old rate (each through atempo once), and the old voice slowed to the new rate.
        matched["before"] += edits(ref, _words(heard(_tempo(spoken["before (1.4)"], 1.0))))
        matched["normal"] += edits(ref, _words(heard(_tempo(spoken["normal"], normal / before))))
        matched["before slowed"] += edits(ref, _words(heard(_tempo(spoken["before (1.4)"], before / normal))))
    raw = "; ".join(f"{label} (length scale {scales[label]:.2f}) {errors[label] / total:.1%}" for label in scales)
    control = (
        f"at the old rate: before {matched['before'] / total:.1%}, normal {matched['normal'] / total:.1%}; "
        f"the old voice slowed by atempo to normal's rate {matched['before slowed'] / total:.1%}"
    )
    row = Row(
        10,
        f"intelligibility of the natural voice: word error rate of PocketSphinx (en-us) over {len(units)} library sentences ({total} words)",
        f"{raw}. Control, {control}",
        "reported",
        None,
    )
    return Figures([row])
