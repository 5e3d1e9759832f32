"""What every group of figures shares: a row of BENCHMARKS.md, what a group returns, the run's
settings and folders (``Bench``), and the few ways a figure is timed (a median of repeats, a
voiceguide command, its peak memory, a session's length)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.audio import peak_rss_mb  # noqa: E402

PY = sys.executable
SR = 44100
TINY = str(REPO / "bench" / "tiny-session.yaml")  # the session of every figure in quick mode


@dataclass
class Row:
    """One row of the table: its number, what it measures, the figure, the goal and whether it
    was met (None: reported only)."""

    number: int
    figure: str
    measured: str
    goal: str
    met: bool | None


@dataclass
class Figures:
    """What one group measured: its rows, and notes written from what it measured."""

    rows: list[Row]
    notes: list[str] = field(default_factory=list)


@dataclass
class Bench:
    """One run's settings: quick (tiny inputs), how many repeats, a scratch folder; the speech
    cache in it is shared by every group, so each sentence is synthesised once."""

    quick: bool
    repeat: int
    work: Path
    _seconds: float | None = None

    @property
    def cache(self) -> Path:
        return self.work / "cache"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "VOICEGUIDE_CACHE_DIR": str(self.cache)}

    @property
    def session(self) -> str:
        """The session of the export, mixing and memory figures."""
        return TINY if self.quick else "partner-massage"

    @property
    def long(self) -> str:
        """The long session of the memory figure."""
        return TINY if self.quick else str(REPO / "bench" / "long-session.yaml")

    def session_seconds(self) -> float:
        """The length of ``session``, rendered once a run."""
        if self._seconds is None:
            self._seconds = session_seconds(self.session, self.env, self.work)
        return self._seconds

    def log(self, text: str) -> None:
        print(text, flush=True)


def median_of(repeat: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    values = [measure() for _ in range(repeat)]
    return statistics.median(values), values


def voiceguide(*args: str, env: dict[str, str]) -> float:
    """Wall seconds of one voiceguide command."""
    started = time.perf_counter()
    done = subprocess.run([PY, "-m", "voiceguide", *args], env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"voiceguide {' '.join(args)} failed: {done.stderr}")
    return took


def peak_rss(args: list[str], env: dict[str, str]) -> float:
    """Peak resident memory of one voiceguide process, in MB (its own, not its ffmpeg's)."""
    return peak_rss_mb([PY, "-m", "voiceguide", *args], env)


def session_seconds(target: str, env: dict[str, str], folder: Path) -> float:
    cues = folder / "length.json"
    voiceguide(
        "render", target, "-o", str(folder / "length.wav"), "--cues", str(cues), "--music", "none", "--force", env=env
    )
    return float(json.loads(cues.read_text())["duration"])
