"""MPRIS play/pause from the bus to silence: `voiceguide play` on a private session bus and the
tests' PulseAudio server, paused by a PlayPause call a few seconds in (goal: <= 0.2 s).

The call and the sound are put on one clock: parec records the sink from before the player
starts, and its first bytes anchor the recording to ``time.perf_counter`` (as ``bench.player``
does for q), so the frame being recorded when the call was written to the bus is known. The call
is sent from this process (jeepney), so the time is that of the message itself, not of a tool's
start. Where the sound stopped is found in the recording by correlation: the render, faded over
the player's fade, fits the recording best ending at one sample (``tests.support.heard.fade_end``).

    .venv/bin/python -m bench.mpris [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import Bench, Figures, Row
from bench.player import Anchored
from tests.support.audio import read_wav
from tests.support.heard import fade_end, first_mismatch, locate, remove
from tests.support.pulse import Pulse
from voiceguide.player.core import FADE
from voiceguide.sounds import cues

PY = sys.executable
SR = 44100
PAUSE_AT = 3.0  # seconds into the session when PlayPause is called
GOAL = 0.2

SCRIPT = """\
title: Media key benchmark
steps:
  - say: Sit tall and let your shoulders drop.
  - hold: 3s
  - say: Now breathe out slowly through your mouth.
  - hold: 3s
"""


def _bus(folder: Path) -> tuple[subprocess.Popen[str], str]:
    command = ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
               f"--address=unix:path={folder / 'bus'}"]  # fmt: skip
    daemon = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert daemon.stdout is not None
    return daemon, daemon.stdout.readline().strip()


def _call(connection: object, pid: int, method: str) -> None:
    from jeepney import DBusAddress, new_method_call

    address = DBusAddress("/org/mpris/MediaPlayer2", f"org.mpris.MediaPlayer2.voiceguide.instance{pid}",
                          "org.mpris.MediaPlayer2.Player")  # fmt: skip
    connection.send(new_method_call(address, method))


def _position(connection: object, pid: int) -> float | None:
    """Seconds into the session, as the player says on the bus (None: not on the bus yet)."""
    from jeepney import DBusAddress, Properties

    address = DBusAddress("/org/mpris/MediaPlayer2", f"org.mpris.MediaPlayer2.voiceguide.instance{pid}",
                          "org.mpris.MediaPlayer2.Player")  # fmt: skip
    reply = connection.send_and_get_reply(Properties(address).get("Position"), timeout=2.0)
    if reply.header.message_type.name != "method_return":
        return None
    return float(reply.body[0][1]) / 1e6


def once(pulse: Pulse, env: dict[str, str], script: Path, render: np.ndarray, work: Path) -> float:
    """Seconds from the PlayPause call to the end of the fade heard at the sink."""
    from jeepney.io.blocking import open_dbus_connection

    recording = Anchored(pulse, work / "mpris.raw")
    player = subprocess.Popen([PY, "-m", "voiceguide", "play", str(script)], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        with open_dbus_connection(bus=env["DBUS_SESSION_BUS_ADDRESS"]) as connection:
            deadline = time.monotonic() + 120
            while (_position(connection, player.pid) or 0.0) < PAUSE_AT:
                if time.monotonic() > deadline or player.poll() is not None:
                    raise RuntimeError("the player never reached the pause on the bus")
                time.sleep(0.02)
            sent = time.perf_counter()
            _call(connection, player.pid, "PlayPause")
            time.sleep(1.0)  # the pause is heard, then silence, in the recording
            _call(connection, player.pid, "Stop")
            player.wait(30)
    finally:
        if player.poll() is None:
            player.kill()
            player.wait()
    heard = recording.stop()
    at = int((sent - recording.anchor_time) * SR) + recording.anchor_frames  # the recording when the call was sent
    offset = locate(heard, render, 1.0)
    stop_near = first_mismatch(heard, render, offset, max(0, at - offset - SR // 2))
    fade, span = int(FADE * SR), int(0.3 * SR)
    mark = np.asarray(cues.mark("pause"), dtype=np.float64)
    clean = remove(heard, mark, offset + stop_near - span, offset + stop_near + span)
    stopped = fade_end(clean, render, offset, stop_near + fade, fade, span)
    return recording.when(offset + stopped) - sent


def measure(runs: int = 5, work: Path | None = None) -> dict[str, float]:
    """{"median": s, "max": s, "min": s, "runs": n, "goal": s}: PlayPause on the bus to silence."""
    with tempfile.TemporaryDirectory(prefix="voiceguide-mpris-") as folder:
        root = work or Path(folder)
        script = root / "mpris-bench.yaml"
        script.write_text(SCRIPT)
        cache = {"VOICEGUIDE_CACHE_DIR": str(root / "speech")}
        subprocess.run([PY, "-m", "voiceguide", "render", str(script), "-o", str(root / "render.wav"), "--force"],
                       env={**os.environ, **cache}, check=True, capture_output=True)  # fmt: skip
        render = read_wav(root / "render.wav")[:, 0]
        (root / "pulse").mkdir()
        (root / "bus").mkdir()
        pulse = Pulse(root / "pulse")
        pulse.start()
        daemon, address = _bus(root / "bus")
        try:
            env = {**pulse.env, **cache, "DBUS_SESSION_BUS_ADDRESS": address}
            times = [once(pulse, env, script, render, root) for _ in range(runs)]
        finally:
            daemon.terminate()
            daemon.wait(10)
            pulse.stop()
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": runs, "goal": GOAL}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args()
    found = measure(args.runs)
    if args.json:
        print(json.dumps(found))
    else:
        print(f"MPRIS PlayPause to silence: median {found['median']:.3f} s, "
              f"min {found['min']:.3f} s, max {found['max']:.3f} s over {args.runs} runs (goal <= {GOAL} s)")  # fmt: skip


if __name__ == "__main__":
    main()


ROWS = (24,)


def run(bench: Bench) -> Figures:
    found = measure(2 if bench.quick else 5)
    bench.log(f"mpris: {found}")
    row = Row(
        24,
        "MPRIS: PlayPause sent on the session bus to silence at the device (the pause's fade end, in the recording)",
        f"median {found['median']:.2f} s ({found['min']:.2f} to {found['max']:.2f} s, {found['runs']} runs)",
        f"≤ {GOAL} s",
        found["median"] <= GOAL,
    )
    return Figures([row])
