"""The terminal around the player: keys in raw mode, a status line redrawn in place, and the
loop that drives the core. With no terminal it simply plays to the end."""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from typing import TextIO

import numpy as np

from voiceguide.levels import LEVEL_STEP
from voiceguide.player import howlong
from voiceguide.player.core import VOLUME_STEP, Player
from voiceguide.player.plain import Lines
from voiceguide.player.status import State, Status
from voiceguide.sounds.confirm import confirmation
from voiceguide.units import format_clock

TICK = 0.03  # seconds between heartbeats
STATUS_EVERY = 0.25  # seconds between redraws of the status line

KEYS = {
    " ": "pause",
    "n": "next",
    "\x1b[C": "next",
    "p": "previous",
    "\x1b[D": "previous",
    "+": "louder",
    "=": "louder",
    "-": "quieter",
    "_": "quieter",
    "m": "music softer",
    "M": "music louder",
    "c": "cues softer",
    "C": "cues louder",
    "t": "how long",
    "q": "quit",
    "Q": "quit",
    "?": "help",
    "h": "help",
}
HELP = """\
  space      pause or resume (where the session waits for you: go on)
  → or n     next section
  ← or p     back to the start of this section (twice: the one before)
  + / -      volume
  m / M      music softer / louder
  c / C      cues softer / louder
  t          how long: the voice says what is left and where you are
  q          quit
  ?          these keys"""


@contextlib.contextmanager
def raw_keys(stream: TextIO) -> Iterator[int]:
    """Put the terminal in cbreak mode (keys arrive one by one, no echo; Ctrl-C still
    interrupts) and always put it back, on any exit, including SIGTERM."""
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)

    def restore() -> None:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def on_term(signum: int, frame: object) -> None:
        restore()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    tty.setcbreak(fd)
    try:
        yield fd
    finally:
        restore()
        signal.signal(signal.SIGTERM, previous)


def read_keys(fd: int | None, timeout: float) -> list[str]:
    """Keys pressed within ``timeout`` seconds (arrow keys as their escape sequences)."""
    if fd is None:
        return []
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return []
    data = os.read(fd, 64).decode("utf-8", errors="ignore")
    keys: list[str] = []
    i = 0
    while i < len(data):
        if data[i] == "\x1b" and data[i + 1 : i + 2] == "[" and i + 2 < len(data):
            keys.append(data[i : i + 3])
            i += 3
        else:
            keys.append(data[i])
            i += 1
    return keys


def status_line(status: Status, width: int) -> str:
    marker = {State.PAUSED: "paused", State.BUFFERING: "waiting", State.STOPPING: "", State.FINISHED: "end"}.get(
        status.state, ""
    )
    if status.waiting and status.state is State.PLAYING:
        marker = "waiting"
    if status.held:
        marker = "ready? space to go on"
    where = ""
    if status.sections > 1 or (status.section and status.section != status.title):
        where = f"{status.section_index + 1}/{status.sections} {status.section}"
    clock = format_clock(status.position)
    if status.length is not None:
        clock += f" / {format_clock(status.length)}  -{format_clock(max(0.0, status.length - status.position))}"
    elif status.estimate is not None:  # the speech is still being made: the length as estimated
        clock += f" / ~{format_clock(status.estimate)}"
    parts = [status.title, where, clock, f"vol {status.volume}"]
    parts += [f"{stem} {db:+.0f} dB" for stem, db in (("music", status.music_level), ("cues", status.cue_level))
              if db is not None]  # fmt: skip
    parts += [f"[{marker}]"] if marker else []
    line = "  ".join(p for p in parts if p)
    return line[: max(10, width - 1)]


