"""voiceguide's benchmarks: every performance goal measured, side by side with its floor.

    make bench                                    # every group; rewrites BENCHMARKS.md
    .venv/bin/python bench/run.py --only 7,8      # the groups of rows 7 and 8; every other row kept
    .venv/bin/python bench/run.py --quick --out /tmp/b.md   # tiny inputs, to check it works

Each comparison runs in this one process's session, repeated, and reports the median: the
machine is shared and noisy, so the ratios matter more than the seconds.

A group of figures is one module of bench/, named in GROUPS below in the order of its rows.
This file only runs the groups and writes BENCHMARKS.md. A group module has:

    ROWS: tuple[int, ...]              the numbers of the rows of BENCHMARKS.md it writes
    NOTES: list[str]                   (optional) notes that stand whatever it measures
    def run(bench: Bench) -> Figures   measures, and returns Figures(rows, notes): one Row for
                                       each number of ROWS, and notes written from the figures

``Bench`` (bench/common.py) holds the run's settings (``quick``, ``repeat``), a scratch folder
(``work``), a speech cache every group shares (``cache``, ``env``) and ``log``. To add a group,
write its module (for example a ``measure() -> dict`` of the raw figures, and a ``run`` that
turns them into rows, as bench/player.py does) and add its name to GROUPS.

The file's layout is a contract: a run rewrites only the rows it measured. Every other row of
the earlier file (in the same mode, quick or not) is kept, with the day it was measured, and a
group that fails keeps its earlier rows too (the run then exits 1). The file is written after
each group, so an interrupted run loses nothing it finished.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
if sys.path[0] == str(REPO / "bench"):  # run as a file: bench/ itself is no place to import from
    sys.path[0] = str(REPO)

from bench.common import Bench, Figures, Row  # noqa: E402

GROUPS = (
    "export_speed", "mixing", "memory", "first_sound", "timing", "synthesis", "player", "speech_rate",
    "intelligibility", "serve_first_byte", "serve_seeking", "listening", "alias_bomb", "startup", "compose",
    "cold_quit", "levels", "mpris", "echo", "wer",
)  # fmt: skip

SAME_NOTE = 42  # characters (with the leading "- ") that name what a note is about
QUICK = " (quick mode: tiny inputs)"

GENERAL_NOTES = [
    "What was changed to meet the goals: the music engine went from per-sample sines to overlap-added FFT chunks; the mixer's blocks grew to 32768 samples; true-peak checks run only near the ceiling, with the interpolation filter designed once; K-weighting runs as one second-order-section filter; scipy.signal and pyloudnorm are imported only when needed, and the music uses numpy's FFT, so `play` starts without them; each mood's level is a stored constant instead of a measurement at start-up. For figure 1, a py-spy profile showed the export's main process waiting on work the encoder did not need: the loudness meter now runs on a background thread, the K-weighting filter runs in float32, the encoder is fed float32 blocks straight from the mixer without a byte copy, the true-peak limit is one pass, and encoding starts as soon as the first block is mixed. For figures 5 and 8, what the player needs as it plays (resampling a sentence, its loudness, the true-peak guard, the breathing sound's filters) runs on numpy alone (`voiceguide/dsp.py`), so `play` never imports scipy (about a second, on the path of the first sentence); the device's buffer starts full of the session; PortAudio loads while the script is read; and `play` takes nice -10 from its first instruction.",
]


def groups() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"bench.{name}") for name in GROUPS}


def spans(numbers: list[int]) -> str:
    """[1, 2, 3, 4, 6, 7] -> '1 to 4, 6, 7'."""
    out: list[str] = []
    together: list[int] = []  # consecutive numbers
    for n in sorted(numbers) + [-1]:
        if together and n == together[-1] + 1:
            together.append(n)
            continue
        if together:
            out += [f"{together[0]} to {together[-1]}"] if len(together) >= 3 else [str(r) for r in together]
        together = [n]
    return ", ".join(out)


def numbers_in(text: str) -> list[int]:
    """'1 to 4, 6, 7' -> [1, 2, 3, 4, 6, 7]."""
    out: list[int] = []
    for part in text.split(","):
        ends = [int(n) for n in re.findall(r"\d+", part)]
        out += list(range(ends[0], ends[-1] + 1)) if ends else []
    return out


@dataclass
class Table:
    """BENCHMARKS.md's rows and notes: those measured now, and those kept from the earlier file."""

    quick: bool
    repeat: int
    measured: dict[int, Row] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # written from this run's figures
    kept: dict[int, str] = field(default_factory=dict)  # row number -> its line
    kept_dates: dict[int, str] = field(default_factory=dict)  # row number -> ISO day ('' unknown)
    kept_notes: list[str] = field(default_factory=list)

    def keep(self, previous: str) -> None:
        """The rows, their days and the notes of an earlier BENCHMARKS.md made in the same mode."""
        if (QUICK in previous.split("\n| #", 1)[0]) != self.quick:
            return
        table = [
            line for line in previous.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()
        ]
        self.kept = {int(line.split("|")[1]): line for line in table}
        self.kept_notes = [line for line in previous.split("## Notes", 1)[-1].splitlines() if line.startswith("- ")]
        day = re.search(r"Measured by `make bench` on (\d{4}-\d\d-\d\d)", previous)
        dated = next(
            (line for line in previous.splitlines() if re.match(r"Rows? [\d, to]+ w(?:as|ere) measured on", line)), ""
        )
        rest = "" if "the others earlier" in dated else (day[1] if day else "")
        self.kept_dates = dict.fromkeys(self.kept, rest)
        for part in dated.rstrip(".").split(";"):
            found = re.match(
                r"\s*(?:Rows? )?([\d, to]+?) (?:w(?:as|ere) measured )?on (this day|\d{4}-\d\d-\d\d)", part
            )
            if found:
                when = day[1] if found[2] == "this day" and day else found[2]
                self.kept_dates.update(dict.fromkeys(numbers_in(found[1]), when))

    def add(self, figures: Figures) -> None:
        self.measured.update({row.number: row for row in figures.rows})
        self.notes += figures.notes

    def dates(self) -> str:
        """'Rows 5, 8 were measured on this day; 1 to 4, 6, 7 on 2026-11-22; ...', or '' when all were."""
        today = date.today().isoformat()
        older = {n: self.kept_dates.get(n, "") for n in self.kept if n not in self.measured}
        this_day = [*self.measured, *(n for n, d in older.items() if d == today)]
        older = {n: d for n, d in older.items() if d != today}
        if not older:
            return ""
        one = len(this_day) == 1
        parts = [f"{'Row' if one else 'Rows'} {spans(this_day)} {'was' if one else 'were'} measured on this day"]
        for day in sorted({d for d in older.values() if d}):
            parts.append(f"{spans([n for n, d in older.items() if d == day])} on {day}")
        unknown = [n for n, d in older.items() if not d]
        return "; ".join(parts) + (", the others earlier." if unknown else ".")

    def markdown(self, static_notes: list[str]) -> str:
        versions = {
            name: metadata.version(name)
            for name in ("numpy", "scipy", "piper-tts", "onnxruntime", "pydub", "sounddevice", "simpleaudio-patched")
        }
        ffmpeg_version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
        lines = [
            "# Benchmarks",
            "",
            f"Measured by `make bench` on {date.today().isoformat()}{QUICK if self.quick else ''}.",
            f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, {ffmpeg_version};",
            "packages: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
            f"Each figure is the median of {self.repeat} runs (the slow naive baseline and the memory runs: {max(1, self.repeat - 1)}).",
            "",
            "| # | figure | measured | goal | met |",
            "|---|---|---|---|---|",
        ]
        if dated := self.dates():
            lines.insert(5, dated)
        for number in sorted(set(self.measured) | set(self.kept)):
            if number in self.measured:
                row = self.measured[number]
                met = "reported" if row.met is None else ("yes" if row.met else "**no**")
                lines.append(f"| {row.number} | {row.figure} | {row.measured} | {row.goal} | {met} |")
            else:
                lines.append(self.kept[number])
        # A note keeps its place; one written anew replaces the one with its opening words.
        fresh = [f"- {note}" for note in self.notes + static_notes]
        notes = []
        for note in self.kept_notes:
            same = next((n for n in fresh if n[:SAME_NOTE] == note[:SAME_NOTE]), None)
            notes.append(note if same is None else same)
        notes += [note for note in fresh if note not in notes]
        lines += ["", "## Notes", ""] + notes
        return "\n".join(lines) + "\n"


