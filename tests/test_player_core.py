"""The player's core and its transport against a device whose pace the test sets.

The source is a synthetic signal whose every sample says where it came from, so what the
device was handed can be checked sample by sample. The device is a stand-in for a callback
stream: it calls the transport's ``fill`` block by block when the test advances it, keeps
everything it was handed, and hears each frame a fixed latency after it was handed over.
"""

from __future__ import annotations

import numpy as np
import pytest

from voiceguide.player.core import AHEAD, FADE, REWIND, Player
from voiceguide.player.status import State
from voiceguide.player.transport import Transport
from voiceguide.sounds import cues

from .support.device import BLOCK, LATENCY, SR, Device, Signal, run_for, value


@pytest.fixture
def setup() -> tuple[Player, Device, Signal]:
    device, source = Device(), Signal()
    return Player(source, device), device, source


def test_plays_every_sample_in_order_and_keeps_the_queue_ahead(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 5.0)
    out = device.output()
    fade = int(FADE * SR)
    np.testing.assert_allclose(out[fade:], value(np.arange(fade, len(out))), atol=1e-6)
    assert np.all(np.abs(out[:fade]) <= np.abs(value(np.arange(fade))) + 1e-6), "a fade in at the start"
    assert player.position() == len(out) - LATENCY, "the position is what the device has played"
    assert player.transport.fill_at - player.transport.next >= int((AHEAD - 0.1) * SR)


