"""A session that needs equipment waits for the listener in ``play``: the words say how to go
on, the music plays on while the position holds, and going on crosses the music over into the
session from where it waited. Exports keep the fixed pause.

The core is driven against a device whose pace the test sets (``support.device``), so what was
handed over is checked sample by sample; the wiring is checked on a real session's samples."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from voiceguide import library
from voiceguide.equipment import GO_ON, WAIT_HOLD, WAIT_SPAN, fetch_seconds
from voiceguide.player.core import CROSS, HOLD_GRACE, LEVEL_KEEP, Player
from voiceguide.player.status import State
from voiceguide.render import RenderOptions, live, prepare, settled_steps, speech_store
from voiceguide.sounds import cues
from voiceguide.speech_cache import SpeechCache

from .support.audio import rms_db
from .support.device import LATENCY, SR, Device, Signal, held_value, run_for, value
from .support.heard import assert_exact, first_mismatch, locate, said_breaks
from .support.pulse import Pulse, load_recording
from .support.terminal import play_on_terminal

WAIT = 5 * SR  # the sample where the signal's session waits
DEADLINE = 600.0  # seconds for the layout on a busy machine; the result never depends on it


def waiting_player() -> tuple[Player, Device]:
    device, source = Device(), Signal()
    source.waits = [WAIT]
    player = Player(source, device)
    player.play(0)
    return player, device


def test_the_session_holds_where_it_waits_with_the_music_playing_on() -> None:
    player, device = waiting_player()
    run_for(player, device, 30.0)
    out = device.output()
    np.testing.assert_allclose(out[SR:WAIT], value(np.arange(SR, WAIT)), atol=1e-6)
    np.testing.assert_allclose(out[WAIT:], held_value(np.arange(WAIT, len(out))), atol=1e-6)
    assert player.state is State.PLAYING
    assert player.position() == WAIT, "the session waits where it stopped, however long the music plays"
    assert player.held() and player.status().held
    assert player.played() * SR <= WAIT, "the music of a wait is not time spent in the session"


def test_going_on_crosses_the_music_into_the_session_from_where_it_waited() -> None:
    player, device = waiting_player()
    run_for(player, device, 20.0)
    handed = len(device.output())
    music_at = handed  # the wait's music began at WAIT, which was handed over at frame WAIT
    player.toggle_pause()  # space: goes on, it does not pause
    assert player.state is State.PLAYING and not player.held()
    run_for(player, device, 5.0)
    out = device.output()
    mark = cues.mark("resume")
    out[handed : handed + len(mark)] -= mark  # the soft resume mark confirms it
    keep, cross = int(LEVEL_KEEP * SR), int(CROSS * SR)
    kept = out[handed : handed + keep]
    np.testing.assert_allclose(kept, held_value(np.arange(music_at, music_at + keep)), atol=1e-6)
    over = out[handed + keep : handed + keep + cross]
    music = held_value(np.arange(music_at + keep, music_at + keep + cross))
    session = value(np.arange(WAIT, WAIT + cross))
    angle = 0.5 * np.pi * (np.arange(cross) + 0.5) / cross
    np.testing.assert_allclose(over, session * np.sin(angle) + music * np.cos(angle), atol=1e-6)
    after = out[handed + keep + cross :]
    np.testing.assert_allclose(after, value(np.arange(WAIT + cross, WAIT + cross + len(after))), atol=1e-6)
    assert player.position() == WAIT + cross + len(after) - LATENCY, "the session moves on from where it waited"


def test_a_wait_goes_on_only_while_it_is_heard_and_waits_again_after_going_back() -> None:
    player, device = waiting_player()
    run_for(player, device, 2.0)
    player.go_on()  # not at a wait: nothing happens
    run_for(player, device, 8.0)
    assert player.position() == WAIT, "the wait was still ahead, so it holds there"
    player.go_on()
    run_for(player, device, 3.0)
    assert player.position() > WAIT
    player.previous_section()  # back to the start of the part, before the wait
    run_for(player, device, 10.0)
    assert player.position() == WAIT, "back before a wait, it waits again"


def test_pause_stops_the_music_of_a_wait_and_resume_comes_back_to_it() -> None:
    player, device = waiting_player()
    run_for(player, device, 8.0)
    player.pause()  # a spoken "pause", or the media key's pause: a real pause
    run_for(player, device, 2.0)
    assert player.state is State.PAUSED
    quiet = len(device.output())
    run_for(player, device, 1.0)
    assert np.all(np.abs(device.output()[quiet:]) < 1e-6), "paused: silence, no music"
    player.resume()
    run_for(player, device, 5.0)
    assert player.state is State.PLAYING and player.position() == WAIT, "it still waits for the listener"


def test_play_waits_after_the_equipment_and_exports_keep_the_fixed_pause(tmp_path: Path, speech_cache: Path) -> None:
    script = tmp_path / "ball.yaml"
    script.write_text(
        "title: Ball under the foot\nequipment: [tennis ball]\nsteps:\n"
        "  - say: Roll the ball slowly under your foot.\n  - hold: 5s\n"
    )
    session = library.load(str(script))
    options = RenderOptions(wait="both")
    played = settled_steps(session, options, speech_store(options, SpeechCache(speech_cache)))
    exported = settled_steps(session, RenderOptions(), speech_store(RenderOptions(), SpeechCache(speech_cache)))
    said = [getattr(item, "text", "") for item in played.items]
    assert GO_ON["both"] in said
    assert [i.kind for i in played.items if hasattr(i, "kind")].count("wait") == 1
    assert not any(getattr(i, "kind", "") == "wait" for i in exported.items), "an export never waits"
    assert any(getattr(i, "kind", "") == "fetch" for i in exported.items)

    whole = prepare(session, options, SpeechCache(speech_cache))
    (span,) = [e for e in whole.timeline.events if e.kind == "wait"]
    assert span.length == round(WAIT_SPAN * SR)
    before = [e for e in whole.timeline.events if e.kind == "speech" and e.end <= span.start]
    assert before[-1].text == GO_ON["both"], "the last words before the wait say how to go on"
    # The music the player holds on from the wait is the session's own there, sample for sample:
    # the hold starts without a seam, whenever the listener goes on.
    at = span.start + int(WAIT_HOLD * SR)
    count = span.end - at - int(0.5 * SR)  # up to before the music ducks for the next words
    mixed = whole.mixer.mix(at, count)
    playing = live(session, options, SpeechCache(speech_cache))
    deadline = time.monotonic() + DEADLINE
    while playing.length() is None:
        assert playing.failure() is None, playing.failure()
        assert time.monotonic() < deadline, "laid out in time"
        playing.wait(0.1)
    assert playing.holds() == [at]
    np.testing.assert_allclose(playing.held(at, count), mixed, atol=1e-6)
    assert np.abs(mixed).max() > 1e-3, "music sounds under the wait"


BALL = """\
title: Ball roll
equipment: [tennis ball]
steps:
  - section: Roll
  - say: Roll the ball slowly under your foot.
  - hold: 3s
