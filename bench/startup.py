"""How long `voiceguide --help` takes: the processor time of the whole command, start to exit.

The figure is CPU seconds (user + system) of the child process, so a machine busy with other
work does not inflate it the way it inflates wall time. It is the median of several runs, after
one run that warms the file cache.

    .venv/bin/python -m bench.startup [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

from bench.common import Bench, Figures, Row

GOAL = 0.15  # CPU seconds for `voiceguide --help`
ROWS = (19,)


def cpu_seconds(args: list[str]) -> float:
    """User + system seconds of one run of ``python -m voiceguide ARGS``, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "voiceguide", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int = 9) -> dict[str, float]:
    """The median, lowest and highest CPU seconds of `voiceguide --help` over ``runs`` runs."""
    cpu_seconds(["--help"])  # warms the file cache and the bytecode
    times = [cpu_seconds(["--help"]) for _ in range(runs)]
    return {
        "help_cpu_seconds": round(statistics.median(times), 4),
        "help_cpu_seconds_min": round(min(times), 4),
        "help_cpu_seconds_max": round(max(times), 4),
        "runs": runs,
        "goal_seconds": GOAL,
    }


def run(bench: Bench) -> Figures:
    found = measure(3 if bench.quick else 9)
    bench.log(f"--help: {found}")
    took = found["help_cpu_seconds"]
    row = Row(
        19,
        "`voiceguide --help`: processor time of the whole command (user + system, median)",
        f"{took:.3f} s (runs from {found['help_cpu_seconds_min']:.3f} to {found['help_cpu_seconds_max']:.3f} s)",
        f"≤ {GOAL} s",
        took <= GOAL,
    )
    return Figures([row])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="how many runs the median is taken over")
    figures = measure(parser.parse_args().runs)
    print(json.dumps(figures, indent=1))
    verdict = "meets" if figures["help_cpu_seconds"] <= GOAL else "misses"
    print(f"voiceguide --help: {figures['help_cpu_seconds']:.3f} CPU s (median), {verdict} the goal of {GOAL} s")


if __name__ == "__main__":
    main()
