"""The sessions a server offers, and their files: each rendered once, into a cache.

A session's files live in a folder named by its content hash (the bytes of every script it
is made of, and the render options), written by the pipeline's own export, so a file in the
cache is always complete (export writes atomically). Renders run one at a time on a
background thread: ``prepare`` queues every offered session when the server starts, so the
feed fills without anyone asking; a session someone asks for goes to the front of the queue,
and a request for a session that is being rendered waits for that render. ``stop`` ends the
render under way at its next step (its temporary files removed) and drops the rest.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path

from voiceguide import __version__, describe, library, tags
from voiceguide.errors import UsageError
from voiceguide.export import ExportRequest, export
from voiceguide.names import slugify, unique
from voiceguide.pace import get_pace
from voiceguide.render import RenderOptions
from voiceguide.script import Script, Session
from voiceguide.sounds.music import open_music
from voiceguide.tags import Chapter
from voiceguide.voices import parse_spec

FORMATS = ("mp3", "m4b")
MIME = {"mp3": "audio/mpeg", "m4b": "audio/mp4", "vtt": "text/vtt", "png": "image/png"}


@dataclass(frozen=True)
class Listing:
    """One session on offer. ``slug`` names it in URLs; ``stem`` names its files."""

    slug: str
    stem: str
    session: Session
    title: str
    summary: str
    areas: tuple[str, ...]
    minutes: tuple[float, float]  # estimated range, before it is rendered
    digest: str  # the content hash: every script file the session is made of, and the options
    guid: str  # stable across restarts: the script's identity and the content hash


@dataclass(frozen=True)
class Rendered:
    """A session's files, complete on disk."""

    folder: Path
    stem: str
    duration_ms: int
    chapters: tuple[Chapter, ...]
    cover: bytes

    def path(self, kind: str) -> Path:
        return self.folder / f"{self.stem}.{kind}"


@dataclass
class Status:
    state: str = "new"  # new, waiting, rendering, ready, failed
    stage: str = ""
    done: int = 0
    total: int = 0
    renders: int = 0  # how many renders this server has started for it
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Preparation:
    """How far the offered sessions are: ``number`` is the place of the one being prepared
    (the sessions ready or failed, plus one), ``current`` its title ("" when none is)."""

    total: int
    ready: int
    failed: int
    number: int
    current: str


class _Stopped(Exception):
    """The server is stopping: the render under way ends here."""


def files_of(session: Session) -> list[Path]:
    """Every script file a session is made of, in order."""
    if isinstance(session, Script):
        return [session.path]
    out = [session.path]
    for entry in session.entries:
        out += files_of(entry.item)
    return out


def content_digest(session: Session, options: RenderOptions) -> str:
    """The options, the session as loaded (with any notes it was given) and every file it is made of."""
    digest = hashlib.sha256(json.dumps(asdict(options), sort_keys=True).encode())
    digest.update(repr(session).encode() + b"\0")
    for path in files_of(session):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def targets_of(names: list[str], every: bool, plan: bool = False) -> list[str]:
    """Names, script files and folders of scripts (searched deeply), as script targets."""
    out: list[str] = []
    for name in names:
        folder = Path(name)
        if folder.is_dir():
            found = library.scripts_in(folder)
            if not found:
                raise UsageError(f"{name}: no .yaml scripts in this folder")
            out += [str(p) for p in found]
        else:
            out.append(name)
    if every:
        out += [str(entry.path) for entry in library.entries()]
    if not out and not plan:
        raise UsageError("name at least one technique, routine or folder to serve, or use --all or --plan")
    return list(dict.fromkeys(out))


