"""Settings that stay: ``config.toml`` in the config folder gives the options' defaults.

The file's values reach every command through click's ``default_map``, keyed by command and
option name, so each option of a setting's name takes it without more wiring; an environment
variable (``VOICEGUIDE_PLAIN``) comes above the file and a flag above everything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, guarded
from voiceguide.cli import say as out

config_app = typer.Typer(
    help="Your settings: the defaults for voice, pace, music, levels, output, listening and plain output.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(config_app, name="config")


def config_path() -> Path:
    from voiceguide.practice import home
    from voiceguide.settings import FILE_NAME

    return home.config_dir() / FILE_NAME


def default_map(command: Any, settings: dict[str, Any], name: str = "") -> dict[str, Any]:
    """``settings`` as click's defaults for ``command`` and the commands under it: each key goes
    to every option whose flag is ``--KEY`` (within the commands ``ONLY_IN`` allows)."""
    from voiceguide.settings import ONLY_IN

    found: dict[str, Any] = {}
    for param in command.params:
        if not _is_option(param) or param.name is None:
            continue
        for key, value in settings.items():
            if f"--{key}" in param.opts and name in ONLY_IN.get(key, (name,)):
                found[param.name] = value
    for sub_name, sub in getattr(command, "commands", {}).items():
        below = default_map(sub, settings, sub_name)
        if below:
            found[sub_name] = below
    return found


def load(ctx: Any, plain_flag: bool | None) -> None:
    """Read the settings and set them as every command's defaults; decide whether output is plain."""
    from voiceguide.settings import read

    settings = read(config_path())
    ctx.default_map = default_map(ctx.command, settings)
    ctx.meta["settings"] = settings
    if plain_flag is None:  # neither --plain/--no-plain nor VOICEGUIDE_PLAIN
        plain_flag = out.dumb_terminal() or bool(settings.get("plain", False))
    out.set_plain(plain_flag)


def _is_option(param: Any) -> bool:
    # typer carries its own copy of click: its classes are not the ``click`` package's
    return getattr(param, "param_type_name", "") == "option"


def _shown(value: Any) -> str:
    from voiceguide.settings import toml_value

    if value is None:
        return "unset"
    return toml_value(value).strip('"')


def effective(ctx: Any) -> list[tuple[str, Any, str]]:
    """Each setting, its value, and where that came from: default, file, environment or flag."""
    from voiceguide.settings import KEYS

    root = ctx.find_root()
    settings = root.meta.get("settings", {})
    rows = []
    for key in KEYS:
        value, source = _default(root.command, key), "default"
        if key in settings:
            value, source = settings[key], "file"
        if key == "plain":
            given = getattr(root.get_parameter_source("plain"), "name", "")
            if given == "COMMANDLINE":
                value, source = root.params["plain"], "flag"
            elif given == "ENVIRONMENT":
                value, source = root.params["plain"], "environment"
            elif out.dumb_terminal():
                value, source = True, "environment"
        rows.append((key, value, source))
    return rows


def _default(command: Any, key: str) -> Any:
    """The default of the first command option named ``--KEY`` (play's before the others)."""
    from voiceguide.settings import ONLY_IN

    commands = getattr(command, "commands", {})
    names = ["play", *(n for n in commands if n != "play")]
    for name in [*names, ""]:
        sub = commands.get(name, command)
        if name not in ONLY_IN.get(key, (name,)):
            continue
        for param in sub.params:
            if _is_option(param) and f"--{key}" in param.opts:
                default = param.default
                if key == "voice" and default is None:
                    return "natural"
                if key == "plain" and default is None:
                    return False
                return None if callable(default) else default
    return None


@config_app.callback()
@guarded
def config(ctx: typer.Context) -> None:
    """Show each setting: its value and where it came from (default, file, environment or flag).

    The settings file is config.toml in your config folder (VOICEGUIDE_HOME when set); change a
    setting with `voiceguide config set KEY VALUE`, for example `voiceguide config set pace slow`.
    """
    if ctx.invoked_subcommand is not None:
        return
    out.line(f"file: {config_path()}")
    for key, value, source in effective(ctx):
        out.line(f"{key}: {_shown(value)} ({source})")


@config_app.command("set", context_settings={"ignore_unknown_options": True})  # set music-level -6
@guarded
def set_command(
    key: Annotated[str, typer.Argument(metavar="KEY", help="A setting: voice, pace, music-level, plain, ...")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="Its value, such as slow, -6 or true.")],
) -> None:
    """Write one setting to the settings file, keeping its comments and other lines."""
    from voiceguide import atomic
    from voiceguide.settings import ConfigError, parse, parse_word, read, with_setting

    path = config_path()
    try:
        checked = parse_word(key, value)
    except ConfigError as exc:
        raise ConfigError(f"config set: {exc}") from None
    read(path)  # a damaged file is said, and left as it is
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = with_setting(text, key, checked)
    parse(updated, path)  # as the next run will read it, before anything is written
    atomic.write_bytes(path, updated.encode("utf-8"))
    out.line(f"{path}: {key} = {_shown(checked)}")
