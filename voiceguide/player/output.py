"""The sound device behind a small interface: the protocol every backend keeps.

An output runs a stream that asks for frames: once opened, it calls ``fill(out)`` on a thread
of its own whenever the device wants the next float32 (n, 2) block, and ``heard()`` says how
many of the frames it was handed the listener has heard by now. That count is the player's
clock: what the player says it played is what came out of the device.

The backends and the factory that opens one are in ``backends``; what they do to the whole
process (standard error, ALSA's messages, scheduling) is in ``system``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # `play` imports this before numpy (see ``system.favour_threads``)
    import numpy as np


class Fill(Protocol):
    def __call__(self, out: np.ndarray, partial: bool = False) -> int:
        """Write the next ``len(out)`` frames into ``out`` (silence where the player has none
        ready) and return how many carried the session (or a wait's music). With ``partial``, hand over only those:
        for an output that takes frames long before the device plays them, and so can wait."""
        ...


NO_DEVICE = (
    "no sound device could be opened ({detail}); `voiceguide export` writes files that play anywhere without one"
)


@runtime_checkable
class Output(Protocol):
    name: str
    sample_rate: int
    dropouts: list[int]  # frames handed over just after the device ran dry, where it can tell

    def open(self, fill: Fill) -> None:
        """Start the stream; from now on the device calls ``fill`` for every block it wants.
        Raises PlaybackError when there is no usable device."""
        ...

    def heard(self) -> int:
        """Frames (counted from the first one handed over) that the listener has heard."""
        ...

    def latency(self) -> float:
        """Seconds from handing a frame over to hearing it."""
        ...

    def cut(self) -> None:
        """Silence at once, dropping whatever the device still holds."""
        ...

    def close(self) -> None:
        """Let go of the device, waiting until its threads are done. Unless cut before, what
        the listener has not heard yet of what was handed over still plays."""
        ...


@runtime_checkable
class Tapped(Protocol):
    """An output that hands each block, and the time it is heard, to a tap (a listener's echo
    canceller keeps it as its far end, and ducks it)."""

    tap: Callable[[np.ndarray, float], None] | None
