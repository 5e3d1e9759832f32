"""Figures for a session composed on the spot, and for ``list``.

- ``list``: CPU seconds of the whole command (interpreter, imports, listing), with the script
  facts cached, for the library (27 scripts) and for a library of 100; and once with no cache.
- composing: CPU seconds of ``voiceguide compose`` (the whole command: everything ``play``
  does before it starts the speech), for 5, 10 and 30 minutes.
- composed lengths: how long sessions composed for 5, 10 and 30 minutes last (the render's
  fitting with speech estimated from word counts; the tests render one with the real voice).

Run alone: ``python -m bench.compose``; ``measure()`` gives the figures as a dict.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Bench, Figures, Row

REPO = Path(__file__).resolve().parent.parent
ROWS = (20, 21)
REQUESTS = (  # (areas, minutes, equipment)
    ("neck,shoulders", 5, "yoga mat"),
    ("neck,shoulders", 10, "tennis ball"),
    ("back", 30, "tennis ball,yoga mat,foam roller"),
)


def cpu_seconds(args: list[str], env: dict[str, str], cwd: Path) -> float:
    """CPU seconds (user and system) that one run of ``voiceguide ARGS`` takes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "voiceguide", *args], env=env, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_cpu(args: list[str], env: dict[str, str], cwd: Path, repeat: int) -> float:
    return round(statistics.median(cpu_seconds(args, env, cwd) for _ in range(repeat)), 3)


def hundred_scripts(folder: Path) -> Path:
    """A library of 100 techniques: the library's own, copied under new names."""
    own = sorted((REPO / "scripts").glob("*.yaml"))
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(100):
        source = own[n % len(own)]
        shutil.copy(source, folder / f"{source.stem}-{n // len(own) + 1}.yaml")
    return folder


def measure(repeat: int = 5) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="vg-bench-compose-") as temp:
        work = Path(temp)
        env = {**os.environ, "VOICEGUIDE_HOME": str(work / "home"), "VOICEGUIDE_CACHE_DIR": str(work / "cache")}
        env.pop("VOICEGUIDE_LIBRARY", None)
        cold = round(cpu_seconds(["list"], env, work), 3)
        listing = {"library": median_cpu(["list"], env, work, repeat), "library, no cache": cold}
        big = {
            **env,
            "VOICEGUIDE_LIBRARY": str(hundred_scripts(work / "hundred")),
            "VOICEGUIDE_CACHE_DIR": str(work / "c2"),
        }
        cpu_seconds(["list"], big, work)  # fills the cache
        listing["100 scripts"] = median_cpu(["list"], big, work, repeat)
        cpu_seconds(["list"], env, work)
        composing: dict[str, float] = {}
        lengths: dict[str, float] = {}
        for areas, minutes, equipment in REQUESTS:
            label = f"{areas}, {minutes} min"
            args = ["compose", "--areas", areas, "--minutes", str(minutes), "--equipment", equipment, "-o"]
            composing[label] = round(
                statistics.median(cpu_seconds([*args, f"c{n}.yaml", "--force"], env, work) for n in range(repeat)),
                3,
            )
            lengths[label] = composed_length(areas, minutes, equipment, env)
    return {"list cpu s": listing, "compose cpu s": composing, "composed length s": lengths}


def composed_length(areas: str, minutes: int, equipment: str, env: dict[str, str]) -> float:
    """Seconds the session composed for the request lasts, composed in a process of its own (the
    composer reads its cache folder from the environment)."""
    code = (
        "import sys\n"
        "from voiceguide.practice.composer import compose, session_length\n"
        "areas, minutes, equipment = sys.argv[1], int(sys.argv[2]), tuple(sys.argv[3].split(','))\n"
        "print(session_length(compose(areas, minutes, equipment).session))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, areas, str(minutes), equipment],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return round(float(done.stdout), 1)


def run(bench: Bench) -> Figures:
    found = measure(2 if bench.quick else 5)
    bench.log(f"compose: {found}")
    listing, composing, lengths = found["list cpu s"], found["compose cpu s"], found["composed length s"]
    assert isinstance(listing, dict) and isinstance(composing, dict) and isinstance(lengths, dict)
    fits = {
        label: abs(seconds - 60 * int(label.split(", ")[-1].split()[0])) <= 30 for label, seconds in lengths.items()
    }
    return Figures(
        [
            Row(
                20,
                "`voiceguide list`: processor time of the whole command (user + system, median), script facts cached by content",
                f"27 scripts {listing['library']:.2f} s; 100 scripts {listing['100 scripts']:.2f} s; 27 scripts with no cache {listing['library, no cache']:.2f} s",
                "≤ 0.3 s with 27; ≤ 0.4 s with 100",
                listing["library"] <= 0.3 and listing["100 scripts"] <= 0.4,
            ),
            Row(
                21,
                "a session composed on the spot (`compose --areas … --minutes …`): processor time of the whole command, and the composed session's length",
                "; ".join(
                    f"{label}: {composing[label]:.2f} s, lasts {int(lengths[label] // 60)}:{int(lengths[label] % 60):02d}"
                    for label in composing
                ),
                "≤ 0.5 s; the minutes asked ± 30 s",
                all(v <= 0.5 for v in composing.values()) and all(fits.values()),
            ),
        ]
    )


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
