"""The therapist's notes: one YAML file beside the plan, and the sessions they change.

A note tied to a technique is spoken just before that technique in every session that
contains it: the session is rebuilt as a new value with a ``say`` step put first in the
technique, so ``show``, the cue sheet, ``render``, ``export`` and ``play`` all carry it.
A note marked ``avoid`` says the therapist advised against the technique.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from voiceguide import atomic, yamlnodes
from voiceguide.errors import Problem, ScriptError, UsageError
from voiceguide.script import Routine, Say, Script, Session
from voiceguide.steps import leaves

SPOKEN = "Your therapist's note: {text}"
HEADER = "# Your therapist's notes. `voiceguide note add`, `note list` and `note remove` change this file.\n"


@dataclass(frozen=True)
class Note:
    id: int
    text: str
    date: dt.date
    technique: str | None = None
    avoid: bool = False


def load(path: Path) -> list[Note]:
    """The notes in ``path`` (none when it does not exist)."""
    if not path.exists():
        return []
    where = str(path)
    root = yamlnodes.load(path)
    problems: list[Problem] = []
    notes: list[Note] = []
    entries = next((v for k, v in root.items() if k.value == "notes"), None) if root.kind == "map" else None
    if entries is None or entries.kind != "seq":
        raise ScriptError.at(where, root.line, root.col, "the notes file holds `notes:`, a list of notes")
    for node in entries.elements():
        fields = {str(k.value): v.value for k, v in node.items()} if node.kind == "map" else {}
        try:
            notes.append(
                Note(
                    id=int(fields["id"]),  # type: ignore[call-overload]
                    text=str(fields["text"]).strip(),
                    date=dt.date.fromisoformat(str(fields.get("date", dt.date.today().isoformat()))),
                    technique=str(fields["technique"]) if fields.get("technique") else None,
                    avoid=bool(fields.get("avoid", False)),
                )
            )
        except (KeyError, TypeError, ValueError):
            problems.append(Problem(where, node.line, node.col, "a note needs an id (a number), a text and a date"))
    if problems:
        raise ScriptError(problems)
    return notes


def dump(notes: list[Note]) -> str:
    rows = []
    for note in notes:
        row: dict[str, object] = {"id": note.id, "date": note.date.isoformat(), "text": note.text}
        if note.technique:
            row["technique"] = note.technique
        if note.avoid:
            row["avoid"] = True
        rows.append(row)
    return HEADER + yaml.safe_dump({"notes": rows}, sort_keys=False, allow_unicode=True, width=100)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: two `note add` at once both land."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def add(path: Path, text: str, technique: str | None, avoid: bool, date: dt.date) -> Note:
    if not text.strip():
        raise UsageError("a note needs some text")
    if avoid and not technique:
        raise UsageError("--avoid marks a technique: name it with --technique")
    with _locked(path):
        notes = load(path)
        note = Note(max((n.id for n in notes), default=0) + 1, " ".join(text.split()), date, technique, avoid)
        atomic.write_bytes(path, dump([*notes, note]).encode("utf-8"))
    return note


def remove(path: Path, ident: int) -> Note:
    with _locked(path):
        notes = load(path)
        gone = next((n for n in notes if n.id == ident), None)
        if gone is None:
            raise UsageError(f"there is no note {ident}; see `voiceguide note list`")
        atomic.write_bytes(path, dump([n for n in notes if n.id != ident]).encode("utf-8"))
    return gone


def with_notes(session: Session, notes: list[Note]) -> Session:
    """The session with each technique's notes spoken just before it starts."""
    spoken = [n for n in notes if n.technique and not n.avoid]
    if not spoken:
        return session
    return _apply(session, spoken)


def _apply(session: Session, notes: list[Note]) -> Session:
    if isinstance(session, Script):
        mine = [n for n in notes if n.technique == session.name]
        if not mine:
            return session
        says = tuple(Say((SPOKEN.format(text=n.text),)) for n in mine)
        return replace(session, steps=says + session.steps)
    entries = tuple(replace(e, item=_apply(e.item, notes)) for e in session.entries)
    return replace(session, entries=entries) if isinstance(session, Routine) else session


def avoided(session: Session, notes: list[Note]) -> list[tuple[Note, Script]]:
    """The techniques in the session that the therapist advised against, with the note that says so."""
    out = []
    for script, _length in leaves(session):
        out += [(n, script) for n in notes if n.avoid and n.technique == script.name]
    return out
