"""The speech cache: one file per synthesised sentence, shared by every render.

- Where: ``VOICEGUIDE_CACHE_DIR``, or the platform's user cache folder.
- Key: a hash of the voice's identity (engine, voice, model, settings) and the text.
- Entry: a small header (rate, sample count, SHA-256 of the samples) and int16 samples.
- Writes are atomic: a temporary file in the same folder, then a hard link to the final
  name. The first writer wins and every process then uses what is on disk, so two renders
  racing over one cache produce identical output.
- Reads verify length and checksum; a damaged entry reads as missing and is replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.errors import OutputError

FORMAT = 2
_MAGIC = b"VGCLIP1\n"


@dataclass(frozen=True)
class Entry:
    """One cached sentence: int16 mono ``samples`` at ``rate`` Hz."""

    samples: np.ndarray
    rate: int


def default_dir() -> Path:
    override = os.environ.get("VOICEGUIDE_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("voiceguide")) / "speech"


def key(identity: dict[str, object], text: str) -> str:
    blob = json.dumps({"format": FORMAT, "voice": identity, "text": text}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class SpeechCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_dir()

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest[2:]}.clip"

    def read(self, digest: str) -> Entry | None:
        """The entry, or None when it is missing or damaged."""
        try:
            data = self.path(digest).read_bytes()
        except OSError:
            return None
        return _decode(data)

    def store(self, digest: str, entry: Entry) -> Entry:
        """Write ``entry`` unless a valid one is there already; return the one on disk."""
        path = self.path(digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(_encode(entry))
                    out.flush()
                    os.fsync(out.fileno())
                try:
                    os.link(temp, path)  # first writer wins
                except FileExistsError:
                    existing = self.read(digest)
                    if existing is not None:
                        return existing
                    os.replace(temp, path)  # heal a damaged entry
                return entry
            finally:
                if os.path.exists(temp):
                    os.unlink(temp)
        except OSError as exc:
            raise OutputError(
                f"cannot write the speech cache in {self.root} ({exc.strerror or exc}); "
                "set VOICEGUIDE_CACHE_DIR to a writable folder"
            ) from None


def _encode(entry: Entry) -> bytes:
    payload = np.ascontiguousarray(entry.samples, dtype="<i2").tobytes()
    header = {"rate": entry.rate, "samples": len(entry.samples), "sha256": hashlib.sha256(payload).hexdigest()}
    return _MAGIC + json.dumps(header).encode("ascii") + b"\n" + payload


def _decode(data: bytes) -> Entry | None:
    if not data.startswith(_MAGIC):
        return None
    end = data.find(b"\n", len(_MAGIC))
    if end < 0:
        return None
    try:
        header = json.loads(data[len(_MAGIC) : end])
        rate, count, digest = int(header["rate"]), int(header["samples"]), str(header["sha256"])
    except (ValueError, KeyError, TypeError):
        return None
    payload = data[end + 1 :]
    if len(payload) != 2 * count or count <= 0 or not 4000 <= rate <= 192000:
        return None
    if hashlib.sha256(payload).hexdigest() != digest:
        return None
    return Entry(np.frombuffer(payload, dtype="<i2").copy(), rate)
