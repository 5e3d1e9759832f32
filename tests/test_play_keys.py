"""The level keys and "how long" in ``play``, heard through the real sound path: after `m` the
session is heard exactly as a render at a music level 3 dB down, and after `t` the voice says
how long over the session turned down, which then goes on at the same place, every sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voiceguide import library
from voiceguide.render import RenderOptions, prepare
from voiceguide.script import Session
from voiceguide.speech_cache import SpeechCache

from .support.audio import rms_db
from .support.device import SR
from .support.heard import assert_exact, first_mismatch, locate, said_breaks
from .support.pulse import Pulse, load_recording
from .support.sessions import PLAYBACK_SCRIPT
from .support.terminal import play_on_terminal

SOFTER_AT = 2.0  # seconds into the session when `m` is pressed
HOW_LONG_AT = 7.0  # and `t`


def mixed(session: Session, speech_cache: Path, music_level: float) -> np.ndarray:
    whole = prepare(session, RenderOptions(music_level=music_level), SpeechCache(speech_cache))
    return whole.mixer.mix(0, whole.timeline.length)[:, 0]


@pytest.mark.playback
def test_music_softer_and_how_long_are_heard_and_the_session_keeps_its_place(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    script = tmp_path / "keys-test.yaml"
    script.write_text(PLAYBACK_SCRIPT)
    session = library.load(str(script))
    usual, softer = mixed(session, speech_cache, 0.0), mixed(session, speech_cache, -3.0)
    assert rms_db(usual - softer) > -80, "the music level makes a difference to compare"

    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, terminal = play_on_terminal(env, str(script))
        terminal.wait(lambda s: s.position >= SOFTER_AT, f"{SOFTER_AT:.0f} s played")
        terminal.press(b"m")
        terminal.wait(lambda s: "music -3 dB" in s.line, "the music 3 dB down")
        terminal.wait(lambda s: s.position >= HOW_LONG_AT, f"{HOW_LONG_AT:.0f} s played")
        terminal.press(b"t")
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    heard = load_recording(raw)[:, 0]

    offset = locate(heard, usual, 0.5)
    changed = first_mismatch(heard, usual, offset, int(0.1 * SR))
    assert SOFTER_AT * SR <= changed <= (HOW_LONG_AT - 1) * SR, f"heard as made until `m` ({changed / SR:.2f} s)"
    settled = changed + SR // 2  # the level's ramp is over
    spoken = first_mismatch(heard, softer, offset, settled)
    assert spoken >= HOW_LONG_AT * SR, f"after `m`, the session 3 dB softer in its music, exactly ({spoken / SR:.2f} s)"

    # "How long": the voice over the session turned down 15 dB, then the session at the same place.
    answer = heard[offset + spoken : offset + spoken + 2 * SR] - softer[spoken : spoken + 2 * SR]
    assert rms_db(answer) > -40, "a voice over the session"
    # After it, the session at the same place: every sample of the rest heard exactly, in order.
    # A device starved while the answer was made (a busy machine) may have inserted silence, and
    # the rest then comes that much later: nothing lost, nothing skipped (``silences_inserted``).
    after = spoken + 6 * SR  # the answer is over
    assert after < len(softer) - 10 * SR
    later = locate(heard, softer, after / SR)
    assert 0 <= later - offset <= SR // 2, f"the session went on {(later - offset) / SR:+.3f} s from its place"
    assert_exact(heard, softer, later, after, said_breaks(err.decode()), "the rest of the session: ")
