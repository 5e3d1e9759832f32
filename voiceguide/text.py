"""Text helpers for speech: sentence splitting, spoken numbers, and speech-time estimates."""

from __future__ import annotations

import re

# A synthesis unit longer than this is split at commas, then at spaces, so that Piper's
# fixed noise table (see voices/piper_voice.py) always covers it.
MAX_UNIT_CHARS = 300
ESTIMATED_WPM = 138.0  # articulation rate of the calm voice (measured), without the pauses between sentences

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split a spoken text into sentences (and over-long sentences into clauses)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        sentence = sentence.strip()
        if sentence:
            out.extend(_limit(sentence))
    return out


def _limit(sentence: str) -> list[str]:
    if len(sentence) <= MAX_UNIT_CHARS:
        return [sentence]
    parts: list[str] = []
    current = ""
    for piece in re.split(r"(?<=[,;:])\s+|\s+", sentence):
        candidate = f"{current} {piece}".strip()
        if len(candidate) > MAX_UNIT_CHARS and current:
            parts.append(current)
            current = piece
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9']+", text))


def estimate_seconds(sentence: str, speed: float = 1.0) -> float:
    """A speech-time estimate for one sentence at a pace ``speed`` (1 is the calm default)."""
    words = max(1, word_count(sentence))
    return words * 60.0 / (ESTIMATED_WPM * speed) + 0.3


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    return str(n)


def countdown_phrase(seconds: float) -> str:
    """What is said ``seconds`` before the end of a hold: "Ten seconds." or "One minute left."."""
    total = int(round(seconds))
    minutes, secs = divmod(total, 60)
    if minutes and not secs:
        unit = "minute" if minutes == 1 else "minutes"
        return f"{number_words(minutes).capitalize()} {unit} left."
    if minutes:
        unit = "minute" if minutes == 1 else "minutes"
        return f"{number_words(minutes).capitalize()} {unit} and {number_words(secs)} seconds left."
    return f"{number_words(secs).capitalize()} second{'s' if secs != 1 else ''}."
