"""The console entry: settles how the interpreter runs before the command line loads.

simpleaudio's playback threads free their memory with ``PyMem_Free`` without holding the
GIL. Under Python's own small-object allocator (pymalloc) that races with the main thread
and now and then corrupts the heap: ``play`` died with a segfault. With the C allocator
(``PYTHONMALLOC=malloc``) those frees are thread-safe. The allocator is fixed when the
interpreter starts, so ``play`` starts a fresh one with it, in the same process, before
anything heavy is imported.
"""

from __future__ import annotations

import os
import sys

PLAYS = frozenset({"play"})


def command(argv: list[str]) -> str | None:
    """The command word: the first argument that is not an option (the global ones are flags)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def pymalloc_on() -> bool:
    """Only pymalloc counts its blocks; under the C allocator the count is always 0."""
    return sys.getallocatedblocks() > 0


def main() -> None:
    argv = sys.argv[1:]
    if command(argv) in PLAYS and pymalloc_on() and os.environ.get("PYTHONMALLOC") != "malloc":
        env = {**os.environ, "PYTHONMALLOC": "malloc"}
        os.execve(sys.executable, [sys.executable, "-m", "voiceguide", *argv], env)
    from voiceguide.cli import main as cli_main

    cli_main()
