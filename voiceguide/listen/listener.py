"""The listener: microphone → speech detector → recogniser → command, on a thread of its own.

    listener = Listener(WhisperRecogniser(), on_command=events.put, muted=player.speaking)
    listener.start()      # raises ListenError at once when there is no microphone
    ...
    listener.stop()

It never raises into its caller once started: a failure (the recogniser breaks, the microphone goes
away) stops listening and is reported once through ``on_error``; the session goes on without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voiceguide.errors import VoiceguideError
from voiceguide.listen.commands import only_wake_words, parse_command
from voiceguide.listen.detector import RATE, Detector, Segment
from voiceguide.listen.microphone import Microphone, Source
from voiceguide.listen.recogniser import Recogniser

JOIN = 1.0  # seconds: wake words heard alone join the speech that follows this soon ("voice guide, ... pause")
TAIL = 0.6  # seconds the microphone stays ignored after the session's voice stops: room echo and latency
ONSET = 0.3  # seconds the speech probability must hold before the session is ducked
TALKER_DB = 6.0  # at most this much taken away by the echo canceller: what is heard is not the echo
STALE = 0.5  # seconds: speech heard this long after it was captured is no longer being said over the session


class Ducking(Protocol):
    """What lowers the session while someone speaks over it (``Playback``)."""

    def duck(self) -> None: ...

    def restore(self) -> None: ...


@dataclass(frozen=True)
class Heard:
    """One candidate segment and what became of it. Times are seconds since listening began, in the
    stream's own samples; ``work`` is the wall seconds the recogniser took."""

    text: str
    command: str | None
    start: float
    end: float
    work: float


class Listener:
    """Listens on ``source`` (the default microphone when None) and calls ``on_command`` with one of
    "pause", "resume", "next", "back", "repeat", "louder", "softer", "quit" for each command heard.

    ``muted()`` is true while the session's own sound is playing at the device (its voice, and the
    confirmation sounds); it is asked once per 32 ms block, from the capture thread, so it must be
    quick and thread-safe. Blocks captured while it is true, and for ``tail`` seconds after, are
    never heard. Every callback runs on the listener's thread.

    ``ducking`` (the echo canceller's ``Playback``) lowers the session once the detector's speech
    probability has held for ``ONSET`` seconds on a sound the canceller took little of (a talker, not
    the echo), and restores it once that speech has been heard (after its command, if it was one).
    Speech the listener hears more than ``STALE`` seconds after it was captured (the source's
    ``behind``: it is catching up) is heard and obeyed, but never ducks: it is over by now.
    """

    def __init__(
        self,
        recogniser: Recogniser,
        on_command: Callable[[str], None],
        muted: Callable[[], bool],
        *,
        source: Source | None = None,
        on_heard: Callable[[Heard], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        tail: float = TAIL,
        ducking: Ducking | None = None,
    ) -> None:
        self.recogniser = recogniser
        self.on_command = on_command
        self.muted = muted
        self.source: Source = source if source is not None else Microphone()
        self.on_heard = on_heard
        self.on_error = on_error
        self.tail = int(tail * RATE)
        self.ducking = ducking
        self.ducked = False
        self.failure: str | None = None
        self.segments = 0  # candidate segments handed to the recogniser
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake: Segment | None = None  # the wake words, heard alone just before

    def start(self) -> None:
        """Open the source and start listening. Raises ListenError when the source cannot open."""
        detector = Detector()  # fails here, in the caller, when the detector's model is missing
        self.source.open(self.muted)
        self._thread = threading.Thread(target=self._run, args=(detector,), name="voiceguide-listen", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and wait (up to ``timeout`` seconds) for the thread to finish."""
        self._stopping.set()
        self.source.close()
        self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the listener to end (a feed ran out, or it failed); true when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, detector: Detector) -> None:
        try:
            load = getattr(self.recogniser, "load", None)
            if callable(load):
                load()
            ignore, voiced = 0, False
            for block, muted in self.source.blocks():
                if self._stopping.is_set():
                    break
                # Through the canceller, the session's voice leaves a little of itself that the
                # detector may take for speech; when the voice stops, that speech may run straight
                # into someone's command (Detector.voice_ended).
                speaking = bool(getattr(self.source, "speaking", False))
                if voiced and not speaking:
                    detector.voice_ended()
                voiced = speaking
                if muted:
                    ignore = self.tail
                if ignore > 0:
                    ignore -= len(block)
                    detector.skip(len(block))
                    continue
                for segment in detector.feed(block):
                    self._hear(segment)
                    if self._stopping.is_set():
                        break
                if self.ducking is not None:
                    self._duck(detector)
        except VoiceguideError as exc:
            self._fail(str(exc))
        except Exception as exc:  # nothing the listener does may reach the session
            self._fail(f"listening stopped: {type(exc).__name__}: {exc}")
        finally:
            if self.ducked and self.ducking is not None:
                self.ducking.restore()
            self.source.close()

    def _duck(self, detector: Detector) -> None:
        """Lower the session once someone clearly starts to speak over it; bring it back once what
        they said has been heard (a command was obeyed first) or was not a command after all."""
        assert self.ducking is not None
        if self.ducked:
            wake = self._wake  # "voice guide," heard alone: the command word is still to come
            waiting = wake is not None and detector.position - wake.end <= JOIN * RATE
            if not detector.in_speech and not waiting:
                self.ducking.restore()
                self.ducked = False
            return
        # The echo canceller takes much of the session's echo away, and nothing of a talker: speech
        # it took little of is someone speaking (the session's own words, left over, are not).
        taken = float(getattr(self.source, "taken", 0.0))
        behind = float(getattr(self.source, "behind", 0.0))  # the listener catching up (its model was loading)
        if detector.held >= ONSET * RATE and taken <= TALKER_DB and behind <= STALE:
            self.ducking.duck()
            self.ducked = True

    def _hear(self, segment: Segment) -> None:
        began = time.perf_counter()
        self.segments += 1
        text = self.recogniser.transcribe(segment.samples)
        command = parse_command(text)
        wake = self._wake
        if command is None and wake is not None and segment.start - wake.end <= JOIN * RATE:
            # A slow speaker's comma can split "voice guide, pause" in two: hear the two as one.
            gap = np.zeros(max(0, segment.start - wake.end), dtype=np.float32)
            joined = self.recogniser.transcribe(np.concatenate([wake.samples, gap, segment.samples]))
            if parse_command(joined) is not None:
                text, command = joined, parse_command(joined)
        self._wake = segment if only_wake_words(text) else None
        heard = Heard(text, command, segment.start / RATE, segment.end / RATE, time.perf_counter() - began)
        if self.on_heard is not None:
            self.on_heard(heard)
        if command is not None and not self._stopping.is_set():
            self.on_command(command)

    def _fail(self, message: str) -> None:
        if self.failure is None:
            self.failure = message
            if self.on_error is not None:
                try:
                    self.on_error(message)
                except Exception:  # the report itself failed; the failure is kept in ``failure``
                    pass
