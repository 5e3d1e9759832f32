"""Safe file writing: a temporary file in the same folder, renamed over the target when
complete. A crash, a kill or Ctrl-C leaves either the old file or the new one, never half
of one; the temporary file is removed on any error or interruption."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from voiceguide.errors import OutputError

TEMP_MARK = ".voiceguide-tmp-"
STALE_SECONDS = 6 * 3600


def temp_path(target: Path) -> Path:
    """A hidden name beside ``target`` that names the writing process and keeps the suffix
    (so tools know the format): ``.name.voiceguide-tmp-PID-RANDOM.mp3``."""
    return target.with_name(f".{target.stem}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}")


def conflicts(targets: Iterable[Path]) -> list[Path]:
    return [t for t in targets if t.exists() or t.is_symlink()]


def check_free(targets: Iterable[Path], force: bool) -> None:
    """Refuse, changing nothing, when any target exists and ``force`` is off."""
    taken = conflicts(targets)
    if taken and not force:
        listing = "\n".join(f"  {t}" for t in taken)
        raise OutputError(f"these files exist already; nothing was written (use --force to replace them):\n{listing}")


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically."""
    temp = temp_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
        _sync_dir(target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # gone already, or a read-only folder that never held it
            temp.unlink()


def write_bytes(target: Path, data: bytes) -> None:
    with replacing(target) as temp:
        temp.write_bytes(data)


def sweep(folder: Path) -> None:
    """Remove temporary files that a killed earlier run left behind in ``folder``: those
    whose writing process is gone (or that are hours old). A run still going in the same
    folder is left alone."""
    now = time.time()
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f".*{TEMP_MARK}*"):
            with contextlib.suppress(OSError, ValueError):
                pid = int(leftover.name.split(TEMP_MARK, 1)[1].split("-", 1)[0])
                if not _alive(pid) or now - leftover.stat().st_mtime > STALE_SECONDS:
                    leftover.unlink()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` can still write. A killed process whose parent died too stays
    a zombie until something reaps it, and a zombie writes nothing more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): the signal said it exists
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
