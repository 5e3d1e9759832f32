"""What the player is doing, as the terminal, the plain lines and the media keys see it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class WallClock:
    """For what a person does (a key pressed twice), never for what the device plays."""

    def now(self) -> float:
        return time.monotonic()


class State(Enum):
    PLAYING = "playing"
    STOPPING = "stopping"  # fading out; an action follows once the fade is handed over
    PAUSED = "paused"
    BUFFERING = "buffering"
    FINISHED = "finished"


@dataclass(frozen=True)
class Status:
    title: str
    section: str
    section_index: int
    sections: int
    position: float  # seconds
    length: float | None
    state: State
    volume: int
    waiting: bool = False  # the device is being handed silence for want of samples
    estimate: float | None = None  # seconds the whole is expected to last, until ``length`` is known
    music_level: float | None = None  # dB relative to the usual mix; None when it cannot change (a file)
    cue_level: float | None = None
    held: bool = False  # the session waits here for the listener to go on (space, or "continue")


def volume_gain(volume: int) -> float:
    """A perceptual curve: 100 is unity, 50 is -12 dB, 0 is silence."""
    return (max(0, min(100, volume)) / 100.0) ** 2
