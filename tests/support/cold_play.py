"""`voiceguide play` over an empty speech cache, quit with q while its speech workers are at work.

Shared by tests/test_workers.py (nothing printed, no process left behind) and bench/cold_quit.py
(how soon the command exits after the key). The player runs on a pseudo-terminal, as a person
would run it; its standard error is read until the last process holding it (the command, or any
worker it started) has closed it, so a worker's late traceback is caught too.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .processes import descendants, poll, processes

SESSION = "childs-pose"


@dataclass(frozen=True)
class Quit:
    seconds: float  # from the key q to the command's exit
    returncode: int
    stderr: str  # the command's and its workers', until the last of them closed it
    workers: int  # speech workers alive when the key was pressed
    left: frozenset[int]  # processes of the command still alive 20 s after its exit


def speech_workers(pids: set[int]) -> set[int]:
    """Those of ``pids`` that are workers started by spawn (not the resource tracker)."""
    found = set()
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.add(pid)
    return found


def _keys_raw(master: int) -> bool:
    """Whether the player has taken the terminal's keys one by one (it is in its loop)."""
    try:
        return not termios.tcgetattr(master)[3] & termios.ICANON
    except termios.error:
        return False


def quit_during_synthesis(env: dict[str, str], work: Path, delay: float = 0.0) -> Quit:
    """Play ``SESSION`` with an empty speech cache in ``work``; once the player reads keys and two
    speech workers are there, and ``delay`` seconds later (to vary the moment: workers starting,
    loading the voice, speaking), press q."""
    env = {**env, "VOICEGUIDE_CACHE_DIR": str(work / "speech"), "VOICEGUIDE_HOME": str(work / "home")}
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "voiceguide", "play", SESSION]
    process = subprocess.Popen(command, env=env, stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    said: list[bytes] = []

    def drain() -> None:  # keep reading the status line so that the player never blocks on it
        try:
            while os.read(master, 4096):
                pass
        except OSError:
            pass

    def read_stderr() -> None:  # to the end: until every process holding it has closed it
        assert process.stderr is not None
        said.append(process.stderr.read())

    threading.Thread(target=drain, daemon=True).start()
    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    seen: set[int] = set()
    try:

        def started() -> bool:
            seen.update(descendants(process.pid))
            if process.poll() is not None:
                raise RuntimeError(f"play ended before q (exit {process.returncode})")
            return _keys_raw(master) and len(speech_workers(descendants(process.pid))) >= 2

        if not poll(started, 180):
            raise RuntimeError("play never started its speech workers")
        time.sleep(delay)  # only moves the moment of the key; every result below is measured
        seen.update(descendants(process.pid))
        working = len(speech_workers(seen))
        pressed = time.monotonic()
        os.write(master, b"q")
        process.wait(120)
        seconds = time.monotonic() - pressed
        reader.join(60)
        poll(lambda: not seen & set(processes()), 20, 0.1)
        return Quit(
            seconds,
            process.returncode,
            b"".join(said).decode(errors="replace"),
            working,
            frozenset(seen & set(processes())),
        )
    finally:
        for pid in (seen | descendants(process.pid)) & set(processes()):
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
