"""The built-in library of techniques and routines, and how names and paths resolve.

A name (``childs-pose``) resolves to the library; anything that looks like a path resolves
to that file. The library is ``scripts/`` beside the package in a source checkout, or the
copy installed inside the package; ``VOICEGUIDE_LIBRARY`` points elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import UsageError, did_you_mean
from voiceguide.script import Session

SUFFIXES = (".yaml", ".yml")


def library_dir() -> Path:
    override = os.environ.get("VOICEGUIDE_LIBRARY")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    installed = here / "_library"
    return installed if installed.is_dir() else here.parent / "scripts"


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    path: Path


def entries(root: Path | None = None) -> list[LibraryEntry]:
    """Every script in the library: techniques first, then routines, each sorted by name."""
    root = root or library_dir()
    if not root.is_dir():
        return []
    files = scripts_in(root, deep=False) + scripts_in(root / "routines", deep=False)
    return [LibraryEntry(p.stem, p) for p in files]


def scripts_in(folder: Path, deep: bool = True) -> list[Path]:
    """The script files in a folder, sorted; hidden names (an editor's lock or backup) are skipped."""
    found = folder.rglob("*") if deep else folder.glob("*")
    visible = (p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return sorted(p for p in visible if p.suffix in SUFFIXES and p.is_file())


class Resolver:
    """Finds the file a routine entry names: beside the routine first, then the library."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or library_dir()

    def __call__(self, name: str, origin: Path) -> Path | None:
        if "/" in name or "\\" in name or name.startswith("."):
            return None
        for folder in (origin.parent, origin.parent.parent):
            for suffix in SUFFIXES:
                candidate = folder / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
        return find(name, self.root)

    def names(self) -> list[str]:
        return [e.name for e in entries(self.root)]


def find(name: str, root: Path | None = None) -> Path | None:
    for entry in entries(root):
        if entry.name == name:
            return entry.path
    return None


def looks_like_path(target: str) -> bool:
    return "/" in target or os.sep in target or target.endswith(SUFFIXES) or Path(target).is_file()


def resolve(target: str) -> Path:
    """The file for a library name or a path; a UsageError when there is none."""
    if looks_like_path(target):
        given = Path(target)
        if not given.exists():
            raise UsageError(f"{target}: no such file")
        return given
    path = find(target)
    if path is None:
        names = [e.name for e in entries()]
        hint = did_you_mean(target, names) or "; see `voiceguide list`"
        raise UsageError(f"no technique or routine named {target!r}{hint}")
    return path


def load(target: str) -> Session:
    """Resolve and load a library name or a path."""
    from voiceguide.loader import load_session  # here: listing the library (from its cache) needs no YAML

    return load_session(resolve(target), Resolver())
