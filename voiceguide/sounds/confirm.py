"""Confirmation sounds for spoken commands: short, soft, and different for each kind of command.

Each is a few sine notes with a soft attack and a quick decay, at the level of the player's pause
marks. Pause and resume are those very marks, so a command sounds the same said as pressed; the
others follow their meaning: next climbs, back turns round, repeat says one note twice, louder and
softer glide up and down, quit settles on one low note.
"""

from __future__ import annotations

import functools

import numpy as np

from voiceguide import levels
from voiceguide.sounds.cues import SR, _peak_to, _ramp, mark

KINDS = ("pause", "resume", "next", "back", "repeat", "louder", "softer", "quit")


def _note(start_hz: float, seconds: float, end_hz: float | None = None, decay: float = 0.09) -> np.ndarray:
    """One soft note (a glide when ``end_hz`` differs), 5 ms attack, 10 ms fade at its end."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    freq = np.linspace(start_hz, end_hz if end_hz is not None else start_hz, n)
    out = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / decay)
    attack, fade = int(0.005 * SR), int(0.01 * SR)
    out[:attack] *= _ramp(attack)
    out[-fade:] *= _ramp(fade)[::-1]
    return out


@functools.cache
def confirmation(kind: str) -> np.ndarray:
    """The sound that confirms a command of ``kind`` (see ``KINDS``): float32 mono at 44.1 kHz."""
    if kind in ("pause", "resume"):
        return mark(kind)
    if kind == "next":
        parts = [_note(f, 0.11, decay=0.06) for f in (392.0, 493.9, 587.3)]
    elif kind == "back":
        parts = [_note(f, 0.14, decay=0.07) for f in (587.3, 440.0, 587.3)]
    elif kind == "repeat":
        parts = [_note(440.0, 0.15, decay=0.07), _note(440.0, 0.15, decay=0.07)]
    elif kind == "louder":
        parts = [_note(349.2, 0.3, end_hz=523.3, decay=0.2)]
    elif kind == "softer":
        parts = [_note(523.3, 0.3, end_hz=349.2, decay=0.2)]
    elif kind == "quit":
        parts = [_note(261.6, 0.45, decay=0.15)]
    else:
        raise ValueError(f"no confirmation sound for {kind!r}")
    return _peak_to(np.concatenate(parts), levels.MARK_PEAK)
