"""``voiceguide play`` on a pseudo-terminal: keys are written to it, and its status line is read
back, so a test presses a key once the player shows the state it waits for, never after a
fixed sleep (a stall would make two presses land in one tick, or a key come too early)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ERASE = "\r\x1b[K"  # how the player starts each drawing of its status line
CLOCK = re.compile(r"(?:^|  )(?:(\d+):)?(\d+):(\d\d)(?: / |  vol )")
SECTION = re.compile(r"  (\d+)/(\d+) ")


@dataclass(frozen=True)
class Status:
    """What one drawing of the status line says."""

    line: str
    position: float  # seconds, whole ones (the line shows m:ss)
    section: int | None  # 1 for the first, None when the line names none
    paused: bool


def parse(line: str) -> Status | None:
    clock = CLOCK.search(line)
    if clock is None or "vol " not in line:
        return None
    hours, minutes, seconds = (int(part or 0) for part in clock.groups())
    section = SECTION.search(line)
    return Status(line, hours * 3600 + minutes * 60 + seconds, int(section[1]) if section else None, "[paused]" in line)


class Terminal:
    """A pseudo-terminal wide enough for the whole status line, read as the player draws."""

    def __init__(self, columns: int = 200) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.text = ""
        self.lock = threading.Lock()

    def start(self, process: subprocess.Popen[bytes]) -> None:
        """Read what ``process`` (started on ``slave``) draws, so that it never blocks on it."""
        self.process = process
        os.close(self.slave)

        def read() -> None:
            with contextlib.suppress(OSError):
                while chunk := os.read(self.master, 4096):
                    with self.lock:
                        self.text = (self.text + chunk.decode(errors="replace"))[-8192:]

        threading.Thread(target=read, daemon=True).start()

    def status(self) -> Status | None:
        """The last whole drawing of the status line."""
        with self.lock:
            drawings = self.text.split(ERASE)
        for drawing in reversed(drawings):
            found = parse(drawing)
            if found is not None:
                return found
        return None

    def wait(self, condition: Callable[[Status], bool], what: str, timeout: float = 120.0) -> Status:
        """The first status that meets ``condition``; fails naming ``what`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status is not None and condition(status):
                return status
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"the player never showed {what}; its status line: {self.status()}")

    def press(self, key: bytes) -> None:
        os.write(self.master, key)


def play_on_terminal(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], Terminal]:
    """``voiceguide play ARGS`` on a fresh pseudo-terminal, its status line read as it draws."""
    terminal = Terminal()
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "play", *args],
        env=env,
        stdin=terminal.slave,
        stdout=terminal.slave,
        stderr=subprocess.PIPE,
    )
    terminal.start(process)
    return process, terminal
