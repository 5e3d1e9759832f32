"""What ``validate --strict`` checks beyond the format: a session heard with eyes closed.

- Every session, at every guidance level, says one stop-if-it-hurts line before its first step.
- Nothing spoken needs sight ("look", "see", "watch", "white", "pale", "gaze").
- Every piece of equipment a technique's steps name is in its ``equipment``.
- No run of ``SHARED_RUN`` words is copied from a source text (when a folder of them is given).

Each problem is reported at the line of the script file where its words are written.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from pathlib import Path

from voiceguide.errors import Problem
from voiceguide.script import Repeat, Routine, Say, Script, Session, Sides, Step
from voiceguide.steps import GUIDANCE, Speak, build, leaves
from voiceguide.text import sentences

SHARED_RUN = 7  # words in a row that a script may not share with a source

_STOP = re.compile(r"\b(stop|ease (off|out|away)|let go|lift|lighten|rest)\b", re.I)
_HURT = re.compile(r"\b(hurts?|hurting|pain|painful)\b", re.I)

# Words that ask for sight, and the phrases where one of them means something else.
SIGHT = re.compile(r"\b(look(s|ed|ing)?|see(s|n|ing)?|saw|watch(es|ed|ing)?|white|pale|gaze)\b", re.I)
_NOT_SIGHT = re.compile(r"\bsee (a|your) (doctor|healthcare provider|massage therapist)\b", re.I)

# Things a step may ask for; each must be named in the technique's equipment.
THINGS = (
    "ball", "roller", "strap", "towel", "mat", "chair", "wall", "oil", "lotion", "moisturiser",
    "cane", "table", "pack", "bag", "stone", "bed", "cushion", "blanket", "compress",
)  # fmt: skip
_THING = re.compile(r"\b(" + "|".join(THINGS) + r")s?\b", re.I)
_LIKE = re.compile(r"\blike an? $", re.I)  # "flat like a table" names no table

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# A word, or a side's placeholder, which is heard as each of the sides it is filled with.
_TOKEN = re.compile(r"\{(?:side|other_side)\}|[a-z0-9]+(?:'[a-z]+)?")
SIDES = ("left", "right")


def is_stop_line(text: str) -> bool:
    """A sentence that says to stop (or ease off) when something hurts."""
    return any(_STOP.search(s) and _HURT.search(s) for s in sentences(text))


def sight_words(text: str) -> list[str]:
    """The words of ``text`` that ask a listener to see."""
    cleared = _NOT_SIGHT.sub("", text)
    return [m.group(0) for m in SIGHT.finditer(cleared)]


def check(path: Path, session: Session, sources: Path | None = None) -> list[Problem]:
    """Every strict problem of one script file (a routine's techniques are checked in their own files)."""
    problems = _stop_lines(path, session) + _sight(path, session)
    if isinstance(session, Script):
        problems += _equipment(path, session)
    if sources is not None:
        problems += shared_runs(path, source_runs(sources))
    return problems


def _stop_lines(path: Path, session: Session) -> list[Problem]:
    out = []
    for guidance in GUIDANCE:
        opening = []
        for item in build(session, guidance=guidance).items:
            if isinstance(item, Speak):
                if item.role == "say" and not (isinstance(session, Routine) and item.text == session.summary):
                    break
                opening.append(item.text)
        if not any(is_stop_line(text) for text in opening):
            lines = path.read_text(encoding="utf-8").splitlines()
            line = next((n for n, text in enumerate(lines, 1) if text.startswith("safety:")), 1)
            out.append(
                Problem(
                    str(path),
                    line,
                    1,
                    f"under {guidance} guidance nothing before the first step says to stop if something hurts; "
                    "begin the safety line with such a sentence",
                )
            )
    return out


def _sight(path: Path, session: Session) -> list[Problem]:
    files = [path] + [script.path for script, _ in leaves(session)]
    found: dict[str, None] = {}
    for guidance in GUIDANCE:
        for item in build(session, guidance=guidance).items:
            if isinstance(item, Speak):
                found.update(dict.fromkeys(w.lower() for w in sight_words(item.text)))
    out = []
    for word in found:
        where, line, col = _locate(re.compile(rf"\b{word}\b", re.I), files, path)
        out.append(Problem(str(where), line, col, f'"{word}" asks for sight; a listener has eyes closed'))
    return out


def _locate(pattern: re.Pattern[str], files: Iterable[Path], fallback: Path) -> tuple[Path, int, int]:
    for file in dict.fromkeys(files):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                if not _NOT_SIGHT.match(line, match.start()):
                    return file, number, match.start() + 1
    return fallback, 1, 1


def _says(steps: tuple[Step, ...]) -> Iterable[Say]:
    for step in steps:
        if isinstance(step, Say):
            yield step
        elif isinstance(step, Repeat | Sides):
            yield from _says(step.steps)
        if isinstance(step, Sides) and step.switch:
            yield Say((step.switch,), line=step.line, col=step.col)


def _equipment(path: Path, script: Script) -> list[Problem]:
    have = " ".join(script.equipment).lower()
    out = []
    for say in _says(script.steps):
        for text in say.texts + say.brief:
            for match in _THING.finditer(text):
                if _LIKE.search(text[: match.start()]):
                    continue
                thing = match.group(1).lower()
                if not re.search(rf"\b{thing}s?\b", have):
                    out.append(
                        Problem(str(path), say.line, say.col, f'a step uses "{thing}", which is not in the equipment')
                    )
    return sorted(set(out))


def words(text: str) -> list[str]:
    """Lower-case words, with curly apostrophes made straight."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@functools.lru_cache(maxsize=4)
def source_runs(folder: Path) -> frozenset[tuple[str, ...]]:
    """Every run of ``SHARED_RUN`` words in the source texts (``*.txt``) of ``folder``."""
    runs: set[tuple[str, ...]] = set()
    for file in sorted(folder.glob("*.txt")):
        found = words(file.read_text(encoding="utf-8", errors="replace"))
        runs.update(tuple(found[i : i + SHARED_RUN]) for i in range(len(found) - SHARED_RUN + 1))
    return frozenset(runs)


def shared_runs(path: Path, runs: frozenset[tuple[str, ...]]) -> list[Problem]:
    """Each run of words in the script file that a source holds too, reported once at its start;
    ``{side}`` counts as each side it is said as ("your {side} arm" is heard "your right arm")."""
    placed: list[tuple[tuple[str, ...], int, int]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        low = line.lower().replace("\u2019", "'")
        placed += [
            (SIDES if m.group(0).startswith("{") else (m.group(0),), number, m.start() + 1)
            for m in _TOKEN.finditer(low)
        ]
    out = []
    covered = -1
    for i in range(len(placed) - SHARED_RUN + 1):
        heard = itertools.product(*(words for words, _, _ in placed[i : i + SHARED_RUN]))
        run = next((r for r in heard if r in runs), None)
        if run is not None and i > covered:
            _, line_no, col = placed[i]
            out.append(
                Problem(
                    str(path), line_no, col, f'"{" ".join(run)}..." is copied from a source; say it in your own words'
                )
            )
        if run is not None:
            covered = i + SHARED_RUN - 1
    return out
