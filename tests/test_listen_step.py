"""Listening through the echo canceller when a busy sound server puts the session's echo out of
step with what the canceller is handed (offline, in ``bench.echo``'s simulated room, with the real
canceller, detector and recogniser): the session's own voice is never taken for someone speaking
over it, and once the canceller has found its step again a command said over the voice is obeyed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.echo import listen
from voiceguide.listen.canceller import missing
from voiceguide.listen.detector import RATE
from voiceguide.listen.recogniser import WhisperRecogniser

from .support.listening import TALK_SENTENCES, render, spoken, talk

pytestmark = pytest.mark.skipif(missing() is not None, reason="libspeexdsp is not installed")

TALK = talk("4s")
STEP = 0.02  # seconds the echo moves without a timestamp showing it (over ``JUMP``, under ``STEADY``)
STAMP = 0.1  # seconds the timestamps jump without the echo moving (over ``STEADY``)


@pytest.fixture(scope="module")
def recogniser() -> WhisperRecogniser:
    model = WhisperRecogniser()
    model.load()
    return model


@pytest.mark.parametrize("server", ["the echo moves", "the timestamps jump"])
def test_the_voice_out_of_step_is_never_taken_for_a_talker_and_a_command_is_heard_after(
    server: str, recogniser: WhisperRecogniser, speech_cache: Path, tmp_path: Path
) -> None:
    """Two seconds into the fourth sentence (the canceller has long settled) the echo comes
    ``STEP`` later than before, or the timestamps jump by ``STAMP`` while it does not: nobody
    speaks, so the session is never ducked and nothing is heard as a command. "Voice guide,
    pause." said 0.5 s into the seventh sentence is then ducked under and obeyed."""
    script = tmp_path / "talk.yaml"
    script.write_text(TALK)
    rendered = render(script, "natural", speech_cache)
    sentences = [(s, e) for s, e in rendered.speech if e - s > 3 * RATE]
    assert len(sentences) == len(TALK_SENTENCES), rendered.speech
    at = sentences[3][0] + 2 * RATE
    (command,) = spoken("system", ["Voice guide, pause."], speech_cache)
    said = sentences[6][0] + RATE // 2
    talker = np.zeros(len(rendered.samples), np.float32)
    talker[said : said + len(command)] = command
    change = {"moves": ((at, int(STEP * RATE)),)} if server == "the echo moves" else {"stamps": ((at, STAMP),)}
    run = listen(rendered.samples, talker, rendered.speech, recogniser, **change)
    assert run["failure"] is None
    heard = [(h.command, round(h.start, 2)) for h, _ in run["heard"] if h.command]
    assert heard and heard[0][0] == "pause", heard
    assert said / RATE - 0.5 <= heard[0][1] <= (said + len(command)) / RATE, (heard, said / RATE)
    assert len(heard) == 1, f"only the command said was heard: {heard}"
    assert run["ducks"] == 1, f"ducked once, under the talker, never for the session's own voice: {run['ducks']}"
