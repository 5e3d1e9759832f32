"""The command phrases: "voice guide" and one command word, and nothing else.

A segment is a command only if its whole text is one phrase, so "let your voice guide you" or
"repeat this three times" never is. The same phrases must never appear in a script's own text,
or the session could be heard obeying itself; ``phrases_in`` finds them for ``validate --strict``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import Problem

# What a person says after "voice guide", and the command the player receives.
COMMANDS: dict[str, str] = {
    "pause": "pause",
    "stop": "pause",
    "continue": "resume",
    "resume": "resume",
    "next": "next",
    "back": "back",
    "repeat": "repeat",
    "louder": "louder",
    "softer": "softer",
    "music softer": "music softer",
    "music louder": "music louder",
    "cues softer": "cues softer",
    "cues louder": "cues louder",
    "how long": "how long",
    "quit": "quit",
}
# The kinds of command as their confirmation sounds tell them: "music softer" sounds as "softer".
# "How long" needs no sound: the voice answers it.
KINDS: tuple[str, ...] = tuple(dict.fromkeys(c.split()[-1] for c in COMMANDS.values() if c != "how long"))
# How the recogniser writes a command word that it hears the same wrong way every time ("softer"
# as "software", "stop" as "top" when its hiss runs into "guide"). Nobody says "voice guide
# software" in a session, so taking it as the command costs nothing.
SPELLINGS: dict[str, str] = {"software": "softer", "soft": "softer", "top": "stop", "cue": "cues", "queues": "cues"}

# The wake words as the recogniser writes them: "voice guide", "voice guide,", "voice-guide",
# "voiceguide" (and the plural it hears when the command word starts with a hiss, "voice guides stop").
_WAKE = ("voiceguide", "voiceguides")
_WORD = re.compile(r"[a-z]+")
_PHRASE = re.compile(r"\bvoice[\s,.\-]*guides?\b", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lower-case words, with punctuation and spacing gone."""
    return _WORD.findall(text.lower())


def _command_shaped(said: list[str]) -> list[list[str]]:
    """The words after the wake words, for each way ``said`` starts with them ("voice guide" or
    "voiceguide") and goes on with one or two words: the places a command word may stand."""
    return [said[n:] for n in (1, 2) if "".join(said[:n]) in _WAKE and 1 <= len(said) - n <= 2]


def parse_command(text: str) -> str | None:
    """The command that ``text`` is, as a whole, or None.

    >>> parse_command("Voice guide, pause.")
    'pause'
    >>> parse_command("Let your voice guide pause you.") is None
    True
    """
    for after in _command_shaped(words(text)):
        rest = [SPELLINGS.get(w, w) for w in after]
        rest[0] = {"cue": "cues", "queues": "cues", "q": "cues"}.get(rest[0], rest[0]) if len(rest) == 2 else rest[0]
        found = COMMANDS.get(" ".join(rest))
        if found:
            return found
    return None


def addressed(text: str) -> bool:
    """Whether ``text`` has a command's shape without being one: the wake words, then one or two
    words that are no command ("Voice guide style.", as a command word can be misheard).

    >>> addressed("Voice guide style."), addressed("Voice guide, stop."), addressed("Voice guide, I need a minute.")
    (True, False, False)
    """
    return bool(_command_shaped(words(text))) and parse_command(text) is None


def only_wake_words(text: str) -> bool:
    """Whether ``text`` is the wake words and nothing more ("Voice guide.")."""
    return "".join(words(text)) in _WAKE


@dataclass(frozen=True)
class Found:
    """A command phrase (or its wake words alone) in a text, at a 1-based line and column."""

    line: int
    col: int
    phrase: str
    command: str | None  # the command it would give, when a command word follows


def phrases_in(text: str) -> list[Found]:
    """Every place in ``text`` where "voice" stands next to "guide", with the command it would give."""
    found = []
    for match in _PHRASE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        rest = words(text[match.end() : match.end() + 20])
        two = " ".join(rest[:2])
        said = two if two in COMMANDS else rest[0] if rest else ""
        command = COMMANDS.get(said)
        phrase = match.group(0) + (" " + said if command else "")
        found.append(Found(line, col, phrase, command))
    return found


def check_script(path: Path) -> list[Problem]:
    """``validate --strict``'s problems for one script file: every "voice guide" in its text."""
    text = path.read_text(encoding="utf-8")
    problems = []
    for f in phrases_in(text):
        what = f"the command {f.command!r}" if f.command else "a command"
        problems.append(
            Problem(
                str(path),
                f.line,
                f.col,
                f'"{f.phrase}" is how a listener starts {what}; the session must never say "voice" next to "guide"',
            )
        )
    return problems
