"""One exception family. Messages are written for the user and name the fix.

The CLI maps them to exit codes in exactly one place (``cli.run_guarded``):
``ScriptError`` and ``UsageError`` are bad input (2), everything else is a failure of the
environment or of a run (1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CLOSE_ENOUGH = 0.6  # difflib's ratio: "sya" is close to "say", "childs-pse" to "childs-pose"


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """The hint "; did you mean 'x'?" for the options closest to ``name`` (up to three, best first),
    or "" when none is close, to end a message about a name that is not known."""
    import difflib

    close = difflib.get_close_matches(name, list(options), n=3, cutoff=CLOSE_ENOUGH)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


class VoiceguideError(Exception):
    """Base of every error voiceguide raises on purpose."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class ScriptError(VoiceguideError):
    """A technique script or routine is invalid. Carries every problem found, in order."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, path: str | Path, line: int, col: int, message: str) -> ScriptError:
        return cls([Problem(str(path), line, col, message)])


class UsageError(VoiceguideError):
    """A bad option value or an impossible request (for example a length that cannot fit)."""

    exit_code = 2


class MissingToolError(VoiceguideError):
    """A program or package voiceguide needs is not installed."""


class RenderError(VoiceguideError):
    """Rendering failed: a voice, a decoder or an encoder did not do its job."""


class PlaybackError(VoiceguideError):
    """The sound device could not be used."""


class OutputError(VoiceguideError):
    """Files could not be written: they exist already, or the folder is read-only or full."""


class ServeError(VoiceguideError):
    """The server could not start: its address or port cannot be used."""


class ListenError(VoiceguideError):
    """Listening could not start or go on: no microphone, no PortAudio, or no recogniser."""
