"""Figure 7: how fast speech is made, as a real-time factor, for each voice and pool size."""

from __future__ import annotations

import subprocess

from bench.common import PY, Bench, Figures, Row

ROWS = (7,)


def run(bench: Bench) -> Figures:
    from voiceguide import library
    from voiceguide.steps import build
    from voiceguide.text import sentences

    units = list(dict.fromkeys(s for p in build(library.load("daily-routine")).phrases() for s in sentences(p)))
    units = units[:8] if bench.quick else units[:40]
    cells = []
    for label, spec, jobs in (
        ("natural, 1 process", "natural", 1),
        ("natural, 2 processes", "natural", 2),
        ("system (espeak-ng)", "system", 2),
    ):
        code = (
            "import time; from voiceguide.speech import Synthesizer; from voiceguide.voices import parse_spec;"
            f"units = {units!r}; s = Synthesizer(parse_spec({spec!r}), jobs={jobs});"
            "t = time.perf_counter(); audio = sum(len(a) / r for _, a, r in s.stream(units)); took = time.perf_counter() - t;"
            "print(took / audio)"
        )
        done = subprocess.run([PY, "-c", code], env=bench.env, capture_output=True, text=True, check=True)
        rtf = float(done.stdout.strip().splitlines()[-1])
        cells.append(f"{label} {rtf:.3f}")
    row = Row(
        7,
        f"speech synthesis, real-time factor (seconds of work per second of speech, {len(units)} sentences, model loading included)",
        "; ".join(cells),
        "reported",
        None,
    )
    return Figures([row])
