"""The one writer every command prints through, and whether it writes plain.

Plain (``--plain``, ``VOICEGUIDE_PLAIN=1``, ``TERM=dumb`` or ``plain = true`` in the settings)
is for a screen reader or a Braille display: one event per line, labels instead of columns,
nothing redrawn or erased, no colour, no box drawing. Without it, ``NO_COLOR`` is honoured and a
pipe never receives control codes (rich writes them only to a terminal).
"""

from __future__ import annotations

import os
import sys
from typing import Any

_state = {"plain": False}


def set_plain(value: bool) -> None:
    _state["plain"] = value


def plain() -> bool:
    return _state["plain"]


def dumb_terminal() -> bool:
    return os.environ.get("TERM") == "dumb"


def line(text: str = "", err: bool = False) -> None:
    """One line on stdout (or stderr)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=err)


def fields(pairs: list[tuple[str, Any]]) -> str:
    """A record as one labelled line: ``name: childs-pose; title: Child's pose``; empty fields left out."""
    return "; ".join(f"{label}: {value}" for label, value in pairs if value not in ("", None))


def console(stderr: bool = False) -> Any:
    """A rich console that writes colour and redraws only to a terminal, and never when plain."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if plain():
        return Console(
            file=stream,
            soft_wrap=True,
            no_color=True,
            force_terminal=False,
            highlight=False,
            emoji=False,
            color_system=None,
        )
    return Console(file=stream, soft_wrap=True, no_color="NO_COLOR" in os.environ or None, highlight=False)
