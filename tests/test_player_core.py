"""The player's core against a controllable clock: position, pause, skip, volume, the end.

The source here is a synthetic signal whose every sample says where it came from, so the
tape can be checked sample by sample; the device is a recorder of start and stop calls.
"""

from __future__ import annotations

import numpy as np
import pytest

from voiceguide.player import core
from voiceguide.player.core import AHEAD, FADE, HOLDS, LATENCY, REWIND, Player, State
from voiceguide.player.sources import Section

SR = 44100


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t


class Signal:
    """Sample n holds (n mod 20000 - 10000) / 32768: the tape tells which sample it is."""

    title = "Signal"
    sample_rate = SR

    def __init__(self, seconds: float = 60.0, sections: tuple[float, ...] = (0.0, 10.0, 20.0, 40.0)) -> None:
        self._length = int(seconds * SR)
        self._sections = [Section(f"part {i + 1}", int(s * SR)) for i, s in enumerate(sections)]
        self.ready = self._length
        self.known = True

    def sections(self) -> list[Section]:
        return self._sections

    def length(self) -> int | None:
        return self._length if self.known else None

    def ready_until(self) -> int:
        return self.ready

    def render(self, start: int, count: int) -> np.ndarray:
        n = np.arange(start, start + count)
        value = ((n % 20000) - 10000) / 32768.0
        return np.repeat(value[:, None], 2, axis=1).astype(np.float32)

    def failure(self) -> BaseException | None:
        return None


class Device:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.log: list[tuple[str, float, int]] = []
        self.cues: list[int] = []
        self.data: memoryview | None = None

    def start(self, data: memoryview, position: int) -> None:
        self.data = data
        self.log.append(("start", self.clock.t, position))

    def stop(self) -> None:
        self.log.append(("stop", self.clock.t, -1))

    def busy(self) -> bool:
        return False

    def cue(self, sound: np.ndarray) -> None:
        self.cues.append(len(sound))

    def close(self) -> None:
        self.log.append(("close", self.clock.t, -1))


def expected(position: int) -> int:
    return position % 20000 - 10000


def run_for(player: Player, clock: Clock, seconds: float, step: float = 0.02) -> None:
    end = clock.t + seconds
    while clock.t < end and player.state is not State.FINISHED:
        clock.t += step
        player.tick()


@pytest.fixture
def setup() -> tuple[Player, Clock, Device, Signal]:
    clock = Clock()
    device = Device(clock)
    source = Signal()
    return Player(source, device, clock), clock, device, source


