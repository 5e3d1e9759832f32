"""A device whose pace the test sets, and a source whose every sample says where it came from.

The device is a stand-in for a callback stream: it calls the transport's ``fill`` block by block
when the test advances it, keeps everything it was handed, and hears each frame a fixed latency
after it was handed over. What it was handed can then be checked sample by sample."""

from __future__ import annotations

import numpy as np

from voiceguide.player.core import Player
from voiceguide.player.output import Fill
from voiceguide.player.sources import Section
from voiceguide.player.status import State

SR = 44100
BLOCK = 441  # the device asks for 10 ms at a time
LATENCY = 4410  # and hears a frame 0.1 s after it was handed over


class Signal:
    """Sample n holds (n mod 20000 - 10000) / 32768: the output tells which sample it is."""

    title = "Signal"
    sample_rate = SR
    section_total = 4

    def __init__(self, seconds: float = 60.0, sections: tuple[float, ...] = (0.0, 10.0, 20.0, 40.0)) -> None:
        self._length = int(seconds * SR)
        self._sections = [Section(f"part {i + 1}", int(s * SR)) for i, s in enumerate(sections)]
        self.ready = self._length
        self.known = True
        self.estimated_length = self._length + 5 * SR
        self.waits: list[int] = []  # samples where the session waits for the listener

    def sections(self) -> list[Section]:
        return self._sections

    def length(self) -> int | None:
        return self._length if self.known else None

    def ready_until(self) -> int:
        return self.ready

    def render(self, start: int, count: int) -> np.ndarray:
        return np.repeat(value(np.arange(start, start + count))[:, None], 2, axis=1).astype(np.float32)

    def failure(self) -> BaseException | None:
        return None

    def prepare_ahead(self) -> None:
        return None

    # The voice speaks from 1 to 3 s into every ten (in samples).
    def speaking(self, position: int) -> bool:
        return SR <= position % (10 * SR) < 3 * SR

    def instruction_before(self, position: int) -> int | None:
        start = position // (10 * SR) * 10 * SR + SR
        return start if start <= position else (start - 10 * SR if start >= 10 * SR else None)

    def holds(self) -> list[int]:
        return self.waits

    def held(self, start: int, count: int) -> np.ndarray:
        """The music of a wait: its own pattern, so the output tells it from the session."""
        return np.repeat(held_value(np.arange(start, start + count))[:, None], 2, axis=1).astype(np.float32)

    def level(self, stem: str) -> float | None:
        return None  # mixed already, like a file

    def set_level(self, stem: str, db: float) -> None:
        return None


def value(n: np.ndarray) -> np.ndarray:
    return ((n % 20000) - 10000) / 32768.0


def held_value(n: np.ndarray) -> np.ndarray:
    """The music of a wait at sample n: 0.5 and up, where the session never goes."""
    return 0.5 + (n % 1000) / 10000.0


class Device:
    name = "test"
    sample_rate = SR

    def __init__(self) -> None:
        self.fill: Fill | None = None
        self.handed: list[np.ndarray] = []
        self.cuts = 0
        self.dropouts: list[int] = []

    def open(self, fill: Fill) -> None:
        self.fill = fill

    def advance(self, seconds: float) -> None:
        assert self.fill is not None
        for _ in range(int(seconds * SR) // BLOCK):
            out = np.full((BLOCK, 2), np.nan, dtype=np.float32)
            self.fill(out)
            self.handed.append(out[:, 0].copy())

    def heard(self) -> int:
        return max(0, sum(map(len, self.handed)) - LATENCY)

    def latency(self) -> float:
        return LATENCY / SR

    def cut(self) -> None:
        self.cuts += 1

    def close(self) -> None:
        return None

    def output(self) -> np.ndarray:
        return np.concatenate(self.handed) if self.handed else np.zeros(0, np.float32)


def run_for(player: Player, device: Device, seconds: float, step: float = 0.03) -> None:
    """The loop: a tick, then the device takes what plays until the next tick."""
    for _ in range(round(seconds / step)):
        if player.state is State.FINISHED:
            return
        player.tick()
        device.advance(step)