def run(
    player: Player,
    interactive: bool,
    out: TextIO = sys.stdout,
    keys_from: TextIO = sys.stdin,
    voice: queue.Queue[str] | None = None,
    listening: Callable[[], bool] = lambda: False,
    plain: bool = False,
) -> None:
    """Play to the end (or until quit). Keys and the status line only when ``interactive``.
    Spoken commands arrive on ``voice`` (one more source of events, like the keys); the status
    line says ``listening`` while ``listening()`` holds. ``plain``: a line for each event
    instead of the status line (see ``player.plain``), nothing redrawn."""
    lines = Lines(out) if plain else None
    announcer = howlong.announcer_for(player.source)
    stack = contextlib.ExitStack()
    stack.callback(announcer.close)
    with stack:
        fd = stack.enter_context(raw_keys(keys_from)) if interactive else None
        player.play(0)
        player.source.prepare_ahead()
        last_draw = -1.0
        try:
            while player.state is not State.FINISHED:
                for key in read_keys(fd, TICK) if fd is not None else []:
                    _dispatch(player, KEYS.get(key, ""), out, lines, announcer)
                if fd is None:
                    _sleep(TICK)
                while voice is not None and not voice.empty():
                    command = voice.get_nowait()
                    if lines is not None:
                        lines.command(command)
                    obey(player, command, announcer, lines)
                _announce(player, announcer)
                player.tick()
                now = player.clock.now()
                if lines is not None:
                    lines.update(player.status())
                elif interactive and now - last_draw >= STATUS_EVERY:
                    _draw(player, out, listening())
                    last_draw = now
        finally:
            player.close()
            if lines is not None:
                lines.end(player.status(), player.quit_at is not None)
            elif interactive:
                out.write("\r\x1b[K")
                out.flush()


def _dispatch(
    player: Player, action: str, out: TextIO, lines: Lines | None = None, announcer: howlong.Announcer | None = None
) -> None:
    if lines is not None and action != "help":
        lines.command(action)
    if action == "how long":
        how_long(player, announcer, lines)
    elif action == "pause":
        player.toggle_pause()
    elif action == "next":
        player.next_section()
    elif action == "previous":
        player.previous_section()
    elif action == "louder":
        player.change_volume(VOLUME_STEP)
    elif action == "quieter":
        player.change_volume(-VOLUME_STEP)
    elif action in LEVEL_ACTIONS:
        LEVEL_ACTIONS[action](player)
    elif action == "quit":
        player.quit()
    elif action == "help":
        out.write(("" if lines is not None else "\r\x1b[K") + HELP + "\n")
        out.flush()


def how_long(player: Player, announcer: howlong.Announcer | None, lines: Lines | None = None) -> None:
    """Have the voice say what is left and where the session is (when it is ready, over the
    session: ``_announce``); in plain output, write it too."""
    status = player.status()
    if lines is not None:
        lines.write(howlong.written(status))
    if announcer is not None:
        announcer.ask(howlong.spoken(status))


def _announce(player: Player, announcer: howlong.Announcer) -> None:
    sound = announcer.ready()
    if sound is not None:
        ramp = int(howlong.DUCK_RAMP * player.sr)
        player.transport.mark(sound, duck=10 ** (-howlong.DUCK_DB / 20), ramp=ramp)


def obey(player: Player, command: str, announcer: howlong.Announcer | None = None, lines: Lines | None = None) -> None:
    """A spoken command ("pause", "resume", "next", "back", "repeat", "louder", "softer",
    "how long", "quit"), each confirmed by its own soft sound (pause and resume by their usual
    marks; "how long" by the voice's answer)."""
    if command == "how long":
        how_long(player, announcer, lines)
    elif command == "pause":
        player.pause()
    elif command == "resume" and player.held():
        player.go_on()
    elif command == "resume":
        player.resume()
    elif command == "quit":
        player.quit()
    elif command in VOICE_ACTIONS:
        player.transport.mark(_stereo(confirmation(command.split()[-1])))  # "music softer" as "softer"
        VOICE_ACTIONS[command](player)


LEVEL_ACTIONS: dict[str, Callable[[Player], None]] = {
    "music softer": lambda player: player.change_level("music", -LEVEL_STEP),
    "music louder": lambda player: player.change_level("music", LEVEL_STEP),
    "cues softer": lambda player: player.change_level("cues", -LEVEL_STEP),
    "cues louder": lambda player: player.change_level("cues", LEVEL_STEP),
}
VOICE_ACTIONS: dict[str, Callable[[Player], None]] = {
    "next": Player.next_section,
    "back": Player.restart_section,
    "repeat": Player.repeat_instruction,
    "louder": lambda player: player.change_volume(VOLUME_STEP),
    "softer": lambda player: player.change_volume(-VOLUME_STEP),
    **LEVEL_ACTIONS,
}


def _stereo(mono: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(np.asarray(mono, dtype=np.float32)[:, None], 2, axis=1))


def _draw(player: Player, out: TextIO, listening: bool = False) -> None:
    width = os.get_terminal_size(out.fileno()).columns if out.isatty() else 80
    out.write("\r\x1b[K" + status_line(player.status(), width) + ("  [listening]" if listening else ""))
    out.flush()


def _sleep(seconds: float) -> None:
    select.select([], [], [], seconds)
