"""Figure 9: the natural voice's speaking rate at every pace, in words a minute, over the cue
sheets of the whole library. Rates do not depend on how fast speech is made, so this uses the
user's speech cache."""

from __future__ import annotations

from bench.common import TINY, Bench, Figures, Row

ROWS = (9,)

NOTES = [
    "Figure 9 lays out every session of the library (full guidance, the middle of every range, routines fitted to their lengths) with the natural voice at each pace and reads words and times off the cue sheets, leaving out the breathing words. Inside sentences counts only the time the voice sounds; running speech adds the gaps between the sentences of one instruction, not the longer gaps between instructions.",
]


def run(bench: Bench) -> Figures:
    from voiceguide import library
    from voiceguide.cuesheet import cue_sheet
    from voiceguide.pace import PACES, word_rates
    from voiceguide.render import RenderOptions, settled_steps, speech_store
    from voiceguide.speech_cache import SpeechCache
    from voiceguide.steps import BREATH_WORDS
    from voiceguide.text import sentences, word_count
    from voiceguide.timeline import build as lay_out

    targets = [TINY] if bench.quick else [str(e.path) for e in library.entries()]
    breaths = BREATH_WORDS.values()
    cells = []
    for name, pace in PACES.items():
        options = RenderOptions(pace=name)
        store = speech_store(options, SpeechCache())
        words = sounding = running = 0.0
        for target in targets:
            steps = settled_steps(library.load(target), options, store)
            store.ensure([s for p in steps.phrases() for s in sentences(p)])
            events = cue_sheet(lay_out(steps, store.length, pace))["events"]
            inside, flowing = word_rates(events, pace, breaths)
            count = sum(word_count(e["text"]) for e in events if e["kind"] == "speech" and e["text"] not in breaths)
            words += count
            sounding += count / inside * 60
            running += count / flowing * 60
        cells.append((name, words / running * 60, words / sounding * 60))
        bench.log(f"{name}: running {cells[-1][1]:.1f}, inside sentences {cells[-1][2]:.1f} words a minute")
    rates = {name: (run, inside) for name, run, inside in cells}
    normal, slow = rates["normal"], rates["slow"]
    met = 120 <= normal[0] <= 130 and normal[1] <= 150 and slow[0] <= 0.9 * normal[0]
    over = "a tiny session" if bench.quick else f"the whole library ({len(targets)} sessions)"
    row = Row(
        9,
        f"speaking rate of the natural voice, words a minute over the cue sheets of {over}: running speech (sentences and the gaps within an instruction) / inside sentences",
        "; ".join(f"{name} {run:.0f} / {inside:.0f}" for name, run, inside in cells),
        "normal 120 to 130 / at most 150; slow clearly slower",
        met,
    )
    return Figures([row])
