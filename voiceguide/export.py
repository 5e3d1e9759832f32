"""Export: sessions as phone-ready files. Tagged MP3s (or M4B audiobooks, or both) with
chapters, LRC and WebVTT captions beside each, and an M3U8 playlist; with ``split``, every
chapter as its own file too.

Nothing is lost:
- every file this export would write is checked first; if any exists and ``force`` is off,
  nothing at all is written;
- each file is written under a hidden temporary name in its folder and renamed when whole,
  so a crash or a kill leaves earlier files intact and nothing half-written under a real name;
- an interruption removes the temporary files of the files in progress.

Work is split in two: first the speech for every track is made (once, on all cores, into the
shared cache), then the tracks are mixed and encoded, in parallel processes with ``jobs``.
Each track depends only on its script, options and the cache, so the bytes do not depend on
``jobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voiceguide import atomic, captions, cover, library, m4b, tags
from voiceguide.errors import OutputError, UsageError
from voiceguide.loudness import BackgroundMeter, warm_imports
from voiceguide.names import inside, slugify, unique
from voiceguide.render import (
    Prepared,
    Progress,
    RenderOptions,
    build_with,
    prepare,
    render_file,
    settled_choices,
    speech_store,
)
from voiceguide.samples import SAMPLE_RATE
from voiceguide.script import Routine, Session
from voiceguide.speech_cache import SpeechCache
from voiceguide.steps import Choice, Mark, build
from voiceguide.units import format_clock
from voiceguide.workers import Pool, Worker, cores

PLAYLIST = "voiceguide.m3u8"
LIBRARY_ALBUM = "voiceguide library"
FORMATS = ("mp3", "m4b", "wav")


@dataclass(frozen=True)
class ExportRequest:
    """``targets`` are library names or paths; ``sessions`` are sessions given as values (a
    plan's day, a session with notes), exported after the targets."""

    targets: tuple[str, ...]
    out_dir: Path
    options: RenderOptions = field(default_factory=RenderOptions)
    split: bool = False
    force: bool = False
    jobs: int | None = None
    fmt: str = "mp3"  # one format, or several joined by commas ("mp3,m4b"); the first leads
    sessions: tuple[Session, ...] = ()


def formats(fmt: str) -> tuple[str, ...]:
    """The formats named in ``--format``, in order and each once."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in fmt.split(",") if part.strip()))
    wrong = [name for name in names if name not in FORMATS]
    if wrong or not names:
        raise UsageError(f"--format takes mp3, m4b or wav, or several joined by commas (mp3,m4b), not {fmt!r}")
    return names


@dataclass(frozen=True)
class TrackJob:
    """One track to write: everything a worker process needs, and nothing else."""

    target: str
    slug: str
    number: int
    total: int
    out_dir: Path
    options: RenderOptions
    split: bool
    formats: tuple[str, ...]
    cache_dir: Path
    chapter_slugs: tuple[str, ...]
    choices: tuple[Choice, ...] | None = None  # where each technique sits in its ranges, once settled
    session: Session | None = None  # given as a value; otherwise loaded from ``target``

    def load(self) -> Session:
        return self.session if self.session is not None else library.load(self.target)

    @property
    def fmt(self) -> str:
        """The leading format: captions sit beside it, the playlist lists it, chapter files use it."""
        return self.formats[0]

    @property
    def audio(self) -> Path:
        return self.audio_in(self.fmt)

    def audio_in(self, fmt: str) -> Path:
        return inside(self.out_dir, f"{self.slug}.{fmt}")

    @property
    def folder(self) -> Path:
        return inside(self.out_dir, self.slug)

    def chapter_file(self, index: int, ext: str) -> Path:
        return inside(self.folder, f"{index + 1:02d}-{self.chapter_slugs[index]}.{ext}")

    def files(self) -> list[Path]:
        """Every file this track writes."""
        out = [self.audio, self.audio.with_suffix(".lrc"), self.audio.with_suffix(".vtt")]
        out += [self.audio_in(fmt) for fmt in self.formats[1:]]
        if self.split:
            for i in range(len(self.chapter_slugs)):
                out += [self.chapter_file(i, self.fmt), self.chapter_file(i, "lrc"), self.chapter_file(i, "vtt")]
            out.append(inside(self.folder, f"{self.slug}.m3u8"))
        return out


@dataclass(frozen=True)
class TrackResult:
    path: Path
    title: str
    seconds: float
    chapters: int
    loudness: float  # LUFS where the voice speaks (the mix's anchor; see levels.TARGET_LUFS)
    whole: float  # LUFS of the whole track
    files: tuple[Path, ...]


@dataclass(frozen=True)
class ExportResult:
    tracks: tuple[TrackResult, ...]
    playlist: Path


def track_jobs(request: ExportRequest, cache_dir: Path) -> list[TrackJob]:
    chosen = formats(request.fmt)
    if not request.targets and not request.sessions:
        raise UsageError("name at least one technique or routine to export, or use --all")
    if request.out_dir.exists() and not request.out_dir.is_dir():
        raise OutputError(f"{request.out_dir} is a file; -o needs a folder")
    sessions = [library.load(target) for target in request.targets] + list(request.sessions)
    given: list[Session | None] = [None] * len(request.targets) + list(request.sessions)
    slugs = unique([slugify(s.name) for s in sessions])
    jobs = []
    for number, (session, value, slug) in enumerate(zip(sessions, given, slugs, strict=True), 1):
        marks = [item.title for item in build(session).items if isinstance(item, Mark)]
        jobs.append(
            TrackJob(
                target=str(session.path),
                slug=slug,
                number=number,
                total=len(sessions),
                out_dir=request.out_dir,
                options=request.options,
                split=request.split,
                formats=chosen,
                cache_dir=cache_dir,
                chapter_slugs=tuple(unique([slugify(m, "chapter") for m in marks])),
                session=value,
            )
        )
    return jobs


def export(
    request: ExportRequest, progress: Progress | None = None, track_progress: Callable[[str], Progress] | None = None
) -> ExportResult:
    """Run an export. ``progress`` follows the speech stage; ``track_progress(slug)`` gives
    each track's own progress callback (in this process)."""
    warm_imports()
    cache = SpeechCache()
    jobs = track_jobs(request, cache.root)
    playlist = inside(request.out_dir, PLAYLIST)
    atomic.check_free([f for job in jobs for f in job.files()] + [playlist], request.force)
    try:
        request.out_dir.mkdir(parents=True, exist_ok=True)
        _sweep(jobs)
        jobs = _make_speech(jobs, request.options, cache, progress)
        results = _run(jobs, request.jobs, track_progress)
        atomic.write_bytes(playlist, m3u8([(r.seconds, r.title, r.path.name) for r in results]).encode("utf-8"))
    except BaseException:
        _sweep(jobs)  # what stopped workers left; this process removed its own
        raise
    return ExportResult(tuple(results), playlist)


def _make_speech(
    jobs: list[TrackJob], options: RenderOptions, cache: SpeechCache, progress: Progress | None
) -> list[TrackJob]:
    """Synthesise every sentence of every track once, on all cores, into the cache; return
    the jobs with their ranges settled."""
    from voiceguide.text import sentences

    store = speech_store(options, cache)
    phrases: list[str] = []
    settled = []
    for job in jobs:
        session = job.load()
        choices = settled_choices(session, options, store, progress)
        phrases += build_with(session, choices, options.guidance, options.callouts).phrases()
        settled.append(replace(job, choices=choices))
    units = list(dict.fromkeys(s for p in phrases for s in sentences(p)))
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress("speech", done[0], len(units))

    store.ensure(units, step)
    return settled


def _run(
    jobs: list[TrackJob], parallel: int | None, track_progress: Callable[[str], Progress] | None
) -> list[TrackResult]:
    count = max(1, min(parallel or cores(), len(jobs)))
    if count == 1:
        return [export_track(job, track_progress(job.slug) if track_progress else None) for job in jobs]

    def report(value: Any) -> None:  # a track's progress, sent by the worker that writes it
        slug, stage, done, total = value
        if track_progress:
            track_progress(slug)(stage, done, total)

    # Stopped in any way (an error, Ctrl-C), the pool stops its workers with SIGTERM: each
    # removes the temporary files of the track it was writing.
    with Pool[TrackJob, TrackResult](count, cleanup=True, name="export") as pool:
        return list(pool.map(_pooled_track, jobs, report))


def _pooled_track(job: TrackJob, worker: Worker) -> TrackResult:
    """In an export worker: one track, its progress sent to the owner."""
    return export_track(job, lambda stage, done, total: worker.report((job.slug, stage, done, total)))


def export_track(job: TrackJob, progress: Progress | None = None) -> TrackResult:
    """Write one track (and its captions, and its chapter files with ``split``)."""
    session = job.load()
    prepared = prepare(session, job.options, cache=SpeechCache(job.cache_dir), jobs=1, choices=job.choices)
    timeline = prepared.timeline
    album = session.title if isinstance(session, Routine) else LIBRARY_ALBUM
    meter = BackgroundMeter(SAMPLE_RATE, 2)
    audio = job.audio
    chapters = tags.chapter_table(timeline)
    track_tags = tags.TrackTags(
        title=timeline.title,
        album=album,
        number=job.number,
        total=job.total,
        comment=session.summary,
        length_ms=_ms(timeline.length),
        chapters=chapters,
        lyrics=tuple((line.text, int(round(line.start * 1000))) for line in captions.lines(timeline)),
        cover=cover.cover_png(timeline.title),
    )
    render_file(prepared, audio, progress=progress, taps=(meter.add,), finish=_tagger(track_tags, job.fmt))
    _write_captions(audio, captions.lines(timeline), timeline.title, album, timeline.duration)
    written = [audio, audio.with_suffix(".lrc"), audio.with_suffix(".vtt")]
    for fmt in job.formats[1:]:  # the same mix again, into each further format
        render_file(prepared, job.audio_in(fmt), finish=_tagger(track_tags, fmt))
        written.append(job.audio_in(fmt))
    if job.split:
        written += _split(job, prepared, session, track_tags)
    whole, speech = meter.result([(e.start, e.end) for e in timeline.speech()])
    return TrackResult(audio, timeline.title, timeline.duration, len(chapters), speech, whole, tuple(written))


def _split(job: TrackJob, prepared: Prepared, session: Session, track: tags.TrackTags) -> list[Path]:
    timeline = prepared.timeline
    entries: list[tuple[float, str, str]] = []
    written: list[Path] = []
    total = len(timeline.sections)
    for section in timeline.sections:
        start, end = section.start, timeline.section_end(section.index)
        path = job.chapter_file(section.index, job.fmt)
        items = captions.lines(timeline, start, end)
        seconds = (end - start) / timeline.sample_rate
        chapter_tags = tags.TrackTags(
            title=section.title,
            album=timeline.title,
            number=section.index + 1,
            total=total,
            comment=session.summary,
            length_ms=_ms(end - start),
            lyrics=tuple((line.text, int(round(line.start * 1000))) for line in items),
            cover=track.cover,
        )
        render_file(prepared, path, start=start, end=end, finish=_tagger(chapter_tags, job.fmt))
        _write_captions(path, items, section.title, timeline.title, seconds)
        entries.append((seconds, section.title, path.name))
        written += [path, path.with_suffix(".lrc"), path.with_suffix(".vtt")]
    playlist = inside(job.folder, f"{job.slug}.m3u8")
    atomic.write_bytes(playlist, m3u8(entries).encode("utf-8"))
    return written + [playlist]


def _tagger(values: tags.TrackTags, fmt: str) -> Callable[[Path], None] | None:
    """Tags the complete temporary file before it takes its name (a WAV carries none)."""
    if fmt == "m4b":
        return m4b.finisher(values)
    return (lambda temp: tags.write(temp, values)) if fmt == "mp3" else None


def _write_captions(audio: Path, items: list[captions.Line], title: str, album: str, seconds: float) -> None:
    atomic.write_bytes(
        audio.with_suffix(".lrc"), captions.lrc(items, title, album, tags.ARTIST, seconds).encode("utf-8")
    )
    atomic.write_bytes(audio.with_suffix(".vtt"), captions.vtt(items, title).encode("utf-8"))


def m3u8(entries: list[tuple[float, str, str]]) -> str:
    """An extended M3U playlist, UTF-8, with relative paths: (seconds, title, path) each."""
    lines = ["#EXTM3U"]
    for seconds, title, path in entries:
        lines += [f"#EXTINF:{int(round(seconds))},{' '.join(title.split())}", path]
    return "\n".join(lines) + "\n"


def _ms(samples: int) -> int:
    return int(round(samples * 1000 / SAMPLE_RATE))


def _sweep(jobs: list[TrackJob]) -> None:
    for folder in {job.out_dir for job in jobs} | {job.folder for job in jobs if job.split}:
        atomic.sweep(folder)


SUMMARY_COLUMNS = ("file", "length", "chapters", "speech loudness", "whole loudness")


def summary_rows(result: ExportResult) -> list[tuple[str, ...]]:
    """A row for each track, under SUMMARY_COLUMNS."""
    return [
        (str(r.path), format_clock(r.seconds), str(r.chapters), f"{r.loudness:.1f} LUFS", f"{r.whole:.1f} LUFS")
        for r in result.tracks
    ]
