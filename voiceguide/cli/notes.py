"""The therapist's notes: note add, note list, note remove; and what play, render, export
and show do with them."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer

from voiceguide.cli import app, guarded, say
from voiceguide.errors import UsageError

note_app = typer.Typer(
    help="Your therapist's notes: spoken before the technique they are about.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(note_app, name="note")


def parse_date(value: str | None, option: str = "--date") -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date such as 2026-12-01") from None


@note_app.command("add")
@guarded
def note_add(
    text: Annotated[str, typer.Argument(help="What the therapist said.")],
    technique: Annotated[
        str | None, typer.Option("--technique", help="The technique it is about; it is spoken just before it.")
    ] = None,
    avoid: Annotated[bool, typer.Option("--avoid", help="The therapist advised against this technique.")] = False,
    date: Annotated[str | None, typer.Option("--date", help="When it was said (YYYY-MM-DD; default today).")] = None,
) -> None:
    """Keep a note of what your massage therapist recommended."""
    from voiceguide import library
    from voiceguide.practice import home, notes

    if technique is not None:
        library.resolve(technique)  # a name that is not in the library: one clear line
    note = notes.add(home.notes_path(), text, technique, avoid, parse_date(date))
    about = f" about {technique}" + (" (to avoid)" if avoid else "") if technique else ""
    print(f"note {note.id} kept{about}")


@note_app.command("list")
@guarded
def note_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the notes."""
    from voiceguide.practice import home, notes

    found = notes.load(home.notes_path())
    if as_json:
        rows = [
            {"id": n.id, "date": n.date.isoformat(), "text": n.text, "technique": n.technique, "avoid": n.avoid}
            for n in found
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not found:
        print('No notes yet. Add one with: voiceguide note add "..." --technique NAME')
    for n in found:
        if say.plain():
            technique = ("avoid " if n.avoid else "") + (n.technique or "")
            say.line(
                say.fields([("note", n.id), ("date", n.date.isoformat()), ("text", n.text), ("technique", technique)])
            )
            continue
        about = f"  [{'avoid ' if n.avoid else ''}{n.technique}]" if n.technique else ""
        print(f"{n.id:>3}  {n.date.isoformat()}  {n.text}{about}")


@note_app.command("remove")
@guarded
def note_remove(ident: Annotated[int, typer.Argument(metavar="ID", help="The note's number (see note list).")]) -> None:
    """Remove a note."""
    from voiceguide.practice import home, notes

    gone = notes.remove(home.notes_path(), ident)
    print(f"note {gone.id} removed: {gone.text}")


def load_target(target: str, no_notes: bool = False) -> Any:
    """A session for the commands: a library name, a path, ``today`` or a plan day, with the
    therapist's notes unless ``no_notes``."""
    from voiceguide.practice import sessions

    return sessions.load(target, with_notes=not no_notes)


def confirm_avoided(session: Any, no_notes: bool = False) -> None:
    """Ask before a session with a technique the therapist advised against; refuse without a terminal."""
    from voiceguide.practice import home, notes

    if no_notes:
        return
    found = notes.avoided(session, notes.load(home.notes_path()))
    if not found:
        return
    note, script = found[0]
    said = f"your therapist advised against {script.title} (note {note.id}: {note.text})"
    if sys.stdin.isatty() and sys.stdout.isatty():
        if typer.confirm(f"{said[0].upper()}{said[1:]}. Go on anyway?", default=False):
            return
        raise typer.Exit(1)
    raise UsageError(f"{said}; not going on without a terminal to ask (see `voiceguide note list`)")
