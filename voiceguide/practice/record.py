"""What a ``play`` adds to the history.

``Recorder.start`` is called before the sound starts and ``finish`` after the player stops,
however it stopped (the end, ``q``, Ctrl-C). A session that was not finished is recorded
when more than ``MIN_HEARD`` seconds were heard. The history never stops a session: when it
cannot be written, the recorder warns once and the session plays on.

From the player it needs what it heard, where it stopped and what was skipped: the caller
passes them to ``heard_from``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from voiceguide.errors import VoiceguideError
from voiceguide.practice import history, home, sessions
from voiceguide.script import Session

MIN_HEARD = 30.0  # seconds
END_SLACK = 1.0  # seconds short of the end that still count as the end


@dataclass(frozen=True)
class Heard:
    """What the player reports when it stops: seconds heard, whether it reached the end, and
    the titles of the sections skipped."""

    seconds: float
    finished: bool
    length: float | None = None  # seconds in the whole session, when known
    skipped: tuple[str, ...] = ()


def heard_from(
    played: float, position: float, length: float | None, ended: bool, quit: bool, skipped: Sequence[str] = ()
) -> Heard:
    """What the player reports when it stopped: the seconds of the session the listener heard
    (pauses and skipped stretches left out, what was replayed counted again), where it stopped
    and the session's length (seconds), whether it ``ended`` by itself or was ``quit``, and the
    sections skipped with "next". It finished when it ended, at the end, without a quit."""
    reached = length is None or position >= length - END_SLACK
    return Heard(max(0.0, played), ended and reached and not quit, length, tuple(skipped))


@dataclass
class Recorder:
    session: str
    title: str
    areas: tuple[str, ...]
    warn: Callable[[str], None]
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    warned: bool = False

    @classmethod
    def start(cls, session: Session | None, name: str, warn: Callable[[str], None]) -> Recorder:
        """Check the history can be written now, so a problem is said before the sound starts.
        A file (``session`` None) named after a session, as export names them, counts as it."""
        title, areas = (session.title, tuple(session.areas)) if session else (name, ())
        if session is None:
            try:
                about = sessions.facts(name)
                name, title, areas = about.name, about.title, about.areas
            except VoiceguideError:
                pass  # a file of its own: its name is all there is
        recorder = cls(session=session.name if session else name, title=title, areas=areas, warn=warn)
        try:
            with history.opened(home.history_path()):
                pass
        except Exception as exc:  # nothing about the history may stop a session
            recorder._warn(exc)
        return recorder

    def _warn(self, exc: BaseException) -> None:
        if not self.warned:
            self.warned = True
            self.warn(f"voiceguide: warning: this session will not be recorded in your history: {exc}")

    def finish(self, heard: Heard) -> bool:
        """Record the practice if it counts; True when it was recorded."""
        if not heard.finished and heard.seconds <= MIN_HEARD:
            return False
        practice = history.Practice(
            started=self.started,
            zone=home.local_zone(),
            session=self.session,
            title=self.title,
            heard=round(heard.seconds, 1),
            finished=heard.finished,
            source="play",
            length=round(heard.length, 1) if heard.length is not None else None,
            skipped=heard.skipped,
            areas=self.areas,
        )
        try:
            history.add(home.history_path(), practice)
        except Exception as exc:  # nothing about the history may stop a session
            self._warn(exc)
            return False
        return True
