"""The library commands: list, show, validate, schema, voices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, err, guarded, say
from voiceguide.cli.options import GuidanceOpt, LengthOpt, NoNotesOpt, PaceOpt, render_options
from voiceguide.errors import ScriptError, UsageError, VoiceguideError


@app.command("list")
@guarded
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    areas: Annotated[
        str | None, typer.Option("--areas", help="Only what works these areas, such as neck,shoulders.")
    ] = None,
) -> None:
    """List the techniques and routines in the built-in library, with the place each is done in."""
    from voiceguide.facts import library_facts

    found = library_facts()
    if areas is not None:
        from voiceguide.facts import asked_areas, works

        asked = asked_areas(areas, found)
        found = [f for f in found if works(f.areas, asked)]
    rows = [f.row() for f in found]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from voiceguide.cli import say

    for line in library_lines(rows) if say.plain() else library_table(rows):
        say.line(line)


def _span(span: list[float], joint: str = "-") -> str:
    lo, hi = span
    return f"{lo:g}" if lo == hi else f"{lo:g}{joint}{hi:g}"


def library_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rows of ``list`` for a screen reader: one technique a line, each field labelled."""
    from voiceguide.cli.say import fields

    return [
        fields(
            [
                ("name", row["name"]),
                ("title", row["title"]),
                ("kind", row["kind"]),
                ("minutes", _span(row["minutes"], " to ")),
                ("brief", _span(row["minutes_brief"], " to ")),
                ("for", row["audience"]),
                ("position", row["position"]),
            ]
        )
        for row in rows
    ]


def library_table(rows: list[dict[str, Any]], width: int | None = None) -> list[str]:
    """The rows of ``list`` as aligned lines. A name is what a person types, so no column is
    ever cut: in a narrow terminal or a pipe the title wraps under itself instead."""
    import os
    import shutil
    import sys
    import textwrap

    if width is None:  # in a pipe, each row is one line whatever its length
        piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
        width = 10_000 if piped else shutil.get_terminal_size((80, 24)).columns
    header = ("name", "kind", "minutes", "brief", "for", "position")
    cells = []
    for row in rows:
        spans = [_span(row["minutes"]), _span(row["minutes_brief"])]
        cells.append((row["name"], row["kind"], *spans, row["audience"], row["position"] or "-"))
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header))]
    indent = sum(widths) + 2 * len(widths)
    room = max(20, width - indent - 1)

    def line(values: tuple[str, ...], title: str) -> list[str]:
        lead = "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + "  "
        wrapped = textwrap.wrap(title, room) or [""]
        return [(lead + wrapped[0]).rstrip()] + [" " * indent + more for more in wrapped[1:]]

    out = line(header, "title")
    for values, row in zip(cells, rows, strict=True):
        out += line(values, row["title"])
    return out


@app.command()
@guarded
def show(
    target: Annotated[str, typer.Argument(metavar="NAME|PATH", help="A library name, a script file, or today.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    no_notes: NoNotesOpt = False,
    transcript: Annotated[
        bool,
        typer.Option(
            "--transcript",
            help="Print every sentence the session will say, in order, with its time, for reading ahead"
            " (times from estimated speech lengths, within a few seconds of the voice's).",
        ),
    ] = False,
    pace: PaceOpt = "normal",
    guidance: GuidanceOpt = "full",
    length: LengthOpt = None,
) -> None:
    """Show a session's steps: every step with its timing or range, and the total; or, with
    --transcript, what it will say and when."""
    from voiceguide import describe
    from voiceguide.cli import say
    from voiceguide.cli.notes import load_target

    session = load_target(target, no_notes)
    if transcript:
        from voiceguide.units import format_clock

        fitted = render_options(None, pace, None, length, 1, guidance).length
        said = describe.transcript(session, pace, guidance, fitted)
        if as_json:
            rows = [{"seconds": round(seconds, 2), "text": text} for seconds, text in said]
            print(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        for seconds, text in said:
            say.line(f"{format_clock(seconds)}  {text}")
        return
    if as_json:
        print(json.dumps(describe.detail(session), indent=2, ensure_ascii=False))
    else:
        for line in describe.lines(session):
            say.line(line)


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
    """List the voices you can pass to --voice: the built-in ones, and your Piper voices (NAME.onnx with
    NAME.onnx.json) in the voices folder of your data folder, chosen by NAME."""
    from voiceguide.voices import natural_available, piper_available
    from voiceguide.voices.piper_files import installed
    from voiceguide.voices.system import list_voices

    rows: list[dict[str, Any]] = []
    if natural_available():
        rows.append({"voice": "natural", "engine": "piper", "name": "joe (en_US, medium)", "default": True})
    for found in installed() if piper_available() else []:
        if isinstance(found, VoiceguideError):
            err(f"voiceguide: {found}")
            continue
        name = f"{found.language}, {found.quality}, {found.model}"
        rows.append({"voice": found.name, "engine": "piper", "name": name, "path": str(found.model), "default": False})
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
        if say.plain():
            say.line(
                say.fields(
                    [("voice", row["voice"]), ("name", row["name"]), ("default", "yes" if row["default"] else "")]
                )
            )
            continue
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['voice']:<34} {row['name']}")
