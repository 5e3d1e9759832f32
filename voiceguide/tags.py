"""ID3v2.3 tags for exported MP3s, written with mutagen: the usual fields, a cover, synced
lyrics (SYLT), and chapters: a CHAP frame per section plus one top-level, ordered CTOC
listing them all (some players show no chapters without it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, SYLT, TALB, TCON, TIT2, TLEN, TPE1, TRCK, CTOCFlags, Encoding
from mutagen.id3._tags import save_frame

from voiceguide.errors import RenderError
from voiceguide.timeline import Timeline

ARTIST = "voiceguide"
GENRE = "Spoken Word"
NO_OFFSET = 0xFFFFFFFF


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int


def chapter_table(timeline: Timeline) -> tuple[Chapter, ...]:
    """One chapter per section, in milliseconds: the table behind the ID3 chapters, the M4B
    chapters and the podcast feed's chapters file alike."""
    ms = 1000 / timeline.sample_rate
    return tuple(
        Chapter(s.title, int(round(s.start * ms)), int(round(timeline.section_end(s.index) * ms)))
        for s in timeline.sections
    )


@dataclass(frozen=True)
class TrackTags:
    title: str
    album: str
    number: int
    total: int
    comment: str
    length_ms: int
    chapters: tuple[Chapter, ...] = ()
    lyrics: tuple[tuple[str, int], ...] = ()  # (text, start in ms)
    cover: bytes = b""


class _InOrder(ID3):
    """An ID3 tag that stores its frames in the order they were added. mutagen's own order is by
    kind, then by size, which put the chapters out of time order (shortest title first); players
    that list the CHAP frames as they come rather than by the CTOC (ffmpeg's reader, and with it
    mpv and VLC) showed them so. The tests check the order ffprobe reads."""

    def _write(self, config: object) -> bytearray:
        return bytearray().join(save_frame(frame, config=config) for frame in self.values())


def write(path: Path, tags: TrackTags) -> None:
    """Replace the ID3 tag of ``path`` (an MP3 being written) with ``tags``: the text frames
    first, then the lyrics and the chapters in time order, the cover last (players read the
    start of a file first)."""
    id3 = _InOrder()
    utf16 = Encoding.UTF16  # ID3v2.3 has no UTF-8; UTF-16 keeps every title intact
    id3.add(TIT2(encoding=utf16, text=[tags.title]))
    id3.add(TPE1(encoding=utf16, text=[ARTIST]))
    id3.add(TALB(encoding=utf16, text=[tags.album]))
    id3.add(TRCK(encoding=Encoding.LATIN1, text=[f"{tags.number}/{tags.total}"]))
    id3.add(TCON(encoding=Encoding.LATIN1, text=[GENRE]))
    id3.add(TLEN(encoding=Encoding.LATIN1, text=[str(tags.length_ms)]))
    if tags.comment:
        id3.add(COMM(encoding=utf16, lang="eng", desc="", text=[tags.comment]))
    if tags.lyrics:
        id3.add(SYLT(encoding=utf16, lang="eng", format=2, type=1, desc="", text=list(tags.lyrics)))
    ids = [f"chp{i}" for i in range(len(tags.chapters))]
    for element, chapter in zip(ids, tags.chapters, strict=True):
        id3.add(
            CHAP(
                element_id=element,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=NO_OFFSET,
                end_offset=NO_OFFSET,
                sub_frames=[TIT2(encoding=utf16, text=[chapter.title])],
            )
        )
    if ids:
        id3.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=utf16, text=[tags.title])],
            )
        )
    if tags.cover:
        id3.add(APIC(encoding=Encoding.LATIN1, mime="image/png", type=3, desc="Cover", data=tags.cover))
    try:
        id3.save(str(path), v2_version=3, padding=lambda info: 1024)
    except MutagenError as exc:  # mutagen wraps the OSError (a full disk, say): hand that on
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc.__cause__
        if isinstance(cause, OSError):
            raise cause from None
        raise RenderError(f"could not write the tags of {path.name}: {exc}") from None


def read(path: Path) -> TrackTags:
    """The tags ``write`` gave ``path``, read back from the file (chapters in time order)."""
    id3 = ID3(str(path))

    def text(frame: str) -> str:
        return str(id3[frame]) if frame in id3 else ""

    number, _, total = text("TRCK").partition("/")
    chapters = sorted(
        (Chapter(str(c.sub_frames["TIT2"]), c.start_time, c.end_time) for c in id3.getall("CHAP")),
        key=lambda c: c.start_ms,
    )
    comments = id3.getall("COMM")
    covers = id3.getall("APIC")
    return TrackTags(
        title=text("TIT2"),
        album=text("TALB"),
        number=int(number or 0),
        total=int(total or 0),
        comment=str(comments[0].text[0]) if comments else "",
        length_ms=int(text("TLEN") or 0),
        chapters=tuple(chapters),
        cover=bytes(covers[0].data) if covers else b"",
    )
