"""Drive the real player through the real sound device, the way the keys would, and say what
it believed at each step (JSON on stdout). Run as a program inside a test PulseAudio server:

    python tests/drive.py SCRIPT BACKEND

It pauses once the listener has heard 3.5 s, resumes once the device has played 1.5 s of the
pause, and quits 2.5 s after the resume. Every wait is on the player's own (device) clock.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from voiceguide import library
from voiceguide.player.core import Player, State
from voiceguide.player.output import open_output
from voiceguide.player.sources import SessionSource
from voiceguide.render import RenderOptions

SR = 44100


def main() -> None:
    script, backend = sys.argv[1], sys.argv[2]
    source = SessionSource(library.load(script), RenderOptions())
    player = Player(source, lambda fill: open_output(backend, fill, warn=lambda line: print(line, file=sys.stderr)))
    deadline = time.monotonic() + 90

    def until(condition: Callable[[], bool]) -> None:
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("the player never got there")
            player.tick()
            time.sleep(0.01)

    player.play(0)
    source.prepare_ahead()
    until(lambda: player.position() >= int(3.5 * SR))
    key_heard, key_next = player.position(), player.transport.next
    player.toggle_pause()
    until(lambda: player.state is State.PAUSED)
    paused_at, paused_heard = player.paused_at, player.heard()
    until(lambda: player.heard() >= paused_heard + int(1.5 * SR))
    player.toggle_pause()
    resumed_from = player.paused_at  # where play() was asked to start
    until(lambda: player.position() >= resumed_from + int(2.5 * SR))
    player.quit()
    quit_at = player.quit_at
    assert player.output is not None
    latency = player.output.latency()
    player.close()
    print(
        json.dumps(
            {
                "backend": player.output.name,
                "key_heard": key_heard,
                "key_next": key_next,
                "paused_at": paused_at,
                "resumed_from": resumed_from,
                "quit_at": quit_at,
                "latency": latency,
            }
        )
    )


if __name__ == "__main__":
    main()
