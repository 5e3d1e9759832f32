""" "How long": the voice says where the session is and what is left, over the session.

"About six minutes left. This is part seven of eleven: low back." It is spoken in the
session's own voice (a speech store of its own, on the session's voice and cache, so the
session's speech is never held up) or, for a file, in the default voice. The speech is made on
a thread: the player's loop asks ``ready()`` at each heartbeat and plays it when it is there,
over the session lowered by ``DUCK_DB`` (the transport's marks), and the session keeps its place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from voiceguide.player.sources import SessionSource, Source
from voiceguide.player.status import Status
from voiceguide.render import RenderOptions, speech_store
from voiceguide.speech import SpeechStore
from voiceguide.text import number_words, sentences

DUCK_DB = 15.0  # the session goes this far down while the voice says how long
DUCK_RAMP = 0.25  # seconds the session takes to go down before the voice, and to come back after
GAP = 0.25  # seconds between the two sentences


def time_left(seconds: float) -> str:
    """ "less than a minute", "about a minute", "about six minutes" (rounded to the minute)."""
    if seconds < 45:
        return "less than a minute"
    minutes = max(1, int(seconds / 60 + 0.5))
    return "about a minute" if minutes == 1 else f"about {number_words(minutes)} minutes"


def _left(status: Status) -> float | None:
    total = status.length if status.length is not None else status.estimate
    return None if total is None else max(0.0, total - status.position)


def spoken(status: Status) -> str:
    """What the voice says: "About six minutes left. This is part seven of eleven: low back." """
    left = _left(status)
    said = f"{time_left(left).capitalize()} left." if left is not None else ""
    if status.sections > 1 and status.section:
        part = f"part {number_words(status.section_index + 1)} of {number_words(status.sections)}"
        said += f" This is {part}: {_lower_first(status.section)}."
    return said.strip() or f"This is {status.title}."


def written(status: Status) -> str:
    """The plain line: "How long: about six minutes left, part 7 of 11: Low back"."""
    left = _left(status)
    line = "How long: " + (f"{time_left(left)} left" if left is not None else "not known yet")
    if status.sections > 1 and status.section:
        line += f", part {status.section_index + 1} of {status.sections}: {status.section}"
    return line


def _lower_first(title: str) -> str:
    """ "Low back" as said inside a sentence; "SI joint" stays as written."""
    return title[:1].lower() + title[1:] if title[:2] != title[:2].upper() else title


class Announcer:
    """Makes the announcement's samples on a thread: ``ask`` starts it (a second ask while one
    is being made is ignored); ``ready`` hands the finished (n, 2) float32 sound over once."""

    def __init__(self, make_store: Callable[[], SpeechStore], sample_rate: int) -> None:
        self._make_store = make_store
        self.store: SpeechStore | None = None  # made on the first announcement's thread
        self.sr = sample_rate
        self._done: np.ndarray | None = None
        self._busy = False
        self._lock = threading.Lock()
        self.failure: BaseException | None = None

    def ask(self, text: str) -> None:
        with self._lock:
            if self._busy:
                return
            self._busy = True
        threading.Thread(target=self._make, args=(text,), name="voiceguide-how-long", daemon=True).start()

    def _make(self, text: str) -> None:
        try:
            if self.store is None:
                self.store = self._make_store()
            store, parts = self.store, sentences(text)
            store.ensure(parts)
            gap = np.zeros(int(GAP * self.sr), np.float32)
            pieces = [p for s in parts for p in (store.clip(s), gap)][:-1]
            lead = np.zeros(int(DUCK_RAMP * self.sr), np.float32)
            mono = np.concatenate([lead, *pieces, lead])
            sound = np.ascontiguousarray(np.repeat(mono[:, None], 2, axis=1), dtype=np.float32)
        except Exception as exc:  # the session plays on; the loop reports it
            with self._lock:
                self.failure, self._busy = exc, False
            return
        with self._lock:
            self._done, self._busy = sound, False

    def ready(self) -> np.ndarray | None:
        with self._lock:
            sound, self._done = self._done, None
        return sound

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def announcer_for(source: Source) -> Announcer:
    """A session speaks in its own voice (and cache); a file in the default voice."""
    if isinstance(source, SessionSource):
        own = source.live.store
        return Announcer(lambda: SpeechStore(own.spec, own.cache, jobs=1, apart=True), source.sample_rate)
    return Announcer(lambda: speech_store(RenderOptions(), jobs=1, apart=True), source.sample_rate)
