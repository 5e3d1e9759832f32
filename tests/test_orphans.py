"""A command killed with SIGKILL leaves no process behind: its workers notice their parent's
death and end within seconds, and so does the multiprocessing machinery around them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .support.processes import descendants, poll, processes


def alive(pids: set[int]) -> set[int]:
    return pids & set(processes())


def kill_when_working(command: list[str], env: dict[str, str]) -> None:
    """Start ``command``; once it has two processes working for it (speech workers, track
    workers, their manager), SIGKILL it, and expect every one of them gone within 20 s."""
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert poll(lambda: len(descendants(process.pid)) >= 2, 120), "the command never started its workers"
        workers = descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        left = alive(workers)
        assert poll(lambda: not alive(workers), 20), (
            f"still running 20 s after the kill: {sorted(alive(workers))} of {sorted(left)}"
        )
    finally:
        for pid in alive(descendants(process.pid)):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["synthesising", "exporting", "rendering"])
def test_sigkill_of_an_export_or_a_render_leaves_no_process_behind(
    tmp_path: Path, speech_cache: Path, moment: str
) -> None:
    """``synthesising``: an export over an empty speech cache, killed while two speech workers
    hold the voice model. ``exporting``: three tracks on two worker processes with their queue
    manager. ``rendering``: a render over an empty cache, its speech workers at work."""
    cache = speech_cache if moment == "exporting" else tmp_path / "empty-cache"
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(cache)}
    if moment == "rendering":
        command = [
            sys.executable,
            "-m",
            "voiceguide",
            "render",
            "partner-back-massage",
            "-o",
            str(tmp_path / "out.wav"),
        ]
    else:
        targets = (
            ["partner-back-massage"] if moment == "synthesising" else ["childs-pose", "hamstring-stretch", "spiky-ball"]
        )
        command = [sys.executable, "-m", "voiceguide", "export", *targets, "-o", str(tmp_path / "out"), "--jobs", "2"]
    kill_when_working(command, env)


@pytest.mark.slow
@pytest.mark.playback
def test_sigkill_of_play_leaves_no_process_behind(tmp_path: Path, pulse) -> None:
    """``play`` over an empty speech cache: the bell sounds while two speech workers make the rest."""
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(tmp_path / "empty-cache")}
    kill_when_working([sys.executable, "-m", "voiceguide", "play", "partner-back-massage"], env)
