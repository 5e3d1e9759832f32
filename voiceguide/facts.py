"""What ``list`` and the composer need to know of each script in the library, kept by content.

Reading and fitting every script takes most of a second; what comes out (its title, areas,
equipment, position and length ranges) changes only when the file does. So each script's facts
are kept in one JSON file in the user's cache folder (``VOICEGUIDE_CACHE_DIR``, as the speech
cache, or the platform's), keyed by a hash of the file's bytes (a routine's key covers every
script of the library, as its techniques' files change its lengths), of this voiceguide's
version and of the modules that estimate lengths. A key that is missing is worked out and the
file rewritten atomically; a cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from voiceguide import __version__

FORMAT = 2
KEPT = 2000  # entries: past this, only those of the latest listing are kept
# The modules whose code decides a script's facts: a change to any of them is a new key.
DECIDING = ("loader", "step_reader", "reader", "script", "steps", "fit", "text", "timeline", "pace", "units")


@dataclass(frozen=True)
class Facts:
    """One script. ``minutes``: shortest and longest at full guidance, ``minutes_brief`` at brief
    (estimated speech, rounded to a tenth); ``part``: seconds a technique can take inside a
    routine, shortest and longest (None for a routine); ``reach``: the ranges within ``part``
    that a routine's length for it is met exactly in (its repeats leave gaps between them)."""

    name: str
    path: str
    kind: str
    title: str
    audience: str
    areas: tuple[str, ...]
    equipment: tuple[str, ...]
    position: str
    minutes: tuple[float, float]
    minutes_brief: tuple[float, float]
    part: tuple[float, float] | None
    reach: tuple[tuple[float, float], ...] = ()

    def row(self) -> dict[str, Any]:
        """One row of ``voiceguide list --json``."""
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "audience": self.audience,
            "position": self.position or None,
            "areas": list(self.areas),
            "minutes": list(self.minutes),
            "minutes_brief": list(self.minutes_brief),
        }


def covers(areas: tuple[str, ...], area: str) -> bool:
    """Whether a script that works ``areas`` works ``area``: "back" is worked by "lower back",
    and "shoulder" by "shoulders"."""
    wanted = area.lower()
    return any(wanted in own.lower() or own.lower() in wanted for own in areas)


def works(areas: tuple[str, ...], asked: tuple[str, ...]) -> bool:
    """Whether a script that works ``areas`` works any of the areas ``asked``."""
    return any(covers(areas, area) for area in asked)


def asked_areas(text: str, facts: list[Facts]) -> tuple[str, ...]:
    """The areas a person asked for ("neck, shoulders"), each checked against the library: an
    area no technique works is a UsageError that names the areas there are."""
    from voiceguide.errors import UsageError

    asked = tuple(dict.fromkeys(" ".join(w.lower().split()) for w in text.split(",") if w.strip()))
    if not asked:
        raise UsageError("--areas: name at least one area, such as neck,shoulders")
    for area in asked:
        if not any(covers(f.areas, area) for f in facts if f.kind == "technique"):
            there = sorted({a.lower() for f in facts for a in f.areas})
            raise UsageError(f"no technique works the {area}; areas are: {', '.join(there)}")
    return asked


def cache_path() -> Path:
    override = os.environ.get("VOICEGUIDE_CACHE_DIR")
    if override:
        return Path(override) / "script-facts.json"
    import platformdirs

    return Path(platformdirs.user_cache_dir("voiceguide")) / "script-facts.json"


def library_facts(root: Path | None = None) -> list[Facts]:
    """The facts of every script in the library, in the library's order (techniques first)."""
    from voiceguide import library

    entries = library.entries(root)
    blobs = {entry.path: entry.path.read_bytes() for entry in entries}
    code = _code_stamp()
    everything = hashlib.sha256(b"".join(hashlib.sha256(b).digest() for b in blobs.values())).hexdigest()
    cached = _read()
    found: dict[str, dict[str, Any]] = {}
    out: list[Facts] = []
    for entry in entries:
        blob = blobs[entry.path]
        wide = everything if b"routine:" in blob else ""
        key = hashlib.sha256(f"{code}|{entry.path}|{wide}|".encode() + blob).hexdigest()
        known = cached.get(key)
        facts = _from_json(known) if known is not None else None
        if facts is None:
            facts = work_out(entry.path)
        found[key] = _to_json(facts)
        out.append(facts)
    if any(key not in cached for key in found):
        kept = {**cached, **found} if len(cached) + len(found) <= KEPT else found
        with contextlib.suppress(Exception):  # a cache that cannot be written is not used
            from voiceguide import atomic

            atomic.write_bytes(cache_path(), json.dumps(kept, separators=(",", ":")).encode())
    return out


def work_out(path: Path) -> Facts:
    """A script's facts, from the file itself."""
    from voiceguide import describe, library
    from voiceguide.fit import estimated_lengths, part_reach
    from voiceguide.pace import DEFAULT_PACE
    from voiceguide.script import Script

    session = library.load(str(path))
    lo, hi = describe.minutes(session)
    brief = describe.minutes(session, "brief")
    reach = part_reach(session, estimated_lengths(DEFAULT_PACE), DEFAULT_PACE) if isinstance(session, Script) else ()
    return Facts(
        name=session.name,
        path=str(path),
        kind=session.kind,
        title=session.title,
        audience=session.audience,
        areas=tuple(session.areas),
        equipment=tuple(session.equipment),
        position=session.position if isinstance(session, Script) else "",
        minutes=(lo, hi),
        minutes_brief=brief,
        part=(reach[0][0], reach[-1][1]) if reach else None,
        reach=reach,
    )


def _code_stamp() -> str:
    here = Path(__file__).resolve().parent
    stamps = [f"{FORMAT}", __version__]
    for module in DECIDING:
        with contextlib.suppress(OSError):
            info = (here / f"{module}.py").stat()
            stamps.append(f"{module}:{info.st_mtime_ns}:{info.st_size}")
    return ";".join(stamps)


def _read() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _to_json(facts: Facts) -> dict[str, Any]:
    return asdict(facts)


def _from_json(data: Any) -> Facts | None:
    """The facts kept in the cache, or None when the entry is not what this version writes."""
    try:
        part = data["part"]
        return Facts(
            name=str(data["name"]),
            path=str(data["path"]),
            kind=str(data["kind"]),
            title=str(data["title"]),
            audience=str(data["audience"]),
            areas=tuple(str(a) for a in data["areas"]),
            equipment=tuple(str(e) for e in data["equipment"]),
            position=str(data["position"]),
            minutes=(float(data["minutes"][0]), float(data["minutes"][1])),
            minutes_brief=(float(data["minutes_brief"][0]), float(data["minutes_brief"][1])),
            part=None if part is None else (float(part[0]), float(part[1])),
            reach=tuple((float(lo), float(hi)) for lo, hi in data["reach"]),
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return None
