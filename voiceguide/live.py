"""A session turned into samples: the one wiring from settled steps to the mix.

``Live`` holds the speech store, the events as the layout gives them, the music and the
mixer over them. ``render.prepare`` lays it out in one go once every sentence exists (to
write a file); ``render.live`` lays it out on a thread of its own while the speech is made
in the order it is heard, so a player can start at once and mix any stretch the layout
already covers. Both mix through this one object, so what plays is what ``render`` writes,
sample for sample.
"""

from __future__ import annotations

import threading

import numpy as np

from voiceguide.equipment import WAIT_HOLD
from voiceguide.fit import estimated_lengths, steps_length
from voiceguide.mixer import EventIndex, Mixer
from voiceguide.samples import SAMPLE_RATE
from voiceguide.sounds.music import Music
from voiceguide.speech import SpeechStore
from voiceguide.steps import Mark, Steps
from voiceguide.text import sentences
from voiceguide.timeline import End, Event, Horizon, SectionMark, Timeline, layout

WARM_CLIPS = 6  # sentences whose clips ``warm`` prepares ahead of the mixer
RECALL = 60  # seconds ``instruction_before`` looks back


class Live:
    """The steps, laid out (at once or as the speech arrives) and mixed on demand. Every
    question it answers is about what is laid out so far; ``length`` is None until the end."""

    def __init__(
        self, steps: Steps, store: SpeechStore, music: Music, music_level: float = 0.0, cue_level: float = 0.0
    ) -> None:
        self.steps = steps
        self.store = store  # whoever owns the session shuts the store down with it
        self.title = steps.title
        self.sample_rate = SAMPLE_RATE
        self.section_total = sum(isinstance(item, Mark) for item in steps.items)
        self.heard_order = list(dict.fromkeys(s for phrase in steps.phrases() for s in sentences(phrase)))
        self._events: list[Event] = []
        self._index = EventIndex()
        self._sections: list[SectionMark] = []
        self._holds: list[int] = []  # where a player waits for the listener (see ``holds``)
        self._horizon = 0  # samples: every event starting before it is known
        self._length: int | None = None
        self._failure: BaseException | None = None
        self._lock = threading.Lock()
        self._grew = threading.Condition(self._lock)
        self.mixer = Mixer(self._index, store.clip, music, self.length, music_level=music_level, cue_level=cue_level)

    # -- laying out ----------------------------------------------------------------------

    def lay_out(self) -> None:
        """Lay the steps out here and now, waiting for each sentence's speech where it comes."""
        for part in layout(self.steps, self.store.length, self.store.spec.pace):
            with self._lock:
                if isinstance(part, Event):
                    self._events.append(part)
                    self._index.add(part)
                    if part.kind == "wait":
                        self._holds.append(part.start + int(WAIT_HOLD * SAMPLE_RATE))
                elif isinstance(part, SectionMark):
                    self._sections.append(part)
                elif isinstance(part, Horizon):
                    self._horizon = part.position
                elif isinstance(part, End):
                    self._length = part.length
                    self._horizon = part.length
                self._grew.notify_all()

    def start(self) -> None:
        """Make the speech in the order it is heard, and lay the session out as it arrives,
        each on a thread of its own; a failure of either is kept for ``failure``."""
        self.store.ensure_in_background(self.heard_order)
        threading.Thread(target=self._lay_out_reporting, name="voiceguide-layout", daemon=True).start()

    def _lay_out_reporting(self) -> None:
        try:
            self.lay_out()
        except BaseException as exc:  # reported by failure(); the player stops with its message
            with self._lock:
                self._failure = exc
                self._grew.notify_all()

    def warm(self) -> None:
        """Prepare the first clips for the mixer on a thread (importing what preparing them
        needs). A player calls it once its sound has started: sooner, those imports would
        hold up the first sound."""

        def run() -> None:
            try:
                for sentence in self.heard_order[:WARM_CLIPS]:
                    self.store.clip(sentence)
            except BaseException:  # the layout reports speech failures
                pass

        threading.Thread(target=run, name="voiceguide-warm", daemon=True).start()

    def wait(self, timeout: float) -> None:
        """Until the layout has grown (or failed), for ``timeout`` seconds at most."""
        with self._grew:
            self._grew.wait(timeout)

    # -- what is known so far ------------------------------------------------------------

    def estimated_length(self) -> int:
        """Samples in all, guessed from word counts before the speech exists."""
        pace = self.store.spec.pace
        return int(steps_length(self.steps, estimated_lengths(pace), pace) * SAMPLE_RATE)

    def length(self) -> int | None:
        """Samples in all, once laid out to the end."""
        return self._length

    def failure(self) -> BaseException | None:
        return self._failure

    def sections(self) -> list[SectionMark]:
        with self._lock:
            return list(self._sections)

    def ready_until(self) -> int:
        """Samples from the start that mix now exactly as they will in the whole session."""
        with self._lock:
            if self._length is not None:
                return self._length
            return self._index.mixable_until(self._horizon, self.mixer.attack, self.mixer.bridge)

    def speaking(self, position: int) -> bool:
        """Whether the session's voice sounds at sample ``position``."""
        with self._lock:
            return any(e.kind == "speech" for e in self._index.overlapping(position, position + 1))

    def holds(self) -> list[int]:
        """The samples where a player waits for the listener (each ``wait`` span, once its
        words are over and the music has come back up), as far as laid out."""
        with self._lock:
            return list(self._holds)

    def held(self, start: int, count: int) -> np.ndarray:
        """The music alone at its level, as under a wait, from its own sample ``start``: what
        plays while a player holds (it follows the session's music seamlessly at a hold)."""
        music = self.mixer.music.render(start, count)
        music *= self.mixer.music_gain(np.zeros(count))[:, None]
        return music

    def instruction_before(self, position: int) -> int | None:
        """Where the last sentence spoken at or before ``position`` began (looking back
        ``RECALL`` seconds at most), if any."""
        with self._lock:
            spoken = self._index.overlapping(max(0, position - RECALL * SAMPLE_RATE), position + 1)
        starts = [e.start for e in spoken if e.kind == "speech" and e.start <= position]
        return max(starts) if starts else None

    def timeline(self) -> Timeline:
        """The whole session, once laid out to the end."""
        with self._lock:
            if self._length is None:
                raise ValueError("the session is not laid out to its end yet")
            steps = self.steps
            return Timeline(
                steps.name,
                steps.title,
                steps.audience,
                SAMPLE_RATE,
                self._length,
                tuple(self._events),
                tuple(self._sections),
            )

    # -- samples -------------------------------------------------------------------------

    def render(self, start: int, count: int) -> np.ndarray:
        """The finished samples ``[start, start + count)``, float32 (count, 2); exact where
        ``ready_until`` covers them."""
        return self.mixer.mix(start, count)
