"""A command killed with SIGKILL leaves no process behind: its workers notice their parent's
death and end within seconds, and so does the multiprocessing machinery around them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children() -> dict[int, int]:
    """pid -> parent pid, for every live (not zombie) process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            table[int(entry)] = int(fields[1])
    return table


def descendants(root: int) -> set[int]:
    table = _children()
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def poll(condition, seconds: float, step: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def alive(pids: set[int]) -> set[int]:
    return pids & set(_children())


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["synthesising", "exporting"])
def test_sigkill_of_an_export_leaves_no_process_behind(tmp_path: Path, speech_cache: Path, moment: str) -> None:
    """``synthesising``: an empty speech cache, killed while two speech workers hold the voice
    model. ``exporting``: three tracks on two worker processes with their queue manager."""
    cache = tmp_path / "empty-cache" if moment == "synthesising" else speech_cache
    targets = ["partner-back-massage"] if moment == "synthesising" else ["childs-pose", "hamstring-stretch", "spiky-ball"]
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "voiceguide", "export", *targets, "-o", str(tmp_path / "out"), "--jobs", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Wait for the workers to exist (two of them at least, with whatever they started).
        assert poll(lambda: len(descendants(process.pid)) >= 2, 120), "the export never started its workers"
        workers = descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        left = alive(workers)
        assert poll(lambda: not alive(workers), 20), f"still running 20 s after the kill: {sorted(alive(workers))} of {sorted(left)}"
    finally:
        for pid in alive(descendants(process.pid)):
            os.kill(pid, signal.SIGKILL)
