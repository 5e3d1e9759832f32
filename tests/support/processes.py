"""The process table, read from /proc: what a command left running, without trusting it to say."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def processes() -> dict[int, int]:
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
    table = processes()
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def poll(condition: Callable[[], object], seconds: float, step: float = 0.02) -> bool:
    """Whether ``condition`` holds within ``seconds`` (asked every ``step``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
