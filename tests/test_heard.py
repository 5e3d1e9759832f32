"""The recording checks themselves: a silence the device inserted is told apart from a sample
lost, repeated or changed, and a clean cut from sound let through after it (synthetic
recordings, so each case is known)."""

from __future__ import annotations

import numpy as np
import pytest

from .support.heard import SR, cut_at_the_end, ducked_cut, silences_inserted

START = 1000


@pytest.fixture
def render() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.round(rng.normal(0, 0.1, 6 * SR) * 32768) / 32768  # 16-bit samples, as recorded


def recorded(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(SR // 2), *parts, np.zeros(SR)])


def test_a_recording_of_the_whole_render_inserts_nothing(render: np.ndarray) -> None:
    assert silences_inserted(recorded(render), render, SR // 2, START) == []


def test_silences_where_the_device_ran_dry_are_found_with_their_length(render: np.ndarray) -> None:
    heard = recorded(render[: 2 * SR], np.zeros(882), render[2 * SR : 4 * SR], np.zeros(1764), render[4 * SR :])
    assert silences_inserted(heard, render, SR // 2, START) == [(2 * SR, 882), (4 * SR, 1764)]


@pytest.mark.parametrize("case", ["lost", "repeated", "changed", "short"])
def test_anything_but_an_inserted_silence_fails(render: np.ndarray, case: str) -> None:
    a, b = 2 * SR, 2 * SR + 882
    heard = {
        "lost": recorded(render[:a], render[b:]),
        "repeated": recorded(render[:b], render[a:]),
        "changed": recorded(render[:a], render[a:b] * 0.5, render[b:]),
        "short": np.concatenate([np.zeros(SR // 2), render[: 5 * SR]]),
    }[case]
    with pytest.raises(AssertionError):
        silences_inserted(heard, render, SR // 2, START)


def test_a_cut_is_found_at_its_sample_whatever_came_before(render: np.ndarray) -> None:
    cut = 3 * SR + 123
    faded = render[: 2 * SR] * np.linspace(1, 0, 2 * SR)  # a fade and a wait before: not its business
    heard = recorded(faded, np.zeros(9000), render[2 * SR : cut])
    assert cut_at_the_end(heard, render) == (SR // 2 + 9000, cut)


@pytest.mark.parametrize("case", ["faded", "something else", "changed"])
def test_anything_but_the_session_up_to_the_silence_fails(render: np.ndarray, case: str) -> None:
    a = 3 * SR
    heard = {
        "faded": recorded(render[:a], render[a : a + 1764] * np.linspace(1, 0, 1764)),
        "something else": recorded(render[:a], render[SR : SR + 4410]),  # sound let through after the cut
        "changed": recorded(render[: a - 4410], render[a - 4410 : a] * 0.9),
    }[case]
    with pytest.raises(AssertionError):
        cut_at_the_end(heard, render)


def ducking(render: np.ndarray, down: int, up: int | None, low: float = 0.1, ramp: float = 0.08) -> np.ndarray:
    """The render under a duck as the player's tap ramps it: from ``down`` toward ``low``, from
    ``up`` back toward 1, ``1 / (ramp * SR)`` a sample."""
    step = 1.0 / int(ramp * SR)
    gain = np.ones(len(render))
    for i in range(down, len(render)):
        target = 1.0 if up is not None and i >= up else low
        previous = gain[i - 1]
        gain[i] = min(previous + step, target) if target > previous else max(previous - step, target)
    return np.round(render * gain * 32768) / 32768


@pytest.mark.parametrize(("up", "starved"), [(None, False), (4 * SR + 77, False), (4 * SR + 77, True)])
def test_a_ducked_cut_is_found_with_where_the_duck_turned(render: np.ndarray, up: int | None, starved: bool) -> None:
    """Where the duck went down and came back, to the sample; a silence the device was handed for
    want of samples (``starved``) is not the session lost."""
    down, cut = 3 * SR + 500, 5 * SR + 321
    ducked = ducking(render, down, up)[:cut]
    gap = np.zeros(882 if starved else 0)
    heard = recorded(ducked[: 4 * SR], gap, ducked[4 * SR :])
    found = ducked_cut(heard, render, 0.1, 0.08, before=1.5)  # the duck went down before: found all the same
    assert (found.offset, found.cut) == (SR // 2, cut)
    assert found.turns == [(down, 0.1)] + ([] if up is None else [(up, 1.0)])
    assert found.lowest == pytest.approx(0.1, abs=1e-6)


@pytest.mark.parametrize("case", ["stepped", "other level", "sound after"])
def test_anything_but_the_session_under_a_ramped_duck_fails(render: np.ndarray, case: str) -> None:
    down, cut = 3 * SR, 5 * SR
    ducked = ducking(render, down, None)
    heard = {
        "stepped": recorded(render[:down], render[down:cut] * 0.1),  # a click: no ramp
        "other level": recorded(ducking(render, down, None, low=0.2)[:cut]),
        "sound after": recorded(ducked[:cut], render[SR : SR + 4410]),
    }[case]
    with pytest.raises(AssertionError):
        ducked_cut(heard, render, 0.1, 0.08, before=4.0)
