"""The practice history: one SQLite file in the user's data folder, the only module with SQL.

WAL mode lets a reader and a writer work at once, and ``log`` commands run together all land
(each waits its turn for the write lock). The schema's version is ``PRAGMA user_version``;
each change is a small function in ``MIGRATIONS``, run in order under an exclusive lock, and
a copy of the file is kept before each. A file that is damaged or comes from a newer
voiceguide is never changed: the user gets one line naming it.

Times are stored in UTC (ISO 8601 with ``Z``) with the user's zone beside them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import VoiceguideError

BUSY_SECONDS = 60.0


class HistoryError(VoiceguideError):
    """The history file cannot be used: damaged, from a newer voiceguide, or not writable."""


@dataclass(frozen=True)
class Practice:
    """One practice: ``started`` in UTC, ``heard`` and ``length`` in seconds."""

    started: dt.datetime
    zone: str
    session: str
    title: str
    heard: float
    finished: bool
    source: str  # "play" or "log"
    length: float | None = None
    skipped: tuple[str, ...] = ()
    note: str = ""
    before: int | None = None  # tension or pain, 0 to 10
    after: int | None = None
    areas: tuple[str, ...] = ()
    id: int = 0

    @property
    def local(self) -> dt.datetime:
        from zoneinfo import ZoneInfo

        return self.started.astimezone(ZoneInfo(self.zone))


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE practice (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_utc TEXT NOT NULL,
            zone TEXT NOT NULL,
            session TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            heard_seconds REAL NOT NULL,
            length_seconds REAL,
            finished INTEGER NOT NULL,
            skipped TEXT NOT NULL DEFAULT '[]',
            source TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            before INTEGER,
            after INTEGER
        )"""
    )


def _v2_areas(db: sqlite3.Connection) -> None:
    """The areas a practice worked, for progress; and an index on the time."""
    db.execute("ALTER TABLE practice ADD COLUMN areas TEXT NOT NULL DEFAULT '[]'")
    db.execute("CREATE INDEX practice_started ON practice (started_utc)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2_areas)
COLUMNS = (
    "started_utc, zone, session, title, heard_seconds, length_seconds, finished, skipped, source, note, before, "
    "after, areas"
)


def _damaged(path: Path, why: str) -> HistoryError:
    return HistoryError(
        f"{path}: the practice history is damaged ({why}); your plan and notes are safe. "
        f"Move the file aside (mv '{path}' '{path}.damaged') and voiceguide starts a new history"
    )


@contextlib.contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """The history, brought up to date; a HistoryError when it cannot be used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"{path}: cannot open the practice history: {exc}") from None
    try:
        try:
            _bring_up_to_date(db, path)
        except sqlite3.OperationalError as exc:
            if any(word in str(exc) for word in ("readonly", "unable to open", "full")):
                raise HistoryError(f"{path}: cannot write the practice history: {exc}") from None
            raise _damaged(path, str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise _damaged(path, str(exc)) from None
        yield db
    finally:
        db.close()


def _bring_up_to_date(db: sqlite3.Connection, path: Path) -> None:
    version = _check(db, path)
    if version == len(MIGRATIONS):
        return
    with _file_lock(path):  # every migration takes this lock: one process migrates, the others wait
        version = _check(db, path)  # another process may have migrated it meanwhile
        if version == len(MIGRATIONS):
            return
        if version > 0:
            _backup(db, path, version)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN EXCLUSIVE")
        try:
            for number in range(version, len(MIGRATIONS)):
                MIGRATIONS[number](db)
                db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _check(db: sqlite3.Connection, path: Path) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise HistoryError(
            f"{path}: this practice history was written by a newer voiceguide (schema {version}; this one "
            f"knows up to {len(MIGRATIONS)}); update voiceguide to use it. It was left unchanged"
        )
    result = db.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise _damaged(path, str(result))
    return version


def _backup(db: sqlite3.Connection, path: Path, version: int) -> None:
    """A whole copy of the file as it is, before a migration changes it."""
    target = path.with_name(f"{path.name}.schema-{version}.bak")
    if target.exists():
        target = path.with_name(f"{path.name}.schema-{version}.{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.bak")
    temp = target.with_name(f".{target.name}.tmp")
    copy = sqlite3.connect(temp)
    try:
        db.backup(copy)
    finally:
        copy.close()
    shutil.move(temp, target)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def add(path: Path, practice: Practice) -> int:
    """Record a practice; its new id."""
    with opened(path) as db:
        try:
            cursor = db.execute(
                f"INSERT INTO practice ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    utc_text(practice.started),
                    practice.zone,
                    practice.session,
                    practice.title,
                    practice.heard,
                    practice.length,
                    int(practice.finished),
                    json.dumps(list(practice.skipped)),
                    practice.source,
                    practice.note,
                    practice.before,
                    practice.after,
                    json.dumps(list(practice.areas)),
                ),
            )
        except sqlite3.Error as exc:
            raise HistoryError(f"{path}: cannot write the practice history: {exc}") from None
        return int(cursor.lastrowid or 0)


def entries(path: Path) -> list[Practice]:
    """Every practice, oldest first (none when there is no history yet)."""
    if not path.exists():
        return []
    with opened(path) as db:
        try:
            rows = db.execute(f"SELECT id, {COLUMNS} FROM practice ORDER BY started_utc, id").fetchall()
        except sqlite3.DatabaseError as exc:
            raise _damaged(path, str(exc)) from None
    return [
        Practice(
            id=row[0],
            started=parse_utc(row[1]),
            zone=row[2],
            session=row[3],
            title=row[4],
            heard=row[5],
            length=row[6],
            finished=bool(row[7]),
            skipped=tuple(json.loads(row[8])),
            source=row[9],
            note=row[10],
            before=row[11],
            after=row[12],
            areas=tuple(json.loads(row[13])),
        )
        for row in rows
    ]


def utc_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a practice time needs its zone")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
