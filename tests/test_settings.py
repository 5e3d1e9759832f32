"""Settings that stay: config.toml under VOICEGUIDE_HOME (set per test by conftest)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from voiceguide.cli import app
from voiceguide.cli.config import default_map
from voiceguide.settings import parse, with_setting

runner = CliRunner()


def config_file() -> Path:
    home = Path(os.environ["VOICEGUIDE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home / "config.toml"


def shown(*args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    result = runner.invoke(app, [*args, "config"], env={"TERM": "xterm", **(env or {})})
    assert result.exit_code == 0, result.output
    return dict(line.split(": ", 1) for line in result.output.splitlines())


def test_precedence_default_file_environment_flag() -> None:
    assert shown(env={"VOICEGUIDE_PLAIN": ""})["plain"] == "false (default)"
    config_file().write_text('plain = false\npace = "slow"\n')
    settings = shown()
    assert settings["plain"] == "false (file)"
    assert settings["pace"] == "slow (file)"
    assert settings["guidance"] == "full (default)"
    assert shown(env={"VOICEGUIDE_PLAIN": "1"})["plain"] == "true (environment)"
    assert shown(env={"TERM": "dumb"})["plain"] == "true (environment)"
    assert shown("--plain", env={"VOICEGUIDE_PLAIN": "0"})["plain"] == "true (flag)"
    assert shown("--no-plain", env={"VOICEGUIDE_PLAIN": "1"})["plain"] == "false (flag)"


def test_a_command_takes_the_file_and_a_flag_overrides_it() -> None:
    root = typer.main.get_command(app)
    settings = parse('pace = "slow"\noutput = "simpleaudio"\n', Path("config.toml"))
    defaults = default_map(root, settings)
    assert defaults["play"] == {"pace": "slow", "device": "simpleaudio"}
    assert "output" not in defaults["render"]  # render's --output is a file, not the sound output
    parent = root.make_context("voiceguide", ["play"], default_map=defaults, resilient_parsing=True)
    play = root.commands["play"]
    assert play.make_context("play", [], parent=parent).params["pace"] == "slow"
    assert play.make_context("play", ["--pace", "fast"], parent=parent).params["pace"] == "fast"


def test_config_set_round_trip_keeps_comments_and_other_lines() -> None:
    config_file().write_text('# my settings\nvoice = "system"  # the robot one\npace = "slow"\n')
    result = runner.invoke(app, ["config", "set", "music-level", "-6"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["config", "set", "voice", "natural"])
    assert result.exit_code == 0, result.output
    assert config_file().read_text() == (
        '# my settings\nvoice = "natural"  # the robot one\npace = "slow"\nmusic-level = -6\n'
    )
    settings = shown()
    assert settings["music-level"] == "-6 (file)"
    assert settings["voice"] == "natural (file)"
    assert [p for p in config_file().parent.iterdir() if "tmp" in p.name] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pace", "fsat"], "config set: pace: choose one of slow, normal, fast, not 'fsat'; did you mean 'fast'?"),
        (
            ["music-levl", "-6"],
            "config set: unknown setting 'music-levl'; did you mean 'music-level' or 'music' or 'cue-level'?",
        ),
        (["music-level", "+12"], "config set: music-level: must be from -30 to +6 dB, not 12"),
        (["plain", "maybe"], "config set: plain: must be true or false"),
    ],
)
def test_config_set_refuses_a_bad_name_or_value(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["config", "set", *args])
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert not config_file().exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('# mine\npace = "slow"\nvoice = \n', "3: invalid value"),
        (
            'pace = "slow"\nmusic-levl = -6\n',
            "2: unknown setting 'music-levl'; did you mean 'music-level' or 'music' or 'cue-level'?",
        ),
        ('\n\nlisten = "yes"\n', "3: listen: must be true or false"),
    ],
)
def test_a_damaged_file_is_one_line_exit_2_and_left_alone(text: str, message: str) -> None:
    config_file().write_text(text)
    for args in (["list"], ["config"], ["config", "set", "pace", "fast"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert result.output.strip() == f"{config_file()}:{message}", args
        assert config_file().read_text() == text


def test_help_still_shows_with_a_damaged_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config_file().write_text("voice = \n")
    monkeypatch.setattr(sys, "argv", ["voiceguide", "play", "--help"])
    result = runner.invoke(app, ["play", "--help"])
    assert result.exit_code == 0, result.output
    assert f"{config_file()}:1: invalid value" in result.output, "the problem is still said"
    assert "Usage: voiceguide play" in result.output


def test_with_setting_keeps_a_hash_inside_a_string() -> None:
    text = 'music = "a#b.mp3" # mine\n'
    assert with_setting(text, "music", "waves") == 'music = "waves" # mine\n'
