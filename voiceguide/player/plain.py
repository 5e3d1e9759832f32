"""What the player says in plain output, for a screen reader: a line for each event (the start,
each part, a pause, a resume, a change of volume, a command, the end), nothing redrawn."""

from __future__ import annotations

from typing import TextIO

from voiceguide.player.status import State, Status
from voiceguide.units import format_clock

COMMANDS = {
    "pause": "pause",
    "next": "next part",
    "previous": "back",
    "back": "back",
    "repeat": "repeat",
    "louder": "louder",
    "quieter": "softer",
    "softer": "softer",
    "quit": "quit",
    "resume": "resume",
    "continue": "continue",
    "how long": "how long",
    "music softer": "music softer",
    "music louder": "music louder",
    "cues softer": "cues softer",
    "cues louder": "cues louder",
}


def _of(status: Status) -> str:
    total = status.length if status.length is not None else status.estimate
    shown = format_clock(status.position)
    return f"{shown} of {'about ' if status.length is None else ''}{format_clock(total)}" if total else shown


class Lines:
    """Compares each status with the last one and writes a line for what changed."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.last: Status | None = None

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def command(self, action: str) -> None:
        if action in COMMANDS:
            self.write(f"Command: {COMMANDS[action]}")

    def update(self, status: Status) -> None:
        last = self.last
        if last is None:
            self.write(f"Playing {status.title}, {_of(status)}")
        if status.sections > 1 and (last is None or status.section_index != last.section_index):
            self.write(f"Part {status.section_index + 1} of {status.sections}: {status.section}, {_of(status)}")
        if last is not None:
            if status.state is State.PAUSED and last.state is not State.PAUSED:
                self.write(f"Paused at {_of(status)}")
            elif status.state is State.PLAYING and last.state is State.PAUSED:
                self.write(f"Resumed at {_of(status)}")
            if status.held and not last.held:
                self.write(f"Waiting for you at {_of(status)}: press space to go on")
            elif last.held and not status.held and status.state is State.PLAYING:
                self.write(f"Going on at {_of(status)}")
            if status.volume != last.volume:
                self.write(f"Volume {status.volume}")
            for stem, now, was in (
                ("Music", status.music_level, last.music_level),
                ("Cues", status.cue_level, last.cue_level),
            ):
                if now is not None and now != was:
                    self.write(f"{stem} {now:+.0f} dB")
        self.last = status

    def end(self, status: Status, quit: bool) -> None:
        if status.state is State.FINISHED and not quit:
            self.write(f"The end, {format_clock(status.position)}")
        else:
            self.write(f"Stopped at {_of(status)}")
