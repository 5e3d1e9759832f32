"""The library commands: list, show, validate, schema, voices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, err, guarded
from voiceguide.cli.options import NoNotesOpt
from voiceguide.errors import ScriptError, UsageError, VoiceguideError


@app.command("list")
@guarded
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the techniques and routines in the built-in library."""
    from voiceguide import describe, library

    rows = [describe.summary(library.load(str(entry.path))) for entry in library.entries()]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("name", "kind", "minutes", "brief", "for", "title"):
        table.add_column(column)
    for row in rows:
        spans = [f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}" for lo, hi in (row["minutes"], row["minutes_brief"])]
        table.add_row(row["name"], row["kind"], *spans, row["audience"], row["title"])
    Console(soft_wrap=True).print(table)


@app.command()
@guarded
def show(
    target: Annotated[str, typer.Argument(metavar="NAME|PATH", help="A library name, a script file, or today.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    no_notes: NoNotesOpt = False,
) -> None:
    """Show a session's steps: every step with its timing or range, and the total."""
    from voiceguide import describe
    from voiceguide.cli.notes import load_target

    session = load_target(target, no_notes)
    if as_json:
        print(json.dumps(describe.detail(session), indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe.lines(session)))


@app.command()
@guarded
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Script files or folders of them.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings (advice about style) as errors, as the library does.")
    ] = False,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources", metavar="DIR", help="With --strict: a folder of source texts (*.txt) no script may copy from."
        ),
    ] = None,
) -> None:
    """Check scripts and routines; print every problem as path:line:col: message.

    Warnings (path:line:col: warning: ...) are advice: the script still plays, and the exit
    code is 0 unless --strict is given. --strict also checks what a listener with eyes closed
    needs: a stop-if-it-hurts line before the first step at every guidance level, no words
    that ask for sight, every thing a step uses named in the equipment.
    """
    from voiceguide import library
    from voiceguide.loader import check_session
    from voiceguide.reader import as_error

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += library.scripts_in(path)
        elif path.exists():
            files.append(path)
        else:
            raise ScriptError.at(path, 1, 1, "no such file or folder")
    if sources is not None and not sources.is_dir():
        raise UsageError(f"--sources {sources}: no such folder")
    problems: set[Any] = set()
    warnings: set[Any] = set()
    loaded = []
    for file in files:
        try:
            session, found = check_session(file, library.Resolver())
            warnings.update(found)
            loaded.append((file, session))
        except ScriptError as exc:
            problems.update(exc.problems)
    if strict:
        from voiceguide import strict as rules
        from voiceguide.listen.commands import check_script

        problems.update(as_error(w) for w in warnings)
        for file in files:  # a session must never say what would set off hands-free listening
            problems.update(check_script(file))
        for file, session in loaded:
            problems.update(rules.check(file, session, sources))
    elif warnings:
        for warning in sorted(warnings):
            err(str(warning))
    if problems:
        raise ScriptError(sorted(problems))
    count = len(warnings) if not strict else 0
    noted = f", {count} warning{'s' if count != 1 else ''}" if count else ""
    print(f"{len(files)} file{'s' if len(files) != 1 else ''} valid{noted}")


@app.command()
@guarded
def schema() -> None:
    """Print the JSON Schema of the script format, for an editor's YAML language server."""
    from voiceguide.schema import schema as build

    print(json.dumps(build(), indent=2))


@app.command()
@guarded
def voices(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    every: Annotated[bool, typer.Option("--all", help="List every system voice, not only English ones.")] = False,
) -> None:
    """List the voices you can pass to --voice."""
    from voiceguide.voices import natural_available
    from voiceguide.voices.system import list_voices

    rows: list[dict[str, Any]] = []
    if natural_available():
        rows.append({"voice": "natural", "engine": "piper", "name": "joe (en_US, medium)", "default": True})
    try:
        system = list_voices()
    except VoiceguideError as exc:
        system = []
        err(f"voiceguide: system voices unavailable: {exc}")
    for entry in system:
        ident = str(entry.get("id", ""))
        listed = entry.get("languages")
        langs = [str(x) for x in listed] if isinstance(listed, list) else []
        if not every and not (ident.split("/")[-1].startswith("en") or any(x.startswith("en") for x in langs)):
            continue
        rows.append({"voice": f"system:{ident}", "engine": "pyttsx3", "name": entry.get("name", ""), "default": False})
    if rows and not rows[0]["default"]:
        rows[0]["default"] = True
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['voice']:<34} {row['name']}")
