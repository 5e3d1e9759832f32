"""What a session says about its equipment, and how long it leaves to fetch it.

Every technique names what it needs; a session announces it at its start ("You will need a
tennis ball and a clear stretch of wall."), then leaves a pause to fetch it, which grows with
the number of things to fetch (up to 40 s); a thing to prepare (heat) says so and waits its time.
``play`` waits for the listener instead: it says how to go on, and holds in a short span of
music (``WAIT_SPAN``) until told, however long fetching takes.
"""

from __future__ import annotations

from voiceguide.text import number_words

FETCH_BASE, FETCH_EACH, FETCH_MAX = 4.0, 4.0, 40.0  # seconds to fetch the equipment, by how many things
WAIT_SPAN = 4.0  # seconds of music after the words that say how to go on, when play waits
WAIT_HOLD = 1.5  # seconds into that span where play holds: the music is back up by then
# How to go on, said after the equipment when play waits: with a key, by voice, or either.
GO_ON = {
    "keys": "When you are ready, press the space bar to go on.",
    "voice": "When you are ready, say: voice guide, continue.",
    "both": "When you are ready, press the space bar, or say: voice guide, continue.",
}


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


def waiting_sentence(seconds: float) -> str:
    """ "The session waits three minutes." (whole minutes when it is a minute or more)."""
    minutes = int(round(seconds / 60))
    if minutes >= 1:
        return f"The session waits {number_words(minutes)} minute{'s' if minutes != 1 else ''}."
    return f"The session waits {number_words(int(round(seconds)))} seconds."