class Catalog:
    """The sessions on offer, with a renderer that makes each one's files once.

    ``today`` names the session to offer first (a plan's session for today), asked afresh
    each time, so that a server left running moves on at midnight."""

    def __init__(
        self,
        sessions: list[Session],
        options: RenderOptions,
        cache_dir: Path,
        today: Callable[[], str | None] = lambda: None,
    ) -> None:
        parse_spec(options.voice, get_pace(options.pace))  # a bad --voice or --pace is bad input now, not later
        if options.music:
            open_music(options.music, options.seed)
        self.options = options
        self.cache_dir = cache_dir
        self.today = today
        sessions = list({(s.name, str(s.path)): s for s in sessions}.values())  # each session once
        slugs = unique([slugify(s.name) for s in sessions])
        self.listings: dict[str, Listing] = {}
        for slug, session in zip(slugs, sessions, strict=True):
            digest = content_digest(session, options)
            self.listings[slug] = Listing(
                slug=slug,
                stem=slugify(session.name),
                session=session,
                title=session.title,
                summary=session.summary,
                areas=tuple(session.areas),
                minutes=describe.minutes(session),
                digest=digest,
                guid=f"voiceguide:{slugify(session.name)}:{digest[:20]}",
            )
        self._lock = threading.Lock()
        self._status: dict[tuple[str, str], Status] = {}
        self._pending: dict[tuple[str, str], Future[Rendered]] = {}
        self._queue: list[tuple[tuple[str, str], Future[Rendered]]] = []
        self._wake = threading.Condition(self._lock)
        self._known: dict[str, Rendered] = {}
        self._stopping = threading.Event()
        self.log: Callable[[str], None] = lambda _line: None
        self._worker = threading.Thread(target=self._work, name="voiceguide-render", daemon=True)
        self._worker.start()

    def prepare(self) -> None:
        """Queue every offered session that is not in the cache, in the order offered, behind
        anything already asked for. A session that fails is marked so; the others go on."""
        for listing in self.offered():
            self.request(listing, urgent=False)

    def stop(self) -> None:
        """End rendering now: the render under way stops at its next step (its speech workers
        are this process's children, and a render that loses them stops at once) and nothing
        queued starts. It returns at once, so a signal handler may call it; ``close`` waits."""
        if not self._stopping.is_set():
            self._stopping.set()
            threading.Thread(target=self._end, name="voiceguide-stop", daemon=True).start()

    def close(self, wait: float = 30.0) -> None:
        """Stop rendering and wait for the render under way to remove its temporary files."""
        self.stop()
        self._end()
        if self._worker is not threading.current_thread():
            self._worker.join(wait)

    def _end(self) -> None:
        import multiprocessing

        with self._lock:
            dropped, self._queue = self._queue, []
            for key, _future in dropped:
                del self._pending[key]
                self._status[key].state = "new"
            self._wake.notify_all()
        for _key, future in dropped:
            future.cancel()  # a request waiting for it is told that the server is stopping
        for child in multiprocessing.active_children():
            child.terminate()

    def offered(self) -> list[Listing]:
        """The sessions in the order a person sees them: today's first, then as given."""
        first = self.today()
        return sorted(self.listings.values(), key=lambda listing: listing.session.name != first)

    def is_today(self, listing: Listing) -> bool:
        return listing.session.name == self.today()

    def listing(self, slug: str) -> Listing:
        """The session named ``slug``; KeyError when there is none."""
        return self.listings[slug]

    def folder(self, listing: Listing) -> Path:
        key = hashlib.sha256(f"{listing.digest}:{__version__}".encode()).hexdigest()[:24]
        return self.cache_dir / f"{listing.stem}-{key}"

    def ready(self, listing: Listing, fmt: str = "mp3") -> Rendered | None:
        """The session's files if ``fmt`` is complete on disk (the MP3 is always made first)."""
        if not self._complete(listing, fmt):
            return None
        folder = self.folder(listing)
        with self._lock:
            known = self._known.get(listing.slug)
        if known is None or known.folder != folder:
            known = _read(folder, listing.stem)
            with self._lock:
                self._known[listing.slug] = known
        return known

    def _complete(self, listing: Listing, fmt: str) -> bool:
        folder = self.folder(listing)
        return all((folder / f"{listing.stem}.{kind}").is_file() for kind in dict.fromkeys(["mp3", "vtt", fmt]))

    def preparation(self) -> Preparation:
        """How far the offered sessions are, counted afresh from their states."""
        states = [(listing, self.status(listing).state) for listing in self.offered()]
        ready = sum(state == "ready" for _listing, state in states)
        failed = sum(state == "failed" for _listing, state in states)
        busy = [listing for listing, state in states if state == "rendering"]
        busy += [listing for listing, state in states if state == "waiting"]
        current = busy[0].title if busy else ""
        return Preparation(len(states), ready, failed, ready + failed + 1 if busy else 0, current)

    def status(self, listing: Listing, fmt: str = "mp3") -> Status:
        with self._lock:
            status = self._status.get((listing.slug, fmt))
            if status is not None and status.state in ("waiting", "rendering", "failed"):
                return Status(**asdict(status))
        if self.ready(listing, fmt) is not None:
            return Status("ready", renders=status.renders if status else 0)
        return Status(**asdict(status)) if status else Status()

    def request(self, listing: Listing, fmt: str = "mp3", urgent: bool = True) -> Future[Rendered]:
        """The session's files in ``fmt``: at once when cached, else after the one render that
        makes them (queued now, or already queued or under way). An ``urgent`` request goes
        to the front of the queue, and moves the session there if it was waiting already."""
        if fmt not in FORMATS:
            raise KeyError(fmt)
        done = self.ready(listing, fmt)
        future: Future[Rendered] = Future()
        if done is not None:
            future.set_result(done)
            return future
        key = (listing.slug, fmt)
        with self._lock:
            if self._stopping.is_set():
                future.cancel()
                return future
            if key in self._pending:
                queued = [entry for entry in self._queue if entry[0] == key]
                if urgent and queued:
                    self._queue.remove(queued[0])
                    self._queue.insert(0, queued[0])
                return self._pending[key]
            finished = self._complete(listing, fmt)  # by a render that ended since the look above
            if not finished:
                status = self._status.setdefault(key, Status())
                status.state, status.stage, status.done, status.total, status.error = "waiting", "", 0, 0, ""
                status.renders += 1
                self._pending[key] = future
                self._queue.insert(0 if urgent else len(self._queue), (key, future))
                self._wake.notify()
        if finished:
            return self.request(listing, fmt)
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping.is_set():
                    self._wake.wait()
                if self._stopping.is_set():
                    return
                key, future = self._queue.pop(0)
            listing = self.listings[key[0]]
            try:
                result = self._render(listing, key[1])
            except BaseException as exc:  # handed to every waiting request
                stopped = self._stopping.is_set()
                with self._lock:
                    self._status[key].state, self._status[key].error = ("new", "") if stopped else ("failed", str(exc))
                    del self._pending[key]
                if stopped:
                    future.cancel()  # a request waiting for it is told that the server is stopping
                    return
                self.log(f"could not render {listing.slug}: {exc}")
                future.set_exception(exc)
                continue
            with self._lock:
                self._status[key].state = "ready"
                del self._pending[key]
            future.set_result(result)

    def _render(self, listing: Listing, fmt: str) -> Rendered:
        key = (listing.slug, fmt)

        def progress(stage: str, done: int, total: int) -> None:
            if self._stopping.is_set():
                raise _Stopped  # export removes its temporary files on the way out
            with self._lock:
                status = self._status[key]
                status.state, status.stage, status.done, status.total = "rendering", stage, done, total

        with self._lock:
            self._status[key].state = "rendering"
        self.log(f"rendering {listing.slug} ({fmt})")
        started = time.perf_counter()
        folder = self.folder(listing)
        formats = fmt if self.ready(listing) else ",".join(dict.fromkeys(["mp3", fmt]))
        request = ExportRequest((), folder, self.options, force=True, jobs=1, fmt=formats, sessions=(listing.session,))
        export(request, progress=progress, track_progress=lambda _slug: progress)
        self.log(f"ready {listing.slug} ({fmt}) in {time.perf_counter() - started:.1f} s")
        done = self.ready(listing, fmt)
        if done is None:
            raise RuntimeError(f"the render of {listing.slug} left no {fmt} file")
        return done


def _read(folder: Path, stem: str) -> Rendered:
    """The chapter table, length and cover, from the MP3's own ID3 tags."""
    written = tags.read(folder / f"{stem}.mp3")
    return Rendered(folder, stem, written.length_ms, written.chapters, written.cover)
