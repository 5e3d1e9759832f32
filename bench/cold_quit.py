"""`q` during first-time synthesis: how soon `voiceguide play` exits, and whether anything is printed.

Each run plays ``childs-pose`` with an empty speech cache, on a pseudo-terminal, through a
PulseAudio null sink of the benchmark's own server. Once the player reads keys and two speech
workers are there, and a moment later (0 to 2 s, varied from run to run: workers starting,
loading the voice, speaking), it presses q. A run is good when the command exits 0 within
``GOAL`` seconds of the key, nothing at all is printed on standard error (the command's or any
worker's, read until the last of them has closed it) and no process of it is left 20 s later.
With ``--busy``, a busy loop runs on every core throughout.

    .venv/bin/python -m bench.cold_quit [--runs 20] [--busy]
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
from pathlib import Path

from bench.common import Bench, Figures, Row
from tests.support.cold_play import quit_during_synthesis
from tests.support.heard import busy_cores
from tests.support.pulse import Pulse

GOAL = 0.5  # seconds from the key q to the command's exit
DELAYS = (0.0, 0.25, 0.5, 1.0, 2.0)  # seconds after the workers appear, one per run in turn


def measure(runs: int = 20, busy: bool = False) -> dict[str, object]:
    """The figures: runs; exits within ``GOAL``; runs with a traceback; runs that printed
    anything on stderr; runs that left a process behind; runs not exiting 0; the worst time
    (seconds) and every time in run order."""
    times: list[float] = []
    tracebacks = noisy = left = failed = 0
    with tempfile.TemporaryDirectory(prefix="voiceguide-cold-quit-") as folder:
        work = Path(folder)
        (work / "pulse").mkdir()
        pulse = Pulse(work / "pulse")
        pulse.start()
        try:
            with busy_cores() if busy else contextlib.nullcontext():
                for number in range(runs):
                    run = work / f"run-{number + 1}"
                    run.mkdir()
                    found = quit_during_synthesis(pulse.env, run, DELAYS[number % len(DELAYS)])
                    times.append(found.seconds)
                    tracebacks += "Traceback" in found.stderr
                    noisy += bool(found.stderr.strip())
                    left += bool(found.left)
                    failed += found.returncode != 0
        finally:
            pulse.stop()
    return {
        "runs": runs,
        "within": sum(t <= GOAL for t in times),
        "tracebacks": tracebacks,
        "noisy": noisy,
        "left": left,
        "failed": failed,
        "worst": max(times, default=0.0),
        "times": times,
    }


ROWS = (22,)


def run(bench: Bench) -> Figures:
    runs = 4 if bench.quick else 20
    found = measure(runs, busy=True)
    bench.log(f"cold quit: {found}")
    within, worst = found["within"], found["worst"]
    bad = {k: found[k] for k in ("tracebacks", "noisy", "left", "failed")}
    assert isinstance(worst, float)
    row = Row(
        22,
        "`q` while `play` makes a session's speech for the first time (cold cache), both cores busy: q to exit",
        f"**{within}/{runs}** exited within {GOAL} s, slowest {worst:.2f} s; tracebacks {bad['tracebacks']}, "
        f"anything on stderr {bad['noisy']}, processes left {bad['left']}, other exit codes {bad['failed']}",
        f"{runs}/{runs} within {GOAL} s, nothing printed, nothing left",
        within == runs and not any(bad.values()),
    )
    return Figures([row])


def _unwind(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # as Ctrl-C does: the busy loops and the sound server are stopped


def main() -> None:
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _unwind)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--busy", action="store_true", help="a busy loop on every core throughout")
    args = parser.parse_args()
    found = measure(args.runs, args.busy)
    times = found["times"]
    assert isinstance(times, list)
    print(f"runs: {found['runs']}{' (busy)' if args.busy else ''}")
    print(f"exits within {GOAL} s of q: {found['within']}/{found['runs']}")
    print(f"worst: {found['worst']:.3f} s; each: {' '.join(f'{t:.2f}' for t in times)}")
    print(f"tracebacks: {found['tracebacks']}; anything on stderr: {found['noisy']}")
    print(f"processes left behind: {found['left']}; exit not 0: {found['failed']}")
    good = found["within"] == found["runs"] and not (found["noisy"] or found["left"] or found["failed"])
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