def chosen(only: list[str], modules: dict[str, ModuleType]) -> list[str]:
    """The groups named by ``--only``: by row number (``7,8``) or by name (``player``)."""
    if not only:
        return list(modules)
    wanted = {word for item in only for word in item.replace(",", " ").split()}
    unknown = wanted - set(modules) - {str(n) for m in modules.values() for n in m.ROWS}
    if unknown:
        raise SystemExit(f"bench/run.py: no such row or group: {', '.join(sorted(unknown))}")
    return [name for name, m in modules.items() if name in wanted or any(str(n) in wanted for n in m.ROWS)]


def main(argv: list[str] | None = None) -> int:
    modules = groups()
    listing = "; ".join(f"{name} ({', '.join(map(str, m.ROWS))})" for name, m in modules.items())
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="tiny inputs, one repetition: checks that the benchmark runs"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument(
        "--only", nargs="*", default=[], metavar="ROW|GROUP",
        help=f"measure only these rows (7,8) or groups; the other rows of --out are kept. Groups (rows): {listing}",
    )  # fmt: skip
    options = parser.parse_args(argv)
    names = chosen(options.only, modules)
    table = Table(options.quick, 1 if options.quick else options.repeat)
    if options.out.exists():
        table.keep(options.out.read_text(encoding="utf-8"))
    static = [note for m in modules.values() for note in getattr(m, "NOTES", [])] + GENERAL_NOTES
    failed = []
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-") as folder:
        bench = Bench(options.quick, table.repeat, Path(folder))
        for name in names:
            bench.log(f"== {name} (rows {', '.join(map(str, modules[name].ROWS))})")
            try:
                figures = modules[name].run(bench)
            except Exception:
                failed.append(name)
                bench.log(traceback.format_exc())
                continue
            missing = set(modules[name].ROWS) ^ {row.number for row in figures.rows}
            if missing:
                raise RuntimeError(f"bench/{name}.py wrote rows other than its ROWS: {sorted(missing)}")
            table.add(figures)
            options.out.write_text(table.markdown(static), encoding="utf-8")
    print(f"wrote {options.out}")
    if failed:
        print(f"failed, their earlier rows kept: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
