"""M4B audiobooks: AAC in an MP4 file, with chapters, a cover and tags.

The mix is encoded to AAC by ``sinks.AacSink``; ``finisher`` then copies that audio, without
encoding it again, into an MP4 that carries the chapters twice over (a Nero ``chpl`` list and a
QuickTime chapter track, through ffmpeg's ``ipod`` muxer), the cover and the tags. The
chapters come from the same table as the MP3's ID3 chapters (``tags.chapter_table``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from voiceguide import atomic
from voiceguide.errors import OutputError, RenderError
from voiceguide.ffmpeg import tool
from voiceguide.tags import ARTIST, TrackTags

GENRE = "Audiobook"


def ffmetadata(tags: TrackTags) -> str:
    """The tags and chapters in ffmpeg's metadata file format (times in milliseconds)."""
    fields = {
        "title": tags.title,
        "artist": ARTIST,
        "album_artist": ARTIST,
        "album": tags.album,
        "track": f"{tags.number}/{tags.total}",
        "genre": GENRE,
        "comment": tags.comment,
    }
    lines = [";FFMETADATA1"] + [f"{key}={_escape(value)}" for key, value in fields.items() if value]
    for chapter in tags.chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={chapter.start_ms}",
            f"END={chapter.end_ms}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """ffmetadata escapes '=', ';', '#', '\\' and newlines with a backslash."""
    out = " ".join(value.split())
    for char in "\\=;#":
        out = out.replace(char, "\\" + char)
    return out


def finisher(tags: TrackTags) -> Callable[[Path], None]:
    """A ``render_file`` finish step: adds chapters, cover and tags to the complete AAC file."""
    return lambda temp: add_metadata(temp, tags)


def add_metadata(path: Path, tags: TrackTags) -> None:
    """Rewrite ``path`` (an MP4 with one AAC stream) with ``tags``: the audio is copied as it is."""
    meta, cover, remuxed = (atomic.temp_path(path.with_suffix(ext)) for ext in (".txt", ".png", path.suffix))
    try:
        meta.write_text(ffmetadata(tags), encoding="utf-8")
        command = [tool("ffmpeg"), "-v", "error", "-nostdin", "-y", "-i", str(path), "-i", str(meta)]
        maps = ["-map", "0:a"]
        if tags.cover:
            cover.write_bytes(tags.cover)
            command += ["-i", str(cover)]
            maps += ["-map", "2:v", "-disposition:v:0", "attached_pic"]
        command += maps + ["-c", "copy", "-map_metadata", "1", "-map_chapters", "1", "-f", "ipod", str(remuxed)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            detail = done.stderr.strip()
            for reason in ("No space left on device", "Read-only file system", "Permission denied"):
                if reason in detail:
                    raise OutputError(f"cannot write {path.name}: {reason}")
            last = detail.splitlines()[-1] if detail else f"exit code {done.returncode}"
            raise RenderError(f"could not add chapters to {path.name} (ffmpeg): {last}")
        remuxed.replace(path)
    finally:
        for leftover in (meta, cover, remuxed):
            leftover.unlink(missing_ok=True)
