"""Drive the real player through the real sound device, the way the keys would, and say what
it believed at each step (JSON on stdout). Run as a program inside a test PulseAudio server
(``drive`` runs it so, from a test):

    python tests/support/drive.py SCRIPT BACKEND [keys | voice-quit:SECONDS]

With ``keys`` (the default) it pauses once the listener has heard 3.5 s, resumes once the device
has played 1.5 s of the pause, and quits 2.5 s after the resume. With ``voice-quit:SECONDS`` it
quits once the listener has heard that much, as a spoken "quit" reaches the player (through
``obey``, which ``play --listen`` calls for each command heard). Every wait is on the player's own
(device) clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from voiceguide import library
from voiceguide.player.backends import open_output
from voiceguide.player.core import Player
from voiceguide.player.sources import SessionSource
from voiceguide.player.status import State
from voiceguide.player.terminal import obey
from voiceguide.render import RenderOptions

SR = 44100


def drive(pulse: Any, session: dict[str, Any], backend: str = "sounddevice", mode: str = "keys") -> dict[str, Any]:
    """Run this program on the test server ``pulse`` for a ``rendered`` session; what it said."""
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": session["env"]["VOICEGUIDE_CACHE_DIR"]}
    done = subprocess.run(
        [sys.executable, __file__, str(session["script"]), backend, mode],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said: dict[str, Any] = json.loads(done.stdout)
    return said


def main() -> None:
    script, backend = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "keys"
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
    if mode.startswith("voice-quit:"):
        heard = int(float(mode.split(":")[1]) * SR)
        until(lambda: player.position() >= heard)
        obey(player, "quit")
        player.close()
        print(json.dumps({"backend": player.output.name if player.output else None, "quit_at": player.quit_at}))
        return
    until(lambda: player.position() >= int(3.5 * SR))
    key_heard = player.position()
    player.toggle_pause()
    # The next frame handed when the pause took hold, set under the lock the device's callback takes (read
    # before the key, the device's callback may take one more block in between on a busy machine).
    key_next = player.transport.faded_from
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
