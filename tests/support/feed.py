"""Feed the simpleaudio output as a player waiting on its source does: never more than
``LEAD`` seconds beyond what the listener has heard. Run as a program inside a test
PulseAudio server; the test records the sink:

    python tests/feed.py SIGNAL.npy

SIGNAL.npy holds float32 (n, 2) samples. Every wait polls the output's own clock.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from voiceguide.player.backends import open_output
from voiceguide.player.simple import AHEAD, LATENCY, MUST
from voiceguide.player.system import raise_priority
from voiceguide.player.transport import Transport

SR = 44100
LEAD = 0.75  # seconds ahead of what was heard: less than the tape takes when it can, more than it must
FIRST = 0.25  # seconds queued before the output opens, as the player does

assert MUST < LEAD - LATENCY and LEAD < AHEAD + LATENCY, "a lead the tape can wait for, yet one it would outrun"


def main() -> None:
    signal = np.load(sys.argv[1])
    transport = Transport(SR)
    transport.start(0, 1)
    transport.append(signal[: int(FIRST * SR)])
    output = open_output("simpleaudio", transport.fill)
    raise_priority()  # as the player's own thread does: the feeding is the test's, not the machine's
    deadline = time.monotonic() + 120
    while transport.fill_at < len(signal):
        if time.monotonic() > deadline:
            raise SystemExit("the signal was never all queued")
        want = min(len(signal), output.heard() + int(LEAD * SR))
        if want > transport.fill_at:
            transport.append(signal[transport.fill_at : want])
        time.sleep(0.01)
    output.close()  # what is queued and written plays out first


if __name__ == "__main__":
    main()
