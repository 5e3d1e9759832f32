"""The music's and the cues' levels: in the stems, in the cue sheet, and under the voice."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voiceguide import levels
from voiceguide.cli import app

from .support.audio import SR, decode, ebur128, joined, read_wav, rms_db
from .support.sessions import RENDER_SCRIPT as SCRIPT

runner = CliRunner()


def render(*args: str) -> None:
    result = runner.invoke(app, ["render", *args])
    assert result.exit_code == 0, result.output


def rendered_at(folder: Path, script: Path, music: str, cue: str) -> dict[str, object]:
    out = folder / f"m{music}-c{cue}"
    render(str(script), "-o", str(out / "mix.wav"), "--cues", str(out / "cues.json"), "--stems", str(out / "stems"),
           "--music-level", music, "--cue-level", cue)  # fmt: skip
    return {
        "sheet": json.loads((out / "cues.json").read_text()),
        "music": read_wav(out / "stems" / "music.wav")[:, 0],
        "cues": read_wav(out / "stems" / "cues.wav")[:, 0],
        "voice": read_wav(out / "stems" / "voice.wav")[:, 0],
    }


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, dict[str, object]]:
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    folder = tmp_path_factory.mktemp("levels")
    script = folder / "test-session.yaml"
    script.write_text(SCRIPT)
    return {
        "usual": rendered_at(folder, script, "0", "0"),
        "loud": rendered_at(folder, script, "6", "-6"),
        "soft": rendered_at(folder, script, "-30", "6"),
    }


def spans(sheet: dict, kind: str) -> list[slice]:
    return [slice(round(e["start"] * SR), round(e["end"] * SR)) for e in sheet["events"] if e["kind"] == kind]


def test_the_cue_sheet_names_each_level(renders: dict) -> None:
    assert renders["usual"]["sheet"]["levels"] == {"music": 0.0, "cues": 0.0}
    assert renders["loud"]["sheet"]["levels"] == {"music": 6.0, "cues": -6.0}
    assert renders["soft"]["sheet"]["levels"] == {"music": -30.0, "cues": 6.0}
    # The voice and the timing do not move with the levels.
    assert renders["loud"]["sheet"]["events"] == renders["usual"]["sheet"]["events"]
    np.testing.assert_array_equal(renders["loud"]["voice"], renders["usual"]["voice"])


def test_the_stems_carry_each_level(renders: dict) -> None:
    usual, loud, soft = renders["usual"], renders["loud"], renders["soft"]
    sheet = usual["sheet"]
    # Cues: the same sounds, at their level (to within what the mix's peak guard takes off here and there).
    cue_spans = [s for kind in ("chime", "tick", "breath-in", "breath-out") for s in spans(sheet, kind)]
    assert len(cue_spans) >= 4
    for span in cue_spans:
        assert rms_db(loud["cues"][span]) - rms_db(usual["cues"][span]) == pytest.approx(-6.0, abs=0.2), span
        assert rms_db(soft["cues"][span]) - rms_db(usual["cues"][span]) == pytest.approx(6.0, abs=0.2), span
    # Music between instructions (the second hold, well clear of speech): raised and lowered by its level.
    hold = spans(sheet, "hold")[1]
    quiet = slice(hold.start + 3 * SR, hold.start + 7 * SR)
    assert rms_db(loud["music"][quiet]) - rms_db(usual["music"][quiet]) == pytest.approx(6.0, abs=0.05)
    assert rms_db(soft["music"][quiet]) - rms_db(usual["music"][quiet]) == pytest.approx(-30.0, abs=0.05)


def test_the_music_stays_17_db_under_the_voice_inside_speech(renders: dict) -> None:
    loud = renders["loud"]
    for span in spans(loud["sheet"], "speech"):
        smr = rms_db(loud["voice"][span]) - rms_db(loud["music"][span])
        assert smr >= levels.MIN_SMR, (span, smr)
    # The ducking went deeper to keep it there: under speech the music rose less than its level.
    speech = spans(loud["sheet"], "speech")[-1]
    raised = rms_db(loud["music"][speech]) - rms_db(renders["usual"]["music"][speech])
    assert raised == pytest.approx(6.0 - (levels.duck_db(6.0) - levels.DUCK_DB), abs=0.3)


def test_a_level_out_of_range_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "childs-pose", "-o", str(tmp_path / "x.wav"), "--music-level", "7"])
    assert result.exit_code == 2 and "--music-level" in result.output
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("music", "cue"), [("3", "3"), ("-30", "-30"), ("6", "6")])
def test_the_loudness_stays_at_target(tmp_path: Path, music: str, cue: str) -> None:
    """Where the voice speaks, the mix is at the target at every level, as ffmpeg measures the
    MP3's sentences; the whole mix too, until the music between instructions is raised past +3
    dB and the meter starts to count it (BENCHMARKS.md row 23)."""
    out = tmp_path / "childs-pose.mp3"
    render(
        "childs-pose", "-o", str(out), "--music-level", music, "--cue-level", cue, "--cues", str(tmp_path / "c.json")
    )
    sheet = json.loads((tmp_path / "c.json").read_text())
    sentences = [(e["start"], e["end"]) for e in sheet["events"] if e["kind"] == "speech"]
    speech, _ = ebur128(joined(decode(out), sentences))
    assert abs(speech - levels.TARGET_LUFS) <= 1.0, speech
    whole, peak = ebur128(out)
    assert peak <= levels.TRUE_PEAK_LIMIT, peak
    if float(music) <= 3 and float(cue) <= 3:
        assert abs(whole - levels.TARGET_LUFS) <= 1.0, whole


CALLOUTS = """\
title: Callouts
steps:
  - say: Rest your arms.
  - hold: 100s
  - say: Now stroke slowly.
  - hold: 24s
    pace: 2s
  - say: Done.
"""


def test_callouts_at_their_exact_samples(tmp_path: Path, speech_cache: Path) -> None:
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    script = tmp_path / "callouts.yaml"
    script.write_text(CALLOUTS)
    out = tmp_path / "out"
    render(str(script), "-o", str(out / "mix.wav"), "--cues", str(out / "cues.json"), "--stems", str(out / "stems"),
           "--callouts", "--music", "none")  # fmt: skip
    sheet = json.loads((out / "cues.json").read_text())
    voice = read_wav(out / "stems" / "voice.wav")[:, 0]
    holds = [e for e in sheet["events"] if e["kind"] == "hold"]
    said = {e["text"]: e for e in sheet["events"] if e["kind"] == "speech"}
    long_hold, strokes = round(holds[0]["start"] * SR), round(holds[1]["start"] * SR)
    expected = {
        "Halfway.": long_hold + 50 * SR,
        "Thirty seconds left.": long_hold + 70 * SR,
        "Seven strokes left.": strokes + round(5 * 2.0 * SR + 0.3 * SR),
        "Two strokes left.": strokes + round(10 * 2.0 * SR + 0.3 * SR),
    }
    for text, sample in expected.items():
        assert round(said[text]["start"] * SR) == sample, text
        # Silence up to the sample, the voice from it on.
        assert rms_db(voice[sample - SR // 4 : sample]) < -80, text
        assert rms_db(voice[sample : sample + SR // 4]) > -45, text
    without = tmp_path / "plain.json"
    render(str(script), "-o", str(tmp_path / "plain.wav"), "--cues", str(without), "--music", "none")
    plain = {e["text"] for e in json.loads(without.read_text())["events"]}
    assert not plain & set(expected)