"""
HOLD_FOR = 10.0  # seconds the listener takes to fetch the ball: longer than any fixed pause for one thing


@pytest.mark.playback
def test_play_waits_with_its_music_until_space_and_goes_on_exactly(
    pulse: Pulse, tmp_path: Path, speech_cache: Path
) -> None:
    script = tmp_path / "ball-roll.yaml"
    script.write_text(BALL)
    session = library.load(str(script))
    whole = prepare(session, RenderOptions(wait="keys"), SpeechCache(speech_cache))  # what play plays
    render = whole.mixer.mix(0, whole.timeline.length)[:, 0]
    (span,) = [e for e in whole.timeline.events if e.kind == "wait"]
    hold = span.start + int(WAIT_HOLD * SR)

    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process, terminal = play_on_terminal(env, str(script))
        terminal.wait(lambda s: "space to go on" in s.line, "that it waits for the listener")
        grown = raw.stat().st_size + int(HOLD_FOR * SR) * 4  # the device's clock: 4 bytes a frame
        deadline = time.monotonic() + 120
        while raw.stat().st_size < grown:
            assert time.monotonic() < deadline and process.poll() is None, "the wait went on while recorded"
            time.sleep(0.05)
        terminal.press(b" ")
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    heard = load_recording(raw)[:, 0]

    offset = locate(heard, render, 0.5)
    assert first_mismatch(heard, render, offset, int(0.1 * SR)) > hold, "heard exactly up to the wait and into it"
    cross = int(CROSS * SR)
    later = locate(heard, render, (hold + cross) / SR + 0.25)
    # The status says so from HOLD_GRACE before the hold (space goes on from there); the recording
    # then grew by HOLD_FOR before the space.
    waited = (later - offset) / SR
    assert waited >= HOLD_FOR - HOLD_GRACE > fetch_seconds(1), f"it waited {waited:.1f} s for the listener"
    assert rms_db(heard[offset + hold : later + hold]) > -60, "with the music playing all along"
    # After the space, the rest of the session from where it waited, every sample.
    assert_exact(heard, render, later, hold + cross, said_breaks(err.decode()), "after the space: ")