def test_pause_ends_at_a_known_sample_and_resumes_a_little_before_it(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 6.0)
    handed = len(device.output())
    heard_at_key = player.position()
    player.toggle_pause()
    assert player.state is State.STOPPING
    run_for(player, device, 1.0)
    assert player.state is State.PAUSED
    out = device.output()
    mark = cues.mark("pause")
    out[handed : handed + len(mark)] -= mark  # the soft pause mark sounds from the same block on
    fade = int(FADE * SR)
    faded = out[handed : handed + fade]
    np.testing.assert_allclose(
        faded, value(np.arange(handed, handed + fade)) * (fade - 1 - np.arange(fade)) / fade, atol=1e-6
    )
    assert player.paused_at == handed + fade, "the fade's end is where the session stopped"
    assert np.all(np.abs(out[handed + fade :]) < 1e-6), "then silence"
    assert 0 < player.paused_at - heard_at_key <= LATENCY + fade, "it stopped where the listener was"
    run_for(player, device, 5.0)
    assert player.position() == player.paused_at, "paused: the position holds"
    before, stopped = len(device.output()), player.paused_at
    player.toggle_pause()
    run_for(player, device, 1.0)
    resumed = device.output()[before:]
    start = stopped - int(REWIND * SR)
    # After the resume mark (0.36 s) the session plays on from ``start``, sample for sample.
    later = int(0.4 * SR)
    np.testing.assert_allclose(
        resumed[later : later + SR // 4], value(np.arange(start + later, start + later + SR // 4)), atol=1e-6
    )


def test_next_and_previous_sections(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 3.0)
    player.next_section()
    run_for(player, device, 1.0)
    assert player.current_section()[0] == 1 and player.skipped == ["part 1"]
    assert 10 * SR < player.position() < 11 * SR
    run_for(player, device, 5.0)  # five seconds into part 2: back restarts it
    player.previous_section()
    run_for(player, device, 0.5)
    assert 10 * SR < player.position() < int(10.5 * SR)
    player.previous_section()  # pressed again soon: the part before
    run_for(player, device, 0.5)
    assert player.position() < SR // 2
    player.next_section()
    run_for(player, device, 0.5)
    player.next_section()
    run_for(player, device, 0.5)
    assert 20 * SR < player.position() < int(20.5 * SR)


def test_skip_while_paused_stays_paused(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 2.0)
    player.toggle_pause()
    run_for(player, device, 1.0)
    player.next_section()
    assert player.state is State.PAUSED and player.position() == 10 * SR
    player.toggle_pause()
    assert player.transport.next == 10 * SR, "never before the start of the section"


def test_volume_ramps_within_the_next_block(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 4.0)
    at = len(device.output())
    player.change_volume(-50)
    assert player.volume == 50
    run_for(player, device, 0.5)
    out = device.output()
    ramp = out[at : at + BLOCK] / value(np.arange(at, at + BLOCK))
    assert abs(ramp[0] - 1.0) < 0.01 and abs(ramp[-1] - 0.25) < 0.01 and np.all(np.diff(ramp) <= 1e-6)
    np.testing.assert_allclose(out[at + BLOCK :], value(np.arange(at + BLOCK, len(out))) * 0.25, atol=1e-6)
    player.change_volume(+500)
    assert player.volume == 100


def test_the_end(setup) -> None:
    player, device, source = setup
    player.play(55 * SR)
    run_for(player, device, 10.0)
    assert player.state is State.FINISHED
    assert player.position() == source.length()
    out = device.output()
    assert np.count_nonzero(out) <= source.length() - 55 * SR, "nothing after the end"


def test_quit_cuts_at_once(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 2.0)
    heard = player.position()
    player.quit()
    assert player.state is State.FINISHED and device.cuts == 1 and player.quit_at == heard


def test_waits_for_a_slow_source_instead_of_playing_silence() -> None:
    device, source = Device(), Signal()
    source.ready = 3 * SR
    source.known = False
    player = Player(source, device)
    player.play(0)
    run_for(player, device, 4.0)
    assert player.state is State.BUFFERING and player.status().waiting
    stopped = player.paused_at
    assert stopped <= 3 * SR
    source.ready = 20 * SR
    run_for(player, device, 0.2)
    assert player.state is State.PLAYING and player.transport.next >= stopped
    out = device.output()
    played = out[np.flatnonzero(out)]
    assert len(played) >= stopped - 2 * int(FADE * SR), "nothing before the stop was skipped"


def test_an_underrun_is_silence_that_costs_nothing() -> None:
    """The device asks while the queue is empty (a busy machine): it gets silence, and the
    session goes on from the very sample it had reached."""
    transport = Transport(SR)
    transport.start(1000, 1)
    transport.append(np.ones((300, 2), np.float32))
    out = np.zeros((500, 2), np.float32)
    transport.fill(out)
    assert np.all(out[:300] == 1) and np.all(out[300:] == 0) and transport.starved
    assert transport.session_at(299) == 1299 and transport.session_at(450) == 1300
    transport.append(np.full((500, 2), 2, np.float32))
    transport.fill(out)
    assert np.all(out == 2) and not transport.starved
    assert transport.session_at(500) == 1300, "it goes on from where it stopped"
    assert transport.next == 1800


def test_a_partial_fill_hands_over_only_what_is_queued() -> None:
    """An output that writes far ahead of the device (simpleaudio's tape) takes what is ready
    and waits for the rest: no silence is handed over, so the session does not move on the
    device, and a fade under way is not cut short by a queue that is only momentarily dry."""
    transport = Transport(SR)
    transport.start(1000, 1)
    transport.append(np.ones((300, 2), np.float32))
    out = np.zeros((500, 2), np.float32)
    assert transport.fill(out, partial=True) == 300 and np.all(out[:300] == 1)
    assert transport.handed == 300 and not transport.starved
    assert transport.fill(out, partial=True) == 0 and transport.handed == 300, "an empty queue hands nothing"
    transport.append(np.full((500, 2), 2, np.float32))
    assert transport.fill(out, partial=True) == 500 and np.all(out == 2)
    assert transport.session_at(300) == 1300 and transport.handed == 800, "device frames and session in step"
    transport.fade_out(400)
    transport.append(np.full((100, 2), 3, np.float32))
    assert transport.fill(out, partial=True) == 100 and transport.playing, "the fade goes on once more is queued"
    transport.append(np.full((500, 2), 3, np.float32))
    assert transport.fill(out, partial=True) == 300 and not transport.playing
    assert transport.stopped_at == 1000 + 300 + 500 + 400 and out[299, 0] < out[0, 0]
    assert transport.fill(out, partial=True) == 0, "paused: nothing to hand over"
    assert transport.fill(out) == 0 and transport.handed == 1700, "the device, though, gets silence"


def test_played_leaves_out_pauses_and_skips(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 3.0)
    player.toggle_pause()
    run_for(player, device, 5.0)  # paused: nothing more is played
    player.toggle_pause()
    run_for(player, device, 2.0)
    player.next_section()  # from about 5 s into part 1 on to part 2, at 10 s
    run_for(player, device, 1.5)
    played = player.played()
    assert abs(played - 6.5) < 0.15, played
    assert player.skipped == ["part 1"]


def test_back_restarts_the_section_and_repeat_goes_to_the_last_instruction(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 16.0)  # part 2 began at 10 s; its instruction was at 11 s
    player.repeat_instruction()
    run_for(player, device, 0.5)
    assert 11 * SR <= player.position() < int(11.5 * SR)
    run_for(player, device, 5.0)
    player.restart_section()
    run_for(player, device, 0.5)
    assert 10 * SR <= player.position() < int(10.5 * SR)


def test_speaking_follows_the_voice_at_the_device_and_the_marks(setup) -> None:
    player, device, _ = setup
    player.play(0)
    run_for(player, device, 0.6)
    assert not player.speaking(), "music only"
    run_for(player, device, 1.2)  # heard: about 1.7 s, inside the voice
    assert player.speaking()
    run_for(player, device, 2.0)
    assert not player.speaking()
    player.toggle_pause()
    assert player.speaking(), "the pause mark sounds"
    run_for(player, device, 1.0)
    assert player.state is State.PAUSED and not player.speaking(), "paused: a listener can hear 'continue'"


def test_spoken_commands_are_events_like_keys(setup) -> None:
    from voiceguide.player.terminal import obey

    player, device, _ = setup
    player.play(0)
    run_for(player, device, 4.0)
    obey(player, "pause")
    run_for(player, device, 0.5)
    assert player.state is State.PAUSED
    obey(player, "pause")  # already paused: nothing
    assert player.state is State.PAUSED
    obey(player, "resume")
    run_for(player, device, 0.5)
    assert player.state is State.PLAYING
    obey(player, "louder")  # at 100 already; the confirmation still sounds
    assert player.transport.marking
    obey(player, "softer")
    assert player.volume == 90
    obey(player, "next")
    run_for(player, device, 0.5)
    assert player.current_section()[0] == 1
    obey(player, "quit")
    assert player.state is State.FINISHED


def test_the_status_line_knows_every_section_and_the_length_from_the_start() -> None:
    from voiceguide.player.terminal import status_line

    device, source = Device(), Signal()
    source.known = False
    source._sections = source._sections[:1]  # laid out so far: the first section only
    player = Player(source, device)
    player.play(0)
    run_for(player, device, 2.0)
    line = status_line(player.status(), 200)
    assert "1/4 part 1" in line and "/ ~1:05" in line, line
    source.known = True
    line = status_line(player.status(), 200)
    assert "/ 1:00" in line and "~" not in line, line


def test_where_the_device_ran_dry_is_said_in_session_samples(setup) -> None:
    """The device's dropouts (frames handed over just after it ran dry) become the session's
    samples there; dropouts close together are one break."""
    player, device, _ = setup
    player.play(2 * SR)
    run_for(player, device, 3.0)
    device.dropouts = [SR, SR + BLOCK, SR + 2 * BLOCK, 2 * SR]  # the first three: one stall
    assert player.dropouts() == [3 * SR, 4 * SR]


def test_the_breaks_are_said_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from voiceguide.cli.audio import said_dropouts

    said_dropouts([], SR)
    assert capsys.readouterr().err == ""
    said_dropouts([16 * SR, 35 * SR + 100, 41 * SR], SR)
    assert capsys.readouterr().err == (
        "The sound broke up 3 times (at 0:16, 0:35 and 0:41): the machine was too busy to keep the sound device fed.\n"
    )


@pytest.mark.parametrize("ready", [True, False], ids=["section-made", "section-still-being-made"])
def test_a_jump_is_seen_once_never_paused_and_never_back(setup, ready: bool) -> None:
    """What another thread (the media buttons on the bus) reads while "next" plays out, at every
    step and in the middle of the restart: the section moves on once, the state never says
    paused, and the position never goes back, also where the next section is not made yet."""
    player, device, source = setup
    player.play(0)
    run_for(player, device, 3.0)
    seen: list[tuple[State, int, int]] = []

    def look() -> None:
        status = player.status()
        seen.append((status.state, status.section_index, player.position()))

    start = player.transport.start

    def watched(position: int, fade: int) -> None:
        look()
        start(position, fade)
        look()

    player.transport.start = watched  # type: ignore[method-assign]
    if not ready:
        source.ready = 10 * SR  # the player waits for the section to come
    look()
    player.next_section()
    for step in range(100):
        if step == 20:
            source.ready = source.length()
        player.tick()
        look()
        device.advance(0.01)
        look()
    states = {state for state, _, _ in seen}
    assert State.PAUSED not in states and State.PLAYING in states, states
    assert (State.BUFFERING in states) is not ready, states
    sections = [index for _, index, _ in seen]
    assert sections == sorted(sections) and sections[0] == 0 and sections[-1] == 1, sections
    positions = [position for _, _, position in seen]
    assert positions == sorted(positions), "the position never goes back"
    assert positions[-1] > 10 * SR + SR // 2, "and the next section plays"
