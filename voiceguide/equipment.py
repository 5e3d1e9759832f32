"""What a session says about its equipment, and how long it leaves to fetch it.

Every technique names what it needs; a session announces it at its start ("You will need a
tennis ball and a clear stretch of wall."), then leaves a pause to fetch it, which grows with
the number of things to fetch.
"""

from __future__ import annotations

FETCH_BASE, FETCH_EACH, FETCH_MAX = 3.0, 1.5, 15.0  # seconds to fetch the equipment


def equipment_sentence(equipment: tuple[str, ...]) -> str:
    """ "You will need a tennis ball and a clear stretch of wall." (items are written as spoken)."""
    them = "it" if len(equipment) == 1 else "them"
    return f"You will need {spoken_list(equipment)}. Take a moment to have {them} ready."


def spoken_list(words: tuple[str, ...]) -> str:
    """ "a, b, and c"; "a and b"; "a"."""
    if len(words) < 3:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def fetch_seconds(count: int) -> float:
    """Time left after the equipment sentence to fetch ``count`` things."""
    return float(min(FETCH_MAX, FETCH_BASE + FETCH_EACH * count))
