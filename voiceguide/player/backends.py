"""The factory of outputs: the two backends behind the ``Output`` protocol (see ``output``).

- ``sounddevice`` (PortAudio, the default): a callback stream; ``heard`` comes from the time
  at which the callback's block reaches the device (PortAudio's DAC time), so it follows the
  device through stalls and a busy machine.
- ``simpleaudio``: plays one long buffer that a thread keeps filled ahead of the wall clock;
  it reports no position, so ``heard`` is the wall clock less a fixed latency. Kept for
  machines without PortAudio.

``open_output`` opens the one asked for and falls back to the other, with one line saying so.
Each backend is imported only when it is made: importing sounddevice starts PortAudio.
"""

from __future__ import annotations

from collections.abc import Callable

from voiceguide.errors import PlaybackError
from voiceguide.player.output import Fill, Output

BACKENDS = ("sounddevice", "simpleaudio")


def make_output(name: str, sample_rate: int = 44100) -> Output:
    if name == "sounddevice":
        from voiceguide.player.device import SounddeviceOutput

        return SounddeviceOutput(sample_rate)
    if name == "simpleaudio":
        from voiceguide.player.simple import SimpleaudioOutput

        return SimpleaudioOutput(sample_rate)
    raise PlaybackError(f"unknown output {name!r}: choose {' or '.join(BACKENDS)}")


def open_output(name: str, fill: Fill, sample_rate: int = 44100, warn: Callable[[str], None] | None = None) -> Output:
    """Open the output ``name``; if it cannot be opened, say so through ``warn`` in one line
    and open the other one. When neither opens, the first one's failure is raised."""
    first = make_output(name, sample_rate)
    try:
        first.open(fill)
        return first
    except PlaybackError as failure:
        other = next(b for b in BACKENDS if b != name)
        try:
            second = make_output(other, sample_rate)
            second.open(fill)
        except PlaybackError:
            raise failure from None
        if warn is not None:
            warn(f"{name} could not play ({failure}); playing through {other} instead")
        return second
