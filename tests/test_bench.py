"""`make bench` runs: the benchmark, on tiny inputs, produces every row. No speeds are asserted
here; the goals are checked by the benchmark itself and reported in BENCHMARKS.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .support import REPO


def test_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,  # a hang fails here; how long it takes is not asserted
    )
    if done.returncode != 0:  # in full: an assertion's message would be cut in the middle, where the cause is
        pytest.fail(f"bench/run.py --quick failed:\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-8000:]}")
    table = [line for line in out.read_text().splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert [int(line.split("|")[1]) for line in table] == list(range(1, 27))
    assert all(line.rstrip().endswith(("yes |", "**no** |", "reported |")) for line in table)
    assert "Machine:" in out.read_text()
