"""Worker processes end with the process that started them.

A worker (a speech synthesiser holding the voice model, an export track, the export's queue
manager) is started with the ``spawn`` method, which hands it a pipe whose other end only its
parent holds: when the parent dies in any way, SIGKILL included, the pipe reads as closed.
``watch_parent`` waits on that pipe on a thread of its own; when it closes, the worker sends
itself SIGTERM (an export track removes its temporary files on the way out) and, if it is
still there a moment later, exits at once. Nothing is left behind to sit idle, and the
multiprocessing resource tracker, which stops when the last of them has gone, goes too.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time

GRACE = 2.0  # seconds a worker has to clean up after its parent has gone


def watch_parent() -> None:
    """Call first thing in a worker's initializer; does nothing in a process that was not
    started by multiprocessing."""
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if parent is None or sentinel is None:
        return

    def wait() -> None:
        multiprocessing.connection.wait([sentinel])
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(GRACE)
        os._exit(1)

    threading.Thread(target=wait, name="voiceguide-lifeline", daemon=True).start()
