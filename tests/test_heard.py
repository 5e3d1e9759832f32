"""The recording checks themselves: a silence the device inserted is told apart from a sample
lost, repeated or changed (synthetic recordings, so each case is known)."""

from __future__ import annotations

import numpy as np
import pytest

from .support.heard import SR, silences_inserted

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
