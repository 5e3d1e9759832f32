"""The transport: what the device's callback hands over, and the log that turns the device's
clock back into a position in the session.

The player renders samples into a short queue on its own thread; the device's callback
takes them from the queue, block by block, at the device's pace. Every block handed over is
logged as "device frames D.. carry session samples S..", so when the output says how many
frames the listener has heard, the log says which session sample that was. Fades, the volume
ramp and the soft marks are applied here, in the callback, so they sound at once and exactly
where they are logged: a pause ends at a known sample, whatever the device's latency.

When the queue runs dry (the source is slow, or the machine is busy) the callback hands over
silence and the session does not move on: nothing is lost, the sound resumes where it stopped.
While the session waits for the listener (the equipment: "press space when you are ready"),
the player queues *held* blocks, music that does not move the session on: they sound like
any other, and the log keeps the session at the sample where it waits.
An output that takes frames well before the device plays them (simpleaudio's tape) asks for
``partial`` blocks: only what is queued, no silence, so it waits for the player as long as the
device still has sound, and an underrun happens only where the device would really run dry.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Piece:
    """Device frames ``[device, device + count)`` carried session samples ``[session, session + count)``."""

    device: int
    session: int
    count: int
    held: bool = False  # music while the session waits: the position stays at ``session``


class Transport:
    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._queue: deque[tuple[np.ndarray, bool]] = deque()  # (samples, held)
        self._head = 0  # offset into the first queued block
        self._next = 0  # the session sample the callback hands over next
        self._fill_at = 0  # the session sample the player appends next
        self.held_fill = 0  # frames of held music appended since the session began to wait
        self._playing = False
        self._fade_in = 0  # frames of fade-in still to apply
        self._fade_len = 1
        self._fade_out: int | None = None  # frames of fade-out still to hand over
        self._fade_out_len = 1
        self._gain = 1.0
        self._target_gain = 1.0
        self._marks: list[list[object]] = []  # [sound, frames already played]
        self._log: deque[Piece] = deque(maxlen=4096)
        self.handed = 0  # device frames handed over in all
        self.carried = 0  # of those, frames that carried the session (not silence)
        self.stopped_at: int | None = None  # where the last fade-out ended, in session samples
        self.faded_from: int | None = None  # and where it began: the next sample handed when it was asked for
        self.starved = False  # playing, but the queue ran dry at the last block
        self._since: int | None = None  # the device frame that carried the latest start's first sample

    # -- the player's side ------------------------------------------------------------------

    def start(self, position: int, fade: int) -> None:
        """Play from session sample ``position`` with a fade-in of ``fade`` frames; what was
        queued before is dropped."""
        with self._lock:
            self._queue.clear()
            self._head = 0
            self._next = self._fill_at = position
            self.held_fill = 0
            self._fade_in = self._fade_len = max(1, fade)
            self._fade_out = None
            self.stopped_at = None
            self.starved = False
            self._since = None
            self._playing = True

    def append(self, block: np.ndarray) -> None:
        """Queue float32 (n, 2) samples that follow the ones queued so far."""
        with self._lock:
            self._queue.append((block, False))
            self._fill_at += len(block)

    def append_held(self, block: np.ndarray) -> None:
        """Queue float32 (n, 2) samples heard while the session waits where it is (the music
        under a wait): the position stays put while they play."""
        with self._lock:
            self._queue.append((block, True))
            self.held_fill += len(block)

    @property
    def queued(self) -> int:
        """Frames queued and not yet handed over, held ones included."""
        with self._lock:
            return sum(len(block) for block, _held in self._queue) - self._head

    def fade_out(self, frames: int) -> None:
        """Fade out over the next ``frames`` frames handed over, then silence; ``stopped_at``
        then holds the session sample after the last one faded."""
        with self._lock:
            if self._playing and self._fade_out is None:
                self._fade_out = self._fade_out_len = max(1, frames)
                self.faded_from = self._next
            elif not self._playing and self.stopped_at is None:
                self.stopped_at = self.faded_from = self._next

    def trim(self, keep: int) -> None:
        """Drop what is queued beyond the next ``keep`` frames, so that the player renders it
        again (with a new level) and the change is heard within ``keep`` frames. Not during a fade-out."""
        with self._lock:
            if self._fade_out is not None:
                return
            drop = sum(len(block) for block, _held in self._queue) - self._head - keep
            while drop > 0 and self._queue:
                last, held = self._queue[-1]
                usable = len(last) - (self._head if len(self._queue) == 1 else 0)
                if usable <= drop:
                    self._queue.pop()
                    if not self._queue:
                        self._head = 0
                    cut = usable
                else:
                    self._queue[-1] = (last[: len(last) - drop], held)
                    cut = drop
                if held:
                    self.held_fill -= cut
                else:
                    self._fill_at -= cut
                drop -= cut

    def set_gain(self, gain: float) -> None:
        with self._lock:
            self._target_gain = gain

    def mark(self, sound: np.ndarray, duck: float = 1.0, ramp: int = 1) -> None:
        """Play a short float32 (n, 2) sound over whatever plays (the pause and resume marks).
        With ``duck`` below 1 the session is lowered to that gain while it sounds, going down over
        the sound's first ``ramp`` frames and back up over its last (the spoken "how long")."""
        with self._lock:
            self._marks.append([sound, 0, duck, max(1, min(ramp, len(sound) // 2))])

    @property
    def fill_at(self) -> int:
        return self._fill_at

    @property
    def next(self) -> int:
        """The session sample the device is handed next."""
        return self._next

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def marking(self) -> bool:
        """A mark (or a confirmation) is sounding, or about to."""
        return bool(self._marks)

    def session_at(self, device_frame: int) -> int | None:
        """The session sample the listener hears at ``device_frame``, or None before the
        first one. In silence after a piece (paused, or the queue ran dry) it is the
        sample after that piece's last."""
        with self._lock:
            for piece in reversed(self._log):
                if piece.device <= device_frame:
                    return piece.session + (0 if piece.held else min(device_frame - piece.device, piece.count))
        return None

    def heard_since_start(self, device_frame: int) -> int | None:
        """``session_at``, for what the latest ``start`` handed over only: None until the device
        plays its first frame (before it, the device still plays what came before the start: the
        tail of a fade-out, then silence)."""
        with self._lock:
            if self._since is None or device_frame < self._since:
                return None
        return self.session_at(device_frame)

    def carried_before(self, device_frame: int) -> int:
        """Session samples the device was handed before ``device_frame`` (the rest of ``carried``
        lies beyond it, still in the device or not yet heard)."""
        with self._lock:
            beyond = 0
            for piece in reversed(self._log):
                if piece.device + piece.count <= device_frame:
                    break
                if not piece.held:
                    beyond += piece.count - max(0, device_frame - piece.device)
            return self.carried - beyond

    # -- the device's side ------------------------------------------------------------------

    def fill(self, out: np.ndarray, partial: bool = False) -> int:
        """Called on the device's thread: write the next ``len(out)`` frames into ``out`` and
        return how many of them carried the session (or the music of a wait). With ``partial``, only those are handed
        over (the rest of ``out`` is not the device's): nothing while paused or while the queue
        is empty."""
        frames = len(out)
        out.fill(0.0)
        with self._lock:
            pieces = self._take(out, partial) if self._playing else []
            taken = sum(piece.count for piece in pieces)
            if partial:
                frames = taken
            for piece in pieces:
                self._log.append(Piece(self.handed + piece.device, piece.session, piece.count, piece.held))
                self.carried += 0 if piece.held else piece.count
            if pieces and self._since is None:
                self._since = self.handed + pieces[0].device
            if not partial:
                self.starved = self._playing and taken < frames
            self._duck(out[:frames])
            self._mix_marks(out[:frames])
            self.handed += frames
        return taken

    def _take(self, out: np.ndarray, partial: bool = False) -> list[Piece]:
        """Fill ``out`` from the queue; the pieces taken, their ``device`` counted from ``out``'s start."""
        want = len(out)
        if self._fade_out is not None:
            want = min(want, self._fade_out)
        taken = 0
        pieces: list[Piece] = []
        while taken < want and self._queue:
            block, held = self._queue[0]
            count = min(want - taken, len(block) - self._head)
            out[taken : taken + count] = block[self._head : self._head + count]
            if pieces and pieces[-1].held == held:
                last = pieces[-1]
                pieces[-1] = Piece(last.device, last.session, last.count + count, held)
            else:
                pieces.append(Piece(taken, self._next, count, held))
            if not held:
                self._next += count
            taken += count
            self._head += count
            if self._head == len(block):
                self._queue.popleft()
                self._head = 0
        if taken:
            self._shape(out[:taken])
        if self._fade_out is not None:
            self._fade_out -= taken
            # A dry queue ends the fade early only when the device needs the frames now.
            if self._fade_out <= 0 or (not self._queue and not partial):
                self._end_fade()
        return pieces

    def _shape(self, part: np.ndarray) -> None:
        """The fade-in, the fade-out and the volume ramp over ``part`` (in place)."""
        n = len(part)
        env = np.ones(n, dtype=np.float32)
        if self._fade_in > 0:
            done = self._fade_len - self._fade_in
            k = min(n, self._fade_in)
            env[:k] = (done + np.arange(1, k + 1, dtype=np.float32)) / self._fade_len
            self._fade_in -= k
        if self._fade_out is not None:
            left = self._fade_out
            env *= np.clip((left - np.arange(1, n + 1, dtype=np.float32)) / self._fade_out_len, 0.0, 1.0)
        if self._gain != self._target_gain:
            env *= np.linspace(self._gain, self._target_gain, n, dtype=np.float32)
            self._gain = self._target_gain
        elif self._gain != 1.0:
            env *= np.float32(self._gain)
        part *= env[:, None]

    def _end_fade(self) -> None:
        self._playing = False
        self._fade_out = None
        self.stopped_at = self._next
        self._queue.clear()
        self._head = 0

    def _duck(self, out: np.ndarray) -> None:
        """Lower the session under the marks that ask for it (before the marks are added)."""
        for sound, done, duck, ramp in self._marks:
            assert isinstance(sound, np.ndarray) and isinstance(done, int)
            assert isinstance(duck, float) and isinstance(ramp, int)
            if duck >= 1.0:
                continue
            at = done + np.arange(len(out))
            length = len(sound)
            weight = np.clip(np.minimum(at / ramp, (length - at) / ramp), 0.0, 1.0)
            out *= (1.0 - (1.0 - duck) * (0.5 - 0.5 * np.cos(np.pi * weight))).astype(np.float32)[:, None]

    def _mix_marks(self, out: np.ndarray) -> None:
        live = []
        for entry in self._marks:
            sound, done = entry[0], entry[1]
            assert isinstance(sound, np.ndarray) and isinstance(done, int)
            count = min(len(out), len(sound) - done)
            out[:count] += sound[done : done + count]
            entry[1] = done + count
            if done + count < len(sound):
                live.append(entry)
        self._marks = live
