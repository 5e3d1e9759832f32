"""``render.live``, which the player plays, mixes the very samples ``render`` writes."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from voiceguide import library
from voiceguide.render import RenderOptions, live, prepare, render_file
from voiceguide.sinks import to_pcm16
from voiceguide.speech_cache import SpeechCache

from .support.audio import WavView

SCRIPT = """\
title: Live check
safety: Go gently.
steps:
  - section: Start
  - say: Sit tall. Let your shoulders drop.
  - hold: 6s
    countdown: 3s
  - section: Finish
  - chime: soft
  - say: Slowly let go.
"""
BLOCK = 5000  # samples: not the renderer's block, so the two cut the session differently
DEADLINE = 600.0  # seconds for the speech to be made on a busy machine; the result never depends on it


def test_live_block_by_block_is_what_render_writes(tmp_path: Path) -> None:
    script = tmp_path / "live-check.yaml"
    script.write_text(SCRIPT)
    session = library.load(str(script))
    cache = tmp_path / "cache"  # empty: every sentence is made in the background while mixing
    playing = live(session, RenderOptions(), SpeechCache(cache))
    blocks: list[np.ndarray] = []
    at = 0
    deadline = time.monotonic() + DEADLINE
    while (length := playing.length()) is None or at < length:
        assert playing.failure() is None, playing.failure()
        assert time.monotonic() < deadline, f"laid out to {playing.ready_until()} of {length} samples in time"
        ready = playing.ready_until()
        if ready <= at:
            playing.wait(0.1)
            continue
        count = min(BLOCK, ready - at)
        blocks.append(playing.render(at, count))
        at += count
    heard = np.concatenate(blocks)
    assert playing.store.synthesised == len(playing.heard_order), "no sentence came from the cache"

    written = tmp_path / "session.wav"
    prepared = prepare(session, RenderOptions(), SpeechCache(cache))
    mixed: list[np.ndarray] = []
    render_file(prepared, written, taps=(mixed.append,))
    assert prepared.speech.synthesised == 0, "render reads the speech the live session made"
    assert playing.timeline() == prepared.timeline
    assert len(heard) == prepared.timeline.length == len(WavView(written))
    assert np.array_equal(heard, np.concatenate(mixed)), "the same float samples, block for block"
    assert to_pcm16(heard) == np.asarray(WavView(written).data).tobytes(), "the same samples in the file"
    assert np.abs(heard).max() > 0.01, "a session that sounds"
