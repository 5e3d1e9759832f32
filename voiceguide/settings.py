"""The user's settings: a flat TOML file of defaults for the commands' options.

    voice = "natural"
    music-level = -6   # the music a little softer
    plain = true

Each key is the name of a command-line option without its dashes; a flag on the command line
overrides it. Reading checks every key and value and reports a problem as ``path:line: message``.
Writing one key edits its one line in place, so the file's comments and other lines stay as the
user wrote them. The caller chooses the path; nothing here prints.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceguide.errors import UsageError, did_you_mean

FILE_NAME = "config.toml"


class ConfigError(UsageError):
    """The settings file cannot be read, or a setting is not one voiceguide knows."""


@dataclass(frozen=True)
class Key:
    """One setting: what it is for, and how a value is checked (``check`` returns the value as
    the option takes it, or raises ``ValueError`` with the reason)."""

    name: str
    about: str
    check: Callable[[Any], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError('must be a word in quotes, such as "natural"')
    return value


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"choose one of {', '.join(options)}, not {value!r}{did_you_mean(str(value), options)}")
        return str(value)

    return check


def _level(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of decibels, such as -6")
    if not -30 <= value <= 6:
        raise ValueError(f"must be from -30 to +6 dB, not {value:g}")
    return float(value)


def _switch(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("voice", "the voice: natural, system, system:ID", _text),
        Key("pace", "speaking pace", _choice("slow", "normal", "fast")),
        Key("guidance", "how much the voice explains", _choice("full", "brief")),
        Key("music", "warm, waves, bowls, none or a music file", _text),
        Key("music-level", "music, in dB against the usual mix", _level),
        Key("cue-level", "cues, in dB against the usual mix", _level),
        Key("output", "the sound output of play", _choice("sounddevice", "simpleaudio")),
        Key("listen", "obey spoken commands in play", _switch),
        Key("callouts", "say the time left in long holds", _switch),
        Key("wait", "in play, wait after the equipment until told to go on", _switch),
        Key("plain", "output for a screen reader", _switch),
    )
}
# A key applies to every command with an option of its name, except where the same name means
# something else: ``render -o/--output`` is a file, ``play --output`` the sound output.
ONLY_IN = {"output": ("play",)}


def check(name: str, value: Any, where: str = "") -> Any:
    """``value`` as the option takes it; a ConfigError names the key and why."""
    key = KEYS.get(name)
    if key is None:
        raise ConfigError(f"{where}unknown setting {name!r}{did_you_mean(name, KEYS)}")
    try:
        return key.check(value)
    except ValueError as exc:
        raise ConfigError(f"{where}{name}: {exc}") from None


def parse_word(name: str, word: str) -> Any:
    """A value typed on the command line (``config set music-level -6``), checked."""
    if name not in KEYS:
        check(name, None)
    value: Any = word
    if KEYS[name].check is _switch:
        value = {
            "true": True,
            "on": True,
            "yes": True,
            "1": True,
            "false": False,
            "off": False,
            "no": False,
            "0": False,
        }.get(word.lower(), word)
    elif KEYS[name].check is _level:
        try:
            value = float(word)
        except ValueError:
            value = word
    return check(name, value)


def read(path: Path) -> dict[str, Any]:
    """The settings in ``path`` (none when it does not exist), every one checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}:1: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    return parse(text, path)


def parse(text: str, path: Path) -> dict[str, Any]:
    """The settings in ``text``, read from ``path`` (named in each problem), every one checked."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        line = found.group(1) if found else "1"
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(exc))
        raise ConfigError(f"{path}:{line}: {reason[:1].lower() + reason[1:]}") from None
    settings = {}
    for name, value in data.items():
        settings[name] = check(name, value, f"{path}:{_line_of(text, name)}: ")
    return settings


def _line_of(text: str, name: str) -> int:
    """The line where ``name`` is set (1 when it cannot be found, as in a table)."""
    pattern = re.compile(rf"""^\s*(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')\s*[=.\[]""")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line) or line.strip() == f"[{name}]":
            return number
    return 1


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def with_setting(text: str, name: str, value: Any) -> str:
    """``text`` with ``name = value``: its line edited in place (a comment after the value kept),
    or a line added at the end."""
    entry = f"{name} = {toml_value(value)}"
    lines = text.splitlines(keepends=True)
    pattern = re.compile(rf"""^(\s*)(?:{re.escape(name)}|"{re.escape(name)}")\s*=""")
    for i, line in enumerate(lines):
        found = pattern.match(line)
        if found:
            ending = line[len(line.rstrip("\r\n")) :]
            lines[i] = found.group(1) + entry + _comment(line.rstrip("\r\n")) + (ending or "\n")
            return "".join(lines)
    if text and not text.endswith("\n"):
        text += "\n"
    return text + entry + "\n"


def _comment(line: str) -> str:
    """The ``  # ...`` after a key's value: the first ``#`` before which the line parses alone."""
    for i, char in enumerate(line):
        if char == "#":
            try:
                tomllib.loads(line[:i])
            except tomllib.TOMLDecodeError:
                continue
            return " " * max(1, len(line[:i]) - len(line[:i].rstrip())) + line[i:]
    return ""
