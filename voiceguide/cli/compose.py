"""A session built on the spot: ``--areas`` and ``--minutes`` for play, render, export and serve,
and the ``compose`` command, which writes such a session as a routine file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voiceguide.cli import app, err, guarded
from voiceguide.cli.options import AreasOpt, AudienceOpt, EquipmentOpt, ForceOpt, MinutesOpt, SeedOpt


def wanted(target: str | None, areas: str | None, minutes: float | None, length: str | None = None) -> bool:
    """Whether the command is asked for a session composed on the spot; a UsageError for a
    request that mixes it with a named session, or lacks a part."""
    from voiceguide.errors import UsageError

    if areas is None:
        if minutes is not None:
            raise UsageError("--minutes goes with --areas: say what to work, such as --areas neck --minutes 10")
        return False
    if target is not None:
        raise UsageError(f"give a session's name ({target}) or --areas, not both")
    if minutes is None:
        raise UsageError("--areas needs --minutes: say how long you have, such as --minutes 10")
    if length is not None:
        raise UsageError("--length: a session composed with --areas lasts --minutes already")
    return True


def composed(
    areas: str,
    minutes: float,
    equipment: str | None,
    audience: str,
    seed: int,
    no_notes: bool,
    path: Path | None = None,
) -> Any:
    """The session composed for the request, with the therapist's notes spoken unless ``no_notes``
    (what the notes advise against is always left out). Without --equipment, the plan's equipment
    counts as at hand when there is a plan."""
    from voiceguide.practice import composer, home, notes, sessions
    from voiceguide.practice.plan import load as load_plan

    if equipment is not None:
        at_hand = tuple(w.strip() for w in equipment.split(",") if w.strip())
    else:
        plan = home.plan_path()
        at_hand = load_plan(plan).equipment if plan.exists() else ()
    said = notes.load(home.notes_path())
    avoid = frozenset(n.technique for n in said if n.avoid and n.technique)
    result = composer.compose(areas, minutes, at_hand, audience, seed, avoid, path)
    for note in result.notes:
        err(f"voiceguide: note: {note}")
    return result.session if no_notes else sessions.apply_notes(result.session)


def asked(areas: str, minutes: float, equipment: str | None, audience: str, seed: int) -> str:
    """The options of a request, as a person would write them again."""
    request = f"--areas {areas} --minutes {minutes:g}"
    if equipment:
        request += f' --equipment "{equipment}"'
    if audience != "self":
        request += f" --for {audience}"
    return request + (f" --seed {seed}" if seed != 1 else "")


def composed_file(folder: Path, areas: str, minutes: float, equipment: str | None, audience: str, seed: int) -> Path:
    """The session composed for the request, written as a routine file in ``folder`` (replacing
    the one an earlier request wrote there), for what serves sessions made of files."""
    from voiceguide import atomic
    from voiceguide.practice import composer

    session = composed(areas, minutes, equipment, audience, seed, no_notes=True)
    path = folder / f"{session.name}.yaml"
    atomic.write_bytes(path, composer.routine_text(session, asked(areas, minutes, equipment, audience, seed)).encode())
    return path


@app.command()
@guarded
def compose(
    output: Annotated[Path, typer.Option("-o", "--output", help="The routine file to write (.yaml).")],
    areas: AreasOpt = None,
    minutes: MinutesOpt = None,
    equipment: EquipmentOpt = None,
    audience: AudienceOpt = "self",
    seed: SeedOpt = 1,
    force: ForceOpt = False,
) -> None:
    """Compose a session for the areas and minutes asked, and write it as a routine file.

    The file is an ordinary routine: `voiceguide validate` accepts it, `show` prints it, and you
    can edit it and play it again with `voiceguide play FILE`.
    """
    from voiceguide import atomic
    from voiceguide.errors import UsageError
    from voiceguide.practice import composer
    from voiceguide.units import format_clock

    if output.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"{output}: a routine file ends in .yaml")
    if areas is None:
        raise UsageError("say what to work with --areas, such as --areas neck,shoulders --minutes 10")
    wanted(None, areas, minutes)
    atomic.check_free([output], force)
    assert minutes is not None
    session = composed(areas, minutes, equipment, audience, seed, no_notes=True, path=output)
    request = asked(areas, minutes, equipment, audience, seed)
    atomic.write_bytes(output, composer.routine_text(session, request).encode())
    count = len(session.entries)
    length = format_clock(composer.session_length(session))
    print(f"{output}: {count} technique{'s' if count != 1 else ''}, about {length}; play it: voiceguide play {output}")
