""" "How long": what the voice says and writes, and the session lowered 15 dB under it, in place."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from voiceguide.listen.commands import parse_command
from voiceguide.player import howlong
from voiceguide.player.status import State, Status
from voiceguide.player.transport import Transport
from voiceguide.render import RenderOptions, speech_store
from voiceguide.speech_cache import SpeechCache

from .support.audio import rms_db

SR = 44100


def status(position: float, length: float | None, index: int = 6, sections: int = 11) -> Status:
    return Status("Evening", "Low back", index, sections, position, length, State.PLAYING, 100, estimate=900.0)


@pytest.mark.parametrize(
    ("left", "said"),
    [(10, "less than a minute"), (44, "less than a minute"), (50, "about a minute"), (89, "about a minute"),
     (95, "about two minutes"), (359, "about six minutes"), (3600, "about sixty minutes")],
)  # fmt: skip
def test_the_time_left_is_rounded_to_the_minute_in_words(left: float, said: str) -> None:
    assert howlong.time_left(left) == said


def test_what_is_said_and_written() -> None:
    now = status(position=600.0, length=960.0)
    assert howlong.spoken(now) == "About six minutes left. This is part seven of eleven: low back."
    assert howlong.written(now) == "How long: about six minutes left, part 7 of 11: Low back"
    # The length still being estimated: the estimate; one part: no part named.
    assert howlong.spoken(status(position=870.0, length=None, index=0, sections=1)) == "Less than a minute left."
    assert parse_command("Voice guide, how long?") == "how long"


def test_the_session_goes_down_15_db_under_the_announcement_and_keeps_its_place() -> None:
    transport = Transport(SR)
    transport.start(0, 1)
    session = np.full((SR * 3, 2), 0.1, np.float32)
    transport.append(session)
    ramp = SR // 4
    transport.mark(np.zeros((SR, 2), np.float32), duck=10 ** (-15 / 20), ramp=ramp)
    out = np.zeros((SR * 2, 2), np.float32)
    carried = transport.fill(out)
    assert carried == len(out)  # every frame carried the session: nothing skipped, nothing held back
    assert transport.next == len(out)
    middle = out[ramp : SR - ramp, 0]
    assert rms_db(middle) - rms_db(session[:100, 0]) == pytest.approx(-15.0, abs=0.01)
    assert rms_db(out[SR:, 0]) == pytest.approx(rms_db(session[:100, 0]), abs=0.01)  # back up after it
    assert float(np.max(np.abs(np.diff(out[:, 0])))) < 0.001  # ramped, no step


def test_the_announcement_is_made_in_the_voice_on_a_thread(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "cache")  # empty: the sentence is made now, in a worker process
    announcer = howlong.Announcer(lambda: speech_store(RenderOptions(), cache, jobs=1, apart=True), SR)
    try:
        announcer.ask("Less than a minute left.")
        deadline = time.monotonic() + 120
        sound = announcer.ready()
        while sound is None and announcer.failure is None and time.monotonic() < deadline:
            time.sleep(0.05)
            sound = announcer.ready()
        assert announcer.failure is None and sound is not None
        lead = int(howlong.DUCK_RAMP * SR)
        assert sound.shape[1] == 2 and len(sound) > 2 * lead + SR // 2
        assert rms_db(sound[:lead, 0]) < -80 and rms_db(sound[lead:-lead, 0]) > -35  # speech between the ramps
        assert announcer.ready() is None  # handed over once
        store = announcer.store
        assert store is not None and store.synthesised == 1
        assert store.synth.voice()._voice is None, (
            "made in a worker: loading the model in the player's process stalls the device's feed"
        )
    finally:
        announcer.close()
