"""The player's core: what plays when, on the device's clock.

The device keeps the time. The core renders the session into the transport's short queue, a
block at a time, and the device's callback takes from it at the device's pace; the position
is the session sample the transport logged for the frame the output says was heard last. So a
stalled device, an underrun or a busy machine cannot make the player lose its place.

Every change (pause, skip) fades the sound out over the next frames the device takes, then
acts: the fade's last sample is exactly where the listener stops hearing the session, and a
resume starts a little before it (``REWIND``), with a fade in. Quitting cuts whatever the
device still holds, so the sound stops at once.

Where the session waits for the listener (``Source.holds``: after the equipment, "press space
when you are ready"), the core queues the music alone from that sample on, and the position
stays there until ``go_on``: then the music crosses over (``CROSS``) into the session from the
sample where it waited, so nothing said is missed and nothing clicks.

The core never sleeps and never reads keys: the loop around it (``run``) calls ``tick``
often and passes on the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from voiceguide import levels
from voiceguide.player.output import Fill, Output, Tapped
from voiceguide.player.sources import Section, Source
from voiceguide.player.status import Clock, State, Status, WallClock, volume_gain
from voiceguide.player.system import raise_priority, restore_priority
from voiceguide.player.transport import Transport
from voiceguide.sounds import cues

AHEAD = 1.0  # seconds of samples kept queued ahead of the device
FIRST = 0.25  # seconds queued before the device starts (the rest follows at once)
LOW_WATER = 0.4  # seconds: less than this queued while the source is not ready means buffering
FADE = 0.04  # seconds of fade at every stop and start
REWIND = 0.35  # seconds replayed on resume, so the listener finds the thread again
BACK_AGAIN = 2.5  # seconds: "back" pressed again this soon goes to the previous section
RESTART_GRACE = 3.0  # seconds into a section after which "back" restarts it
SWITCH = 0.001  # seconds: how long a thread may keep Python's lock while the device's callback waits
BLOCK = 4096
VOLUME_STEP = 10
LEVEL_KEEP = 0.12  # seconds still queued that a level change does not reach (the rest is made again)
CROSS = 1.0  # seconds over which the music of a wait crosses into the session when it goes on
DROPOUT_JOIN = 0.5  # seconds: the device running dry again this soon is the same break
HOLD_GRACE = 1.0  # seconds before a hold, once its words are over, from which space goes on


class Player:
    def __init__(
        self,
        source: Source,
        output: Output | Callable[[Fill], Output],
        clock: Clock | None = None,
        volume: int = 100,
    ) -> None:
        """``output`` is an output to open, or a function that opens one given the fill."""
        self.source = source
        self.clock = clock or WallClock()
        self.sr = source.sample_rate
        self.volume = max(0, min(100, volume))
        self.transport = Transport(self.sr)
        self.transport.set_gain(volume_gain(self.volume))
        self._opener = output
        self.output: Output | None = None
        self.state = State.PAUSED
        self.paused_at = 0
        self.quit_at: int | None = None  # the position heard when quit was asked
        self._then: Callable[[], None] | None = None
        self._back_pressed = -1e9
        self.skipped: list[str] = []  # titles of the sections skipped with "next"
        self._priority: tuple[int, int] | None = None
        self._switch = sys.getswitchinterval()
        self.holding: int | None = None  # the sample where the queue reached a wait and holds
        self._gone_on: set[int] = set()  # waits the listener has gone on from
        self.tap: Callable[[np.ndarray, float], None] | None = None  # a listener's, on the device (Tapped)

    # -- time ------------------------------------------------------------------------------

    def heard(self) -> int:
        """Device frames the listener has heard."""
        return self.output.heard() if self.output is not None else 0

    def played(self) -> float:
        """Seconds of the session the listener has heard, pauses and skipped stretches left out
        (what the device was handed, less what it still holds)."""
        return self.transport.carried_before(self.heard()) / self.sr

    def dropouts(self) -> list[int]:
        """The session samples where the sound broke up: the device ran dry there (a machine
        too busy to feed it in time), so silence came in, or the sound server skipped ahead."""
        frames = list(self.output.dropouts) if self.output is not None else []
        found = sorted({at for at in (self.transport.session_at(frame) for frame in frames) if at is not None})
        breaks: list[int] = []
        for at in found:  # late blocks one after another are one break
            if not breaks or at - breaks[-1] > DROPOUT_JOIN * self.sr:
                breaks.append(at)
        return breaks

    def position(self) -> int:
        """The session sample the listener hears now (after a jump, where it goes: never back)."""
        if self.state in (State.PLAYING, State.STOPPING):
            at = self.transport.heard_since_start(self.heard())
            return self.paused_at if at is None else at
        return self.paused_at

    # -- starting and stopping ---------------------------------------------------------------

    def _open(self) -> None:
        if self.output is not None:
            return
        # This thread feeds the device from now on. The threads that open with the device (its
        # callback, the sound server's client) share its priority; later ones do not.
        self._priority = raise_priority(inherited=True)
        # Hand Python's lock to the device's callback within a millisecond of its asking.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH)
        opener = self._opener
        try:
            if isinstance(opener, Output):
                opener.open(self.transport.fill)
                self.output = opener
            else:
                self.output = opener(self.transport.fill)
            if self.tap is not None and isinstance(self.output, Tapped):
                self.output.tap = self.tap
        finally:
            if self._priority is not None:
                raise_priority()

    def play(self, position: int = 0) -> None:
        """Start (or restart) the sound at ``position``, fading in."""
        length = self.source.length()
        if length is not None and position >= length:
            self.paused_at = length
            self.state = State.FINISHED
            return
        if self.source.ready_until() < min(position + int(LOW_WATER * self.sr), length or 1 << 62):
            self.paused_at = position
            self.state = State.BUFFERING
            return
        self.paused_at = position
        self.holding = None
        self.transport.start(position, int(FADE * self.sr))
        self._fill(FIRST)
        self.state = State.PLAYING
        self._open()
        self._fill(AHEAD)  # at once, while the device plays the first: a busy start cannot starve it

    def _stop_then(self, action: Callable[[], None]) -> None:
        """Fade out over the next frames the device takes, then ``action``."""
        if self.state is not State.PLAYING:
            action()
            return
        self.transport.fade_out(int(FADE * self.sr))
        self._then = action
        self.state = State.STOPPING

    # -- commands ----------------------------------------------------------------------------

    def toggle_pause(self) -> None:
        """Pause or resume; while the session waits for the listener, go on instead (space)."""
        if self.held():
            self.go_on()
        elif self.state is State.PLAYING:
            self.pause()
        elif self.state is State.PAUSED:
            self.resume()

    def pause(self) -> None:
        if self.state is State.PLAYING:
            self.transport.mark(_stereo(cues.mark("pause")))
            self._stop_then(self._paused)

    def resume(self) -> None:
        if self.state is State.PAUSED:
            self.transport.mark(_stereo(cues.mark("resume")))
            self.play(max(self._section_start(self.paused_at), self.paused_at - int(REWIND * self.sr)))

    def held(self) -> bool:
        """Whether the listener hears the session waiting for them now (or the music just before)."""
        at = self.holding
        return at is not None and self.state is State.PLAYING and self.position() >= at - int(HOLD_GRACE * self.sr)

    def go_on(self) -> None:
        """Leave the wait the session holds at: the music crosses over into the session from
        where it waited, within ``LEVEL_KEEP`` seconds. Nothing happens away from a wait."""
        at = self.holding
        if at is None or not self.held():
            return
        self.transport.mark(_stereo(cues.mark("resume")))
        self._gone_on.add(at)
        self.holding = None
        count = int(CROSS * self.sr)
        if self.source.ready_until() < at + count:  # what follows is not made yet: buffer, then go on
            self._stop_then(lambda: self.play(self.paused_at))
            return
        self.transport.trim(int(LEVEL_KEEP * self.sr))
        if self.transport.fill_at < at:  # the wait's music was not queued yet: the session goes on
            self._fill(AHEAD)
            return
        music = self.source.held(at + self.transport.held_fill, count)
        session = np.asarray(self.source.render(at, count), dtype=np.float32)
        angle = 0.5 * np.pi * (np.arange(count) + 0.5) / count
        rise, fall = np.sin(angle)[:, None], np.cos(angle)[:, None]  # equal power: the two do not correlate
        self.transport.append(np.ascontiguousarray(session * rise + music * fall, dtype=np.float32))
        self._fill(AHEAD)

    def _paused(self) -> None:
        self.state = State.PAUSED

    def next_section(self) -> None:
        here = self.position()
        later = [s for s in self.source.sections() if s.start > here + int(0.5 * self.sr)]
        if later:
            _, current = self.current_section()
            if current is not None:
                self.skipped.append(current.title)
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

    def restart_section(self) -> None:
        """Back to the start of the section that plays now."""
        self._jump(self._section_start(self.position()))

    def repeat_instruction(self) -> None:
        """Back to where the last instruction began, to hear it again."""
        start = self.source.instruction_before(self.position())
        if start is not None:
            self._jump(start)

    def speaking(self) -> bool:
        """Whether the session's own voice, or one of its marks, sounds at the device now. Quick
        and safe from any thread: a listener asks before it takes what it hears for a command."""
        if self.transport.marking:
            return True
        if self.state not in (State.PLAYING, State.STOPPING):
            return False
        return self.source.speaking(self.position())

    def _jump(self, target: int) -> None:
        self._gone_on = {at for at in self._gone_on if at < target}  # back before a wait: it waits again
        if self.state in (State.PAUSED, State.BUFFERING):
            self.paused_at = target  # stays paused (or waits), and goes on from there
        elif self.state is State.STOPPING:
            self._then = lambda: self.play(target)
        elif self.state is State.PLAYING:
            self._stop_then(lambda: self.play(target))

    def change_volume(self, delta: int) -> None:
        self.volume = max(0, min(100, self.volume + delta))
        self.transport.set_gain(volume_gain(self.volume))  # ramped within the device's next block

    def change_level(self, stem: str, delta: float) -> None:
        """Raise or lower the ``stem`` ("music" or "cues") by ``delta`` dB within
        ``levels.LEVEL_RANGE``; heard within ``LEVEL_KEEP`` seconds, ramped without a click."""
        now = self.source.level(stem)
        if now is None:
            return
        low, high = levels.LEVEL_RANGE
        self.source.set_level(stem, max(low, min(high, now + delta)))
        if self.state is State.PLAYING:
            self.transport.trim(int(LEVEL_KEEP * self.sr))
            self._fill(AHEAD)  # the music of a wait too

    def quit(self) -> None:
        """Stop at once: what the device still holds is dropped, so the sound ends now."""
        self.quit_at = self.position()
        self.paused_at = self.quit_at
        if self.output is not None:
            self.output.cut()
        self.state = State.FINISHED

    def close(self) -> None:
        """Let go of the device and the feeding thread's priority (before the end: cut at once)."""
        if self.output is not None:
            if self.state is not State.FINISHED:
                self.output.cut()
            self.output.close()
        restore_priority(self._priority)
        self._priority = None
        sys.setswitchinterval(self._switch)

    # -- the loop's heartbeat ----------------------------------------------------------------

    def tick(self) -> None:
        """Keep the queue filled ahead, act once fades are handed over, notice the end and
        slow sources."""
        failure = self.source.failure()
        if failure is not None:
            if self.output is not None:
                self.output.cut()
            raise failure
        if self.state is State.STOPPING:
            stopped = self.transport.stopped_at
            if stopped is not None:
                self.paused_at = stopped
                action, self._then = self._then or self._paused, None
                action()  # each sets the state: a jump is never seen paused for a moment
            return
        if self.state is State.BUFFERING:
            length = self.source.length()
            need = min(self.paused_at + int(AHEAD * self.sr), length if length is not None else 1 << 62)
            if self.source.ready_until() >= need:
                self.play(self.paused_at)
            return
        if self.state is not State.PLAYING:
            return
        length = self.source.length()
        if length is not None and self.transport.fill_at >= length and self.position() >= length:
            self.paused_at = length
            self.state = State.FINISHED
            return
        self._fill(AHEAD)
        end = length if length is not None else 1 << 62
        ahead = min(self.source.ready_until(), end) - self.transport.next
        if self.holding is None and self.transport.fill_at < end and ahead < int(LOW_WATER * self.sr):
            # The source has not caught up (speech still being made): fade out before the
            # queue runs dry, and carry on from there when it is ready. (A queue that is low
            # only because this machine is busy plays on: the device waits for it if it must.)
            self._stop_then(self._buffering)

    def _buffering(self) -> None:
        self.state = State.BUFFERING

    def _fill(self, ahead: float) -> None:
        """Render into the queue, up to ``ahead`` seconds beyond what the device has taken
        and as far as the source has ready; at a wait, the music alone from there on."""
        limit = min(self.source.ready_until(), self.transport.next + int(ahead * self.sr))
        length = self.source.length()
        if length is not None:
            limit = min(limit, length)
        fill_at = self.transport.fill_at
        wait = min((at for at in self.source.holds() if at >= fill_at and at not in self._gone_on), default=None)
        if wait is not None:
            limit = min(limit, wait)
        while self.transport.fill_at < limit:
            start = self.transport.fill_at
            count = min(BLOCK, limit - start)
            self.transport.append(np.ascontiguousarray(self.source.render(start, count), dtype=np.float32))
        if wait is not None and self.transport.fill_at == wait:
            self.holding = wait
            want = int(ahead * self.sr)
            while self.transport.queued < want:
                music = self.source.held(wait + self.transport.held_fill, BLOCK)
                self.transport.append_held(np.ascontiguousarray(music, dtype=np.float32))

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
            sections=max(len(self.source.sections()), self.source.section_total),
            position=self.position() / self.sr,
            length=length / self.sr if length is not None else None,
            state=self.state,
            volume=self.volume,
            waiting=self.state is State.BUFFERING or (self.state is State.PLAYING and self.transport.starved),
            estimate=self.source.estimated_length / self.sr if length is None else None,
            music_level=self.source.level("music"),
            cue_level=self.source.level("cues"),
            held=self.held(),
        )


def _stereo(mono: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(np.asarray(mono, dtype=np.float32)[:, None], 2, axis=1))