def test_plays_from_the_start_and_keeps_the_tape_ahead(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, device, _ = setup
    player.play(0)
    assert device.log == [("start", clock.t, 0)]
    run_for(player, clock, 5.0)
    assert abs(player.position() - int((5.0 - LATENCY) * SR)) <= SR // 50
    assert player.filled >= player.handed() + int((AHEAD - 0.1) * SR)
    tape = player.tape.read(int(FADE * SR), player.filled - int(FADE * SR))  # type: ignore[union-attr]
    assert np.array_equal(tape[:, 0], [expected(n) for n in range(int(FADE * SR), player.filled)])
    assert tape[0, 0] == expected(int(FADE * SR)) and np.all(tape[:, 0] == tape[:, 1])


def test_pause_fades_stops_and_resumes_a_little_earlier(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, device, _ = setup
    player.play(0)
    run_for(player, clock, 6.0)
    handed = player.handed()
    player.toggle_pause()
    assert player.state is State.STOPPING and len(device.cues) == 1
    fade_at = player.paused_at
    assert fade_at == handed + int(HOLDS * SR), "the fade lies beyond what the device may hold"
    faded = player.tape.read(fade_at, int(FADE * SR))[:, 0]  # type: ignore[union-attr]
    assert abs(faded[-1]) <= 1 and abs(faded[0]) == abs(expected(fade_at))
    assert np.all(player.tape.read(fade_at + int(FADE * SR), SR // 2) == 0)  # type: ignore[union-attr]
    run_for(player, clock, 1.0)
    assert player.state is State.PAUSED and device.log[-1][0] == "stop"
    stopped_at = device.log[-1][1]
    assert stopped_at - (clock.t - 1.0) >= HOLDS + FADE - 0.03, "stopped only after the fade had played"
    where = player.position()
    run_for(player, clock, 10.0)
    assert player.position() == where == fade_at
    player.toggle_pause()
    assert len(device.cues) == 2 and player.state is State.PLAYING
    kind, _, position = device.log[-1]
    assert kind == "start" and position == fade_at - int(REWIND * SR), "resumes a little before, never after"


def test_next_and_previous_sections(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, device, _ = setup
    player.play(0)
    run_for(player, clock, 3.0)
    player.next_section()
    run_for(player, clock, 1.0)
    assert device.log[-1] == ("start", device.log[-1][1], 10 * SR)
    assert player.current_section()[0] == 1
    run_for(player, clock, 5.0)  # five seconds into part 2: back restarts it
    player.previous_section()
    run_for(player, clock, 1.0)
    assert device.log[-1][2] == 10 * SR
    player.previous_section()  # pressed again soon: the part before
    run_for(player, clock, 1.0)
    assert device.log[-1][2] == 0
    player.next_section()
    run_for(player, clock, 1.0)
    player.next_section()
    run_for(player, clock, 1.0)
    assert device.log[-1][2] == 20 * SR


def test_skip_while_paused_stays_paused(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, device, _ = setup
    player.play(0)
    run_for(player, clock, 2.0)
    player.toggle_pause()
    run_for(player, clock, 1.0)
    player.next_section()
    assert player.state is State.PAUSED and player.position() == 10 * SR
    player.toggle_pause()
    assert device.log[-1][2] == 10 * SR, "never before the start of the section"


def test_volume_applies_to_what_the_device_has_not_read(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, _, _ = setup
    player.play(0)
    run_for(player, clock, 4.0)
    change = player.handed() + int(HOLDS * SR)
    player.change_volume(-50)
    assert player.volume == 50
    run_for(player, clock, 0.5)
    ramp = int(FADE * SR)
    later = np.arange(change + ramp, change + ramp + SR)
    got = player.tape.read(int(later[0]), len(later))[:, 0]  # type: ignore[union-attr]
    want = np.round(np.array([expected(int(n)) for n in later]) * 0.25)
    assert np.max(np.abs(got - want)) <= 1
    before = player.tape.read(change - SR // 2, SR // 2)[:, 0]  # type: ignore[union-attr]
    assert np.array_equal(before, [expected(n) for n in range(change - SR // 2, change)]), "what it holds is untouched"
    player.change_volume(+500)
    assert player.volume == 100


def test_the_end(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, device, source = setup
    player.play(55 * SR)
    run_for(player, clock, 10.0)
    assert player.state is State.FINISHED and device.log[-1][0] == "stop"
    assert player.position() == source.length()


def test_quit_fades_then_finishes(setup) -> None:  # type: ignore[no-untyped-def]
    player, clock, device, _ = setup
    player.play(0)
    run_for(player, clock, 2.0)
    player.quit()
    run_for(player, clock, 0.5)
    assert player.state is State.FINISHED and device.log[-1][0] == "stop"


def test_waits_for_a_slow_source_instead_of_playing_silence() -> None:
    clock = Clock()
    device = Device(clock)
    source = Signal()
    source.ready = 3 * SR
    source.known = False
    player = Player(source, device, clock)
    player.play(0)
    run_for(player, clock, 4.0)
    assert player.state is State.BUFFERING
    stopped = player.paused_at
    assert stopped <= 3 * SR and player.filled <= 3 * SR
    source.ready = 20 * SR
    run_for(player, clock, 0.2)
    assert player.state is State.PLAYING and device.log[-1] == ("start", device.log[-1][1], stopped)


def test_long_sessions_move_to_a_new_tape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "TAPE_SECONDS", 20)
    clock = Clock()
    device = Device(clock)
    player = Player(Signal(seconds=50), device, clock)
    player.play(0)
    run_for(player, clock, 30.0)
    starts = [entry[2] for entry in device.log if entry[0] == "start"]
    assert len(starts) == 2 and 15 * SR <= starts[1] <= 20 * SR
    assert player.tape is not None and player.tape.origin == starts[1]
