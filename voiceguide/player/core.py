"""The player's core: what plays when, against a clock that tests can control.

The device plays the tape from the position it was started at; the core keeps the time
itself. ``handed`` is how far the device has been fed by now (time since start); what the
listener has heard lags that by the output's latency. Every change (pause, skip, quit)
fades the sound out on the tape just beyond what the device may already hold, lets the
device play through the fade, then stops it: no clicks. Resuming starts a little before
where the sound faded (``REWIND``), with a fade in, so no word is lost to the device's
buffering.

The core never sleeps and never reads keys: the loop around it (``run``) calls ``tick``
often and passes on the commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np

from voiceguide.player.output import Output
from voiceguide.player.sources import Section, Source
from voiceguide.player.tape import Tape
from voiceguide.sinks import to_pcm16
from voiceguide.sounds import cues

AHEAD = 1.5  # seconds of samples kept on the tape ahead of the device
FIRST = 0.25  # seconds on the tape before the device starts (the rest follows at once)
LOW_WATER = 0.4  # seconds: less than this ahead while the source is not ready means buffering
HOLDS = 0.25  # seconds the device may already hold beyond what it has been fed by the clock
FADE = 0.04  # seconds of fade at every stop and start
REWIND = 0.5  # seconds replayed on resume: never skip a word the device had not played yet
LATENCY = 0.15  # seconds from start to the first sample heard (an estimate for the position)
BACK_AGAIN = 2.5  # seconds: "back" pressed again this soon goes to the previous section
RESTART_GRACE = 3.0  # seconds into a section after which "back" restarts it
TAPE_SECONDS = 3600  # one tape holds an hour; a longer session moves to a new tape
BLOCK = 4096
VOLUME_STEP = 10


class Clock(Protocol):
    def now(self) -> float: ...


class WallClock:
    def now(self) -> float:
        return time.monotonic()


class State(Enum):
    PLAYING = "playing"
    STOPPING = "stopping"  # fading out; an action follows once the fade has played
    PAUSED = "paused"
    BUFFERING = "buffering"
    FINISHED = "finished"


@dataclass(frozen=True)
class Status:
    title: str
    section: str
    section_index: int
    sections: int
    position: float  # seconds
    length: float | None
    state: State
    volume: int


def volume_gain(volume: int) -> float:
    """A perceptual curve: 100 is unity, 50 is -12 dB, 0 is silence."""
    return (max(0, min(100, volume)) / 100.0) ** 2


class Player:
    def __init__(self, source: Source, output: Output, clock: Clock | None = None, volume: int = 100) -> None:
        self.source = source
        self.output = output
        self.clock = clock or WallClock()
        self.sr = source.sample_rate
        self.volume = max(0, min(100, volume))
        self.state = State.PAUSED
        self.tape: Tape | None = None
        self.started_at = 0.0
        self.started_pos = 0
        self.filled = 0  # the tape holds fresh samples from started_pos up to here
        self.paused_at = 0
        self.fade_end = 0
        self._then: Callable[[], None] | None = None
        self._back_pressed = -1e9
        self._gain_from: float | None = None  # a volume change ramps in from this gain

    # -- time ------------------------------------------------------------------------------

    def handed(self) -> int:
        """How far the device has been fed, by the clock."""
        return self.started_pos + int((self.clock.now() - self.started_at) * self.sr)

    def position(self) -> int:
        """What the listener has heard up to, in samples."""
        if self.state in (State.PLAYING, State.STOPPING):
            heard = self.started_pos + int((self.clock.now() - self.started_at - LATENCY) * self.sr)
            return max(self.started_pos, min(heard, self.fade_end if self.state is State.STOPPING else heard))
        return self.paused_at

    # -- starting and stopping ---------------------------------------------------------------

    def play(self, position: int = 0) -> None:
        """Start (or restart) the sound at ``position``, fading in."""
        length = self.source.length()
        if length is not None and position >= length:
            self.state = State.FINISHED
            return
        if self.source.ready_until() < min(position + int(LOW_WATER * self.sr), length or 1 << 62):
            self.paused_at = position
            self.state = State.BUFFERING
            return
        if self.tape is None or not self.tape.covers(position, int(AHEAD * self.sr) + BLOCK):
            if self.tape is not None:
                self.tape.close()
            self.tape = Tape(position, min(TAPE_SECONDS * self.sr, (length or 1 << 62) - position + self.sr))
        self.started_pos = position
        self.filled = position
        self._fill(fade_in=True)
        self.started_at = self.clock.now()
        self.output.start(self.tape.view(position), position)
        self.state = State.PLAYING

    def _stop_then(self, action: Callable[[], None]) -> None:
        """Fade out beyond what the device holds, let it play the fade, then ``action``."""
        if self.state is not State.PLAYING:
            self.output.stop()
            action()
            return
        assert self.tape is not None
        at = min(self.handed() + int(HOLDS * self.sr), self.filled)
        fade = int(FADE * self.sr)
        if at + fade > self.tape.end:
            at = self.tape.end - fade
        block = self.tape.read(at, fade).astype(np.float32) * np.linspace(1, 0, fade, dtype=np.float32)[:, None]
        self.tape.write(at, np.round(block).astype(np.int16))
        silent_until = min(self.tape.end, at + fade + int(AHEAD * self.sr))
        self.tape.write(at + fade, np.zeros((silent_until - at - fade, 2), np.int16))
        self.filled = at + fade
        self.fade_end = at + fade
        self.paused_at = at
        self._then = action
        self.state = State.STOPPING

    # -- commands ----------------------------------------------------------------------------

    def toggle_pause(self) -> None:
        if self.state is State.PLAYING:
            self.output.cue(_stereo16(cues.mark("pause")))
            self._stop_then(self._paused)
        elif self.state is State.PAUSED:
            self.output.cue(_stereo16(cues.mark("resume")))
            self.play(max(self._section_start(self.paused_at), self.paused_at - int(REWIND * self.sr)))

    def _paused(self) -> None:
        self.state = State.PAUSED

    def next_section(self) -> None:
        here = self.position()
        later = [s for s in self.source.sections() if s.start > here + int(0.5 * self.sr)]
        if later:
            self._jump(later[0].start)

    def previous_section(self) -> None:
        here = self.position()
        sections = self.source.sections()
        now = self.clock.now()
        current = max((i for i, s in enumerate(sections) if s.start <= here), default=0)
        again = now - self._back_pressed < BACK_AGAIN
        self._back_pressed = now
        into = here - sections[current].start if sections else 0
        if (again or into < RESTART_GRACE * self.sr) and current > 0:
            target = sections[current - 1].start
        else:
            target = sections[current].start if sections else 0
        self._jump(target)

    def _jump(self, target: int) -> None:
        if self.state in (State.PAUSED, State.BUFFERING):
            self.paused_at = target  # stays paused (or waits), and goes on from there
        elif self.state is State.STOPPING:
            self._then = lambda: self.play(target)
        elif self.state is State.PLAYING:
            self._stop_then(lambda: self.play(target))

    def change_volume(self, delta: int) -> None:
        new = max(0, min(100, self.volume + delta))
        if new == self.volume:
            return
        self._gain_from = volume_gain(self.volume)
        self.volume = new
        if self.state is State.PLAYING:
            # Samples the device may still read get the new volume: rewrite them from just
            # beyond what it holds, ramping from the old gain.
            self.filled = max(self.started_pos, min(self.filled, self.handed() + int(HOLDS * self.sr)))
            self._fill()

    def quit(self) -> None:
        if self.state is State.STOPPING:
            self._then = self._finished
        else:
            self._stop_then(self._finished)

    def _finished(self) -> None:
        self.state = State.FINISHED

    # -- the loop's heartbeat ----------------------------------------------------------------

    def tick(self) -> None:
        """Keep the tape filled ahead, finish fades, notice the end and slow sources."""
        failure = self.source.failure()
        if failure is not None:
            self.output.stop()
            raise failure
        if self.state is State.STOPPING:
            if self.handed() >= self.fade_end + int(0.02 * self.sr):
                self.output.stop()
                action, self._then = self._then, None
                self.state = State.PAUSED
                if action:
                    action()
            return
        if self.state is State.BUFFERING:
            length = self.source.length()
            need = min(self.paused_at + int(AHEAD * self.sr), length if length is not None else 1 << 62)
            if self.source.ready_until() >= need:
                self.play(self.paused_at)
            return
        if self.state is not State.PLAYING:
            return
        assert self.tape is not None
        length = self.source.length()
        handed = self.handed()
        if length is not None and handed >= length + int(LATENCY * self.sr):
            self.output.stop()
            self.state = State.FINISHED
            self.paused_at = length
            return
        self._fill()
        self.tape.release(handed - 10 * self.sr)
        end = length if length is not None else 1 << 62
        if self.filled < end and self.filled - handed < int(LOW_WATER * self.sr):
            # The source has not caught up (speech still being made): stop before the tape
            # runs dry, and carry on from there when it is ready.
            self._stop_then(self._buffering)
        elif self.filled >= self.tape.end and self.tape.end < end:
            self._stop_then(lambda: self.play(self.filled))  # move to a new tape (sessions over an hour)

    def _buffering(self) -> None:
        self.state = State.BUFFERING

    def _fill(self, fade_in: bool = False) -> None:
        """Render and write the tape ahead of the device, up to what the source has ready."""
        assert self.tape is not None
        front = self.started_pos if fade_in else self.handed()
        limit = min(self.source.ready_until(), self.tape.end, front + int((FIRST if fade_in else AHEAD) * self.sr))
        length = self.source.length()
        if length is not None:
            limit = min(limit, length)
        gain = volume_gain(self.volume)
        while self.filled < limit:
            count = min(BLOCK, limit - self.filled)
            block = self.source.render(self.filled, count) * np.float32(gain)
            if self._gain_from is not None:
                ramp = min(count, int(FADE * self.sr))
                shape = np.linspace(self._gain_from / gain if gain else 0.0, 1.0, ramp, dtype=np.float32)
                block[:ramp] *= shape[:, None]
                self._gain_from = None
            if fade_in and self.filled == self.started_pos:
                ramp = min(count, int(FADE * self.sr))
                block[:ramp] *= np.linspace(0, 1, ramp, dtype=np.float32)[:, None]
            self.tape.write(self.filled, np.frombuffer(to_pcm16(block), dtype=np.int16).reshape(-1, 2))
            self.filled += count

    # -- what the status line shows ------------------------------------------------------------

    def _section_start(self, position: int) -> int:
        starts = [s.start for s in self.source.sections() if s.start <= position]
        return starts[-1] if starts else 0

    def current_section(self) -> tuple[int, Section | None]:
        sections = self.source.sections()
        here = self.position()
        index = max((i for i, s in enumerate(sections) if s.start <= here), default=0)
        return index, (sections[index] if sections else None)

    def status(self) -> Status:
        index, section = self.current_section()
        length = self.source.length()
        return Status(
            title=self.source.title,
            section=section.title if section else "",
            section_index=index,
            sections=len(self.source.sections()),
            position=self.position() / self.sr,
            length=length / self.sr if length is not None else None,
            state=self.state,
            volume=self.volume,
        )


def _stereo16(mono: np.ndarray) -> np.ndarray:
    return np.frombuffer(to_pcm16(np.repeat(mono[:, None], 2, axis=1)), dtype=np.int16).reshape(-1, 2)
