"""`voiceguide play` of a short session, over and over, with each output, on each interpreter.

Each run plays through a PulseAudio null sink of its own server (started once per
interpreter), records the sink, and counts as good only when the command exits 0, says
nothing on standard error and the recording holds the whole render at one offset, every
quarter second of it (found by correlation, as the playback tests do).

    .venv/bin/python -m bench.plays [--runs 30] [--python .venv-3.11/bin/python ...]

Each interpreter named must have voiceguide installed (``make test-all`` makes the venvs).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.audio import read_wav
from tests.support.heard import locate, quarter_offsets
from tests.support.pulse import Pulse, load_recording

SCRIPT = """\
title: Repeated play
steps:
  - section: One
  - say: Sit tall and let your shoulders drop.
  - hold: 2s
  - section: Two
  - say: Breathe out slowly.
  - hold: 1s
"""
BACKENDS = ("sounddevice", "simpleaudio")


def whole(recording_path: Path, render: object) -> str:
    """'' when the recording holds the whole render at one offset, else what went wrong."""
    heard = load_recording(recording_path)[:, 0]
    offset = locate(heard, render, 1.0)
    moved = [o for o in quarter_offsets(heard, render, near=offset) if o != offset]
    if moved:
        return f"{len(moved)} quarter seconds moved"
    if offset < 0 or offset + len(render) > len(heard):
        return "not heard to the end"
    return ""


def plays(python: str, runs: int, work: Path) -> dict[str, tuple[int, list[str]]]:
    """{backend: (good runs, what went wrong in the others)} for one interpreter."""
    script = work / "repeated-play.yaml"
    script.write_text(SCRIPT)
    cache = {"VOICEGUIDE_CACHE_DIR": str(work / "speech")}
    env = {**os.environ, **cache}
    render_cmd = [python, "-m", "voiceguide", "render", str(script), "-o", str(work / "render.wav"), "--force"]
    subprocess.run(render_cmd, env=env, check=True, capture_output=True, timeout=600)
    render = read_wav(work / "render.wav")[:, 0]
    (work / "pulse").mkdir()
    pulse = Pulse(work / "pulse")
    pulse.start()
    out: dict[str, tuple[int, list[str]]] = {}
    try:
        for backend in BACKENDS:
            good, wrong = 0, []
            for number in range(runs):
                raw = work / f"{backend}-{number}.raw"
                with pulse.recording(raw):
                    done = subprocess.run(
                        [python, "-m", "voiceguide", "play", str(script), "--output", backend],
                        env={**pulse.env, **cache}, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                    )  # fmt: skip
                problem = (
                    f"exit {done.returncode}: {done.stderr.decode()[-300:]}" if done.returncode
                    else f"stderr: {done.stderr.decode()[-300:]}" if done.stderr
                    else whole(raw, render)
                )  # fmt: skip
                raw.unlink()
                if problem:
                    wrong.append(f"run {number + 1}: {problem}")
                else:
                    good += 1
            out[backend] = (good, wrong)
    finally:
        pulse.stop()
    return out


def _unwind(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # as Ctrl-C does: the recorder and the sound server are stopped on the way out


def main() -> None:
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _unwind)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--python", action="append", help="an interpreter with voiceguide installed (repeatable)")
    args = parser.parse_args()
    failed = False
    print("python\toutput\tgood runs\ttime")
    for python in args.python or [sys.executable]:
        version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="voiceguide-plays-") as folder:
            found = plays(python, args.runs, Path(folder))
        took = time.monotonic() - started
        for backend, (good, wrong) in found.items():
            print(f"{version}\t{backend}\t{good}/{args.runs}\t{took:.0f} s", flush=True)
            for line in wrong:
                print(f"  {line}", flush=True)
            failed |= good != args.runs
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
