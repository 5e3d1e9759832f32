"""Safe file names: slugs from script names and titles, always inside the output folder."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from voiceguide.errors import OutputError

MAX_SLUG = 60


def slugify(text: str, fallback: str = "session") -> str:
    """Lower-case ASCII words joined by hyphens: no dots, slashes or control characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"(?<=\w)'(?=\w)", "", ascii_text)  # "Child's" is "childs", not "child-s"
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:MAX_SLUG].strip("-")
    return slug or fallback


def unique(slugs: list[str]) -> list[str]:
    """The slugs with -2, -3 ... added where one repeats."""
    seen: dict[str, int] = {}
    out = []
    for slug in slugs:
        seen[slug] = seen.get(slug, 0) + 1
        out.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return out


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing anything that would land outside ``folder``."""
    target = (folder / name).resolve()
    base = folder.resolve()
    if target.parent != base and base not in target.parents:
        raise OutputError(f"refusing to write {name!r} outside {folder}")
    return folder / name
