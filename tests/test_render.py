"""Rendering end to end with the real voice, music and ffmpeg, checked on measured signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voiceguide import levels
from voiceguide.cli import app
from voiceguide.sounds import cues
from voiceguide.sounds.music import open_music

from .support.audio import SR, decode, ebur128, read_wav, rms_db
from .support.sessions import RENDER_SCRIPT

runner = CliRunner()


def render(*args: str) -> object:
    result = runner.invoke(app, ["render", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> dict[str, object]:
    os.environ["VOICEGUIDE_CACHE_DIR"] = str(speech_cache)
    folder = tmp_path_factory.mktemp("render")
    script = folder / "test-session.yaml"
    script.write_text(RENDER_SCRIPT)
    render(
        str(script),
        "-o",
        str(folder / "out.wav"),
        "--cues",
        str(folder / "cues.json"),
        "--stems",
        str(folder / "stems"),
    )
    sheet = json.loads((folder / "cues.json").read_text())
    return {
        "folder": folder,
        "script": script,
        "sheet": sheet,
        "mix": read_wav(folder / "out.wav"),
        "voice": read_wav(folder / "stems" / "voice.wav"),
        "music": read_wav(folder / "stems" / "music.wav"),
        "cues": read_wav(folder / "stems" / "cues.wav"),
    }


def samples(seconds: float) -> int:
    return int(round(seconds * SR))


def events(sheet: dict, kind: str) -> list[dict]:
    return [e for e in sheet["events"] if e["kind"] == kind]


def test_cue_sheet_and_audio_agree_in_length(rendered: dict) -> None:
    sheet, mix = rendered["sheet"], rendered["mix"]
    assert sheet["sample_rate"] == SR and mix.shape[1] == 2
    assert len(mix) == samples(sheet["duration"])
    assert [s["title"] for s in sheet["sections"]] == ["Start", "Finish"]
    assert {e["kind"] for e in sheet["events"]} == {"speech", "hold", "breath-in", "breath-out", "chime", "tick"}


def test_timing_is_sample_exact(rendered: dict) -> None:
    sheet = rendered["sheet"]
    holds = events(sheet, "hold")
    assert samples(holds[0]["end"]) - samples(holds[0]["start"]) == 5 * SR
    sit = next(e for e in events(sheet, "speech") if e["text"].startswith("Sit tall"))
    assert samples(holds[0]["start"]) == samples(sit["end"]), "the hold starts as its instruction ends"
    breaths = [e for e in sheet["events"] if e["kind"].startswith("breath")]
    assert [samples(e["end"]) - samples(e["start"]) for e in breaths] == [4 * SR, 6 * SR] * 2
    countdown = next(e for e in events(sheet, "speech") if e["text"] == "Five seconds.")
    assert samples(countdown["start"]) == samples(holds[1]["end"]) - 5 * SR
    ticks = [samples(e["start"]) - samples(holds[1]["start"]) for e in events(sheet, "tick")]
    assert ticks == [k * 2 * SR for k in range(7)]


def test_voice_is_heard_only_inside_speech_events(rendered: dict) -> None:
    voice, sheet = rendered["voice"][:, 0], rendered["sheet"]
    inside = np.zeros(len(voice), bool)
    for e in events(sheet, "speech"):
        a, b = samples(e["start"]), samples(e["end"])
        inside[a:b] = True
        onset = np.flatnonzero(np.abs(voice[a : a + samples(0.05)]) > 10 ** (-40 / 20))
        # Sound within 3 ms (speech.ONSET_LEAD): the cue sheet says when it is heard.
        assert onset.size and onset[0] <= samples(0.0035), f"speech onset within 3 ms: {e['text']}"
        assert rms_db(voice[a:b]) > -35
    assert not np.any(voice[~inside]), "no voice outside speech events"


def test_generated_cues_start_on_their_sample(rendered: dict) -> None:
    stem, sheet = rendered["cues"][:, 0], rendered["sheet"]
    for e in events(sheet, "tick") + events(sheet, "chime")[:1]:
        a = samples(e["start"])
        sound = cues.sound(e["kind"], samples(e["end"]) - a)
        np.testing.assert_allclose(stem[a : a + len(sound)], sound, atol=2e-7)
        assert stem[a - 1] == 0.0


def test_stems_add_up_to_the_mix(rendered: dict) -> None:
    total = rendered["voice"] + rendered["music"] + rendered["cues"]
    assert np.max(np.abs(total - rendered["mix"])) <= 1.01 / 32768


def test_music_ducks_under_the_voice_and_only_there(rendered: dict) -> None:
    voice, music, sheet = rendered["voice"][:, 0], rendered["music"][:, 0], rendered["sheet"]
    for e in events(sheet, "speech"):
        a, b = samples(e["start"]), samples(e["end"])
        assert rms_db(voice[a:b]) - rms_db(music[a:b]) >= 20, e["text"]
    hold = events(sheet, "hold")[1]
    quiet = slice(samples(hold["start"]) + samples(3), samples(hold["start"]) + samples(7))
    spoken = next(e for e in events(sheet, "speech") if e["text"].startswith("Now hold"))
    under = slice(samples(spoken["start"]), samples(spoken["end"]))
    # The ducking gain is the music stem over the music as generated, so a quiet or loud passage
    # of the music itself does not count.
    bed = open_music(None, 1)

    def gain_db(span: slice) -> float:
        made = bed.render(span.start, span.stop - span.start)[:, 0]
        return rms_db(music[span]) - rms_db(made)

    assert gain_db(quiet) - gain_db(under) >= levels.DUCK_DB - 1, "full level between instructions"
    sit = next(e for e in events(sheet, "speech") if e["text"].startswith("Sit tall"))
    gap = rendered["sheet"]["events"]
    title_end = samples(next(e for e in gap if e["kind"] == "speech")["end"])
    assert title_end < samples(sit["start"])


def test_deterministic_and_seeded(rendered: dict, tmp_path: Path) -> None:
    again = tmp_path / "again.wav"
    render(str(rendered["script"]), "-o", str(again))
    assert again.read_bytes() == (rendered["folder"] / "out.wav").read_bytes()
    other = tmp_path / "seed2.wav"
    render(str(rendered["script"]), "-o", str(other), "--seed", "2")
    assert other.read_bytes() != again.read_bytes()


def test_mp3_output_and_refusal_to_overwrite(rendered: dict, tmp_path: Path) -> None:
    out = tmp_path / "out.mp3"
    render(str(rendered["script"]), "-o", str(out))
    audio = decode(out)
    assert abs(len(audio) - len(rendered["mix"])) < 0.03 * SR
    before = out.read_bytes()
    refused = runner.invoke(app, ["render", str(rendered["script"]), "-o", str(out)])
    assert refused.exit_code == 1 and "use --force" in refused.stderr
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_library_session_loudness_and_true_peak(tmp_path: Path) -> None:
    out = tmp_path / "childs-pose.mp3"
    render("childs-pose", "-o", str(out))
    integrated, peak = ebur128(out)
    assert abs(integrated - levels.TARGET_LUFS) <= 1.0, integrated
    assert peak <= levels.TRUE_PEAK_LIMIT, peak


def test_length_fitting_and_refusal(tmp_path: Path) -> None:
    cues_path = tmp_path / "cues.json"
    render(
        "childs-pose", "-o", str(tmp_path / "a.wav"), "--length", "2m30s", "--cues", str(cues_path), "--music", "none"
    )
    assert abs(json.loads(cues_path.read_text())["duration"] - 150) <= 1.0
    refused = runner.invoke(app, ["render", "childs-pose", "-o", str(tmp_path / "b.wav"), "--length", "40m"])
    assert refused.exit_code == 2
    assert "childs-pose cannot last 40m: with this voice and pace it lasts between" in refused.stderr
    assert not (tmp_path / "b.wav").exists()


def test_user_music_file(rendered: dict, tmp_path: Path) -> None:
    tune = tmp_path / "tune.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=330:d=3", "-ac", "1", str(tune)], check=True)
    render(str(rendered["script"]), "-o", str(tmp_path / "m.wav"), "--music", str(tune), "--stems", str(tmp_path / "s"))
    music = read_wav(tmp_path / "s" / "music.wav")[:, 0]
    mid = len(music) // 2
    assert rms_db(music[mid : mid + SR]) > -60, "the file loops under the whole session"
    spectrum = np.abs(np.fft.rfft(music[mid : mid + SR]))
    assert abs(np.argmax(spectrum) - 330) <= 2


def test_missing_ffmpeg_is_one_clear_line(rendered: dict, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "voiceguide", "render", str(rendered["script"]), "-o", str(tmp_path / "x.mp3")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "voiceguide: ffmpeg is not on PATH; install it with `sudo apt-get install ffmpeg` (or run `make setup`)"
    )
    assert not list(tmp_path.glob("*x*"))


def test_ctrl_c_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "long.wav"
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "render", "partner-back-massage", "-o", str(out), "--voice", "system"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".*")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".*")), "the render had started writing"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# -- the speech cache under real renders ----------------------------------------------------


def _render_cli(script: Path, out: Path, cache: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_renders_at_once_over_one_cold_cache(rendered: dict, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    runs = [_render_cli(rendered["script"], tmp_path / f"{n}.wav", cache) for n in ("a", "b")]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert (tmp_path / "a.wav").read_bytes() == (rendered["folder"] / "out.wav").read_bytes()


def test_a_damaged_cache_heals_and_renders_the_same(rendered: dict, tmp_path: Path) -> None:
    from voiceguide import library
    from voiceguide.render import RenderOptions, prepare
    from voiceguide.speech_cache import SpeechCache

    cache_dir = tmp_path / "cache"
    first = tmp_path / "first.wav"
    assert _render_cli(rendered["script"], first, cache_dir).wait(timeout=300) == 0
    entries = sorted(cache_dir.rglob("*.clip"))
    assert len(entries) >= 8
    for i, entry in enumerate(entries):
        data = entry.read_bytes()
        entry.write_bytes([data[: len(data) // 2], b"", b"\x00garbage" * 50][i % 3])
    second = tmp_path / "second.wav"
    assert _render_cli(rendered["script"], second, cache_dir).wait(timeout=300) == 0
    assert second.read_bytes() == first.read_bytes()
    healed = prepare(library.load(str(rendered["script"])), RenderOptions(), cache=SpeechCache(cache_dir))
    assert healed.speech.synthesised == 0, "every entry was rewritten whole"
