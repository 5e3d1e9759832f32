"""Word error rate of each library session, heard on its final mix (voice, music and cues).

Each session is rendered with the natural voice at normal pace and its own music, brought down to
16 kHz mono, and every sentence the voice says is cut from the mix (with a little of the sound
either side, never into the next sentence) and given to Whisper tiny.en, the listening wing's
recogniser, with no prompt. The error rate is the word-level edit distance between what was said
and what was heard, over all the sentences of the session, as a listener hears them (a sentence
said ten times counts ten times). Goal: at most ``GOAL`` for every session.

    .venv/bin/python -m bench.wer                          # every library session (CPU-heavy)
    .venv/bin/python -m bench.wer partner-back-massage facial-massage
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import Bench, Figures, Row  # noqa: E402
from tests.support.listening import RATE, render  # noqa: E402
from voiceguide import library  # noqa: E402
from voiceguide.text import number_words  # noqa: E402

GOAL = 0.03
BEFORE, AFTER = 0.15, 0.3  # seconds of the mix kept around each sentence, at most half the gap
_WORD = re.compile(r"[a-z0-9']+")
# The recogniser writes American spelling; the scripts' British spelling is the same word heard.
SPELLING = {"moisturiser": "moisturizer", "centre": "center", "colour": "color", "towards": "toward"}
# A contraction is the same words heard ("you're" for "you are").
CONTRACTED = {"you're": "you are", "they're": "they are", "it's": "it is", "don't": "do not", "we're": "we are"}


def words(text: str) -> list[str]:
    """Lower-case words; digits spelt out ("10" is "ten"), hyphens and apostrophes' quotes dropped."""
    out = []
    text = re.sub(r"(\d)-(\d)", r"\1 to \2", text.lower().replace("\u2019", "'"))  # "2-3 minutes"
    for word in _WORD.findall(text.replace("-", " ")):
        word = word.strip("'")
        out += number_words(int(word)).replace("-", " ").split() if word.isdigit() and int(word) < 100 else [word]
    return [SPELLING.get(w, w) for word in out if word for w in CONTRACTED.get(word, word).split()]


def joined(ref: list[str], hyp: list[str]) -> list[str]:
    """``hyp`` with two words made one where the script writes them as one ("finger tip")."""
    known, out, i = set(ref), [], 0
    while i < len(hyp):
        if i + 1 < len(hyp) and hyp[i] + hyp[i + 1] in known and hyp[i] not in known:
            out.append(hyp[i] + hyp[i + 1])
            i += 2
        else:
            out.append(hyp[i])
            i += 1
    return out


def edits(ref: list[str], hyp: list[str]) -> int:
    """Word-level edit distance (substitutions, deletions, insertions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


class Heard:
    """Whisper tiny.en from the listening wing's bundled weights, greedy, no prompt."""

    def __init__(self) -> None:
        from voiceguide.listen.recogniser import WhisperRecogniser

        self.recogniser = WhisperRecogniser()

    def __call__(self, samples: np.ndarray) -> str:
        return self.recogniser.plain(samples)


def session(name: str, heard: Heard) -> dict[str, Any]:
    """One session's figures: its error rate, words, and each sentence misheard (with how)."""
    rendered = render(library.resolve(name), "natural")
    said = rendered.said
    total = wrong = 0
    misheard: dict[str, dict[str, Any]] = {}
    for i, (start, end, text) in enumerate(said):
        gap_before = start - said[i - 1][1] if i else start
        gap_after = said[i + 1][0] - end if i + 1 < len(said) else len(rendered.samples) - end
        lo = start - min(int(BEFORE * RATE), max(gap_before // 2, 0))
        hi = end + min(int(AFTER * RATE), max(gap_after // 2, 0))
        ref = words(text)
        got = heard(rendered.samples[max(lo, 0) : hi])
        n = edits(ref, joined(ref, words(got)))
        total += len(ref)
        wrong += n
        if n:
            entry = misheard.setdefault(text, {"heard": got, "times": 0, "errors": 0})
            entry["times"] += 1
            entry["errors"] += n
    return {
        "wer": wrong / total if total else 0.0,
        "words": total,
        "errors": wrong,
        "sentences": len(said),
        "misheard": misheard,
    }


def measure(names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Each named library session's word error rate on its final mix (every session by default)."""
    heard = Heard()
    chosen = names or [entry.name for entry in library.entries()]
    return {name: session(name, heard) for name in chosen}


def main(argv: list[str]) -> int:
    figures = measure(argv or None)
    for name, row in figures.items():
        mark = "ok" if row["wer"] <= GOAL else "over the goal"
        print(f"{name}: {row['wer']:.1%} of {row['words']} words ({mark})", file=sys.stderr)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


ROWS = (25,)


def run(bench: Bench) -> Figures:
    found = measure(["childs-pose"] if bench.quick else None)
    bench.log(f"wer: { {name: round(row['wer'], 4) for name, row in found.items()} }")
    worst = max(row["wer"] for row in found.values())
    row = Row(
        25,
        f"word error rate of Whisper tiny.en on each library session's final mix (natural voice, normal pace, its music; {len(found)} sessions)",
        "; ".join(f"{name} {row['wer']:.1%}" for name, row in found.items()),
        f"≤ {GOAL:.0%} for every session",
        worst <= GOAL,
    )
    return Figures([row])
