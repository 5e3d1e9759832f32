"""Worker processes: every pool of them, and its life, in one place.

Two kinds of work run in processes of their own: speech synthesis (each worker holds a voice
model: ``speech``) and export tracks (each worker mixes and encodes whole tracks: ``export``).
Both use ``Pool``; nothing else in voiceguide starts Python processes.

A pool lives on one thread, the one that made it: that thread starts the workers, hands them
tasks, reads their answers and, in ``close`` (the end of its ``with`` block, however the block
ends), stops the workers and waits for them, in that order. Another thread may only ask it to
stop (``Stop.set``); the owner sees the request at once, as it waits on the stop's pipe too,
and raises ``Stopped`` there, which closes the pool on the owner's own thread.

- Workers start with ``spawn`` and talk to the owner over a pipe each: no semaphores, no
  queue threads, no manager process. Nothing a starting worker needs can be taken from it by
  a parent that is exiting, so a worker never fails (and prints) for that.
- A worker ends with its parent, however the parent ends, SIGKILL included (``watch_parent``).
- Ctrl-C is for the owner alone: a worker starts with SIGINT blocked (a signal mask is
  inherited) and then ignores it; the owner decides, and stops its workers with SIGTERM.
- SIGTERM kills a speech worker at once (the default action, even inside the model); a
  worker with ``cleanup`` raises KeyboardInterrupt instead, so the track it writes removes
  its temporary files, and then exits quietly.
- A worker whose parent has gone (its pipe reads as closed) exits quietly, never with a
  traceback.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from types import TracebackType
from typing import Any, Generic, TypeVar

from voiceguide.errors import RenderError

GRACE = 2.0  # seconds a worker has to clean up after its parent has gone, or after SIGTERM

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Stopped(Exception):
    """The pool's owner was asked to stop (``Stop.set``) before its work was done."""


class WorkerLost(RenderError):
    """A worker process ended in the middle of its work (killed, or out of memory)."""


class Stop:
    """A request to stop, made from any thread, that a pool's owner sees at once."""

    def __init__(self) -> None:
        self._reader, self._writer = multiprocessing.Pipe(duplex=False)
        self._event = threading.Event()
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            if not self._event.is_set():
                self._event.set()
                self._writer.send_bytes(b"")  # wakes an owner waiting on its workers

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Stopped("stopped before it was done")

    def fileno(self) -> int:
        return self._reader.fileno()


class Worker:
    """What a task sees of the worker running it: ``state``, what the pool's ``start`` made
    there (a voice, say), and ``report``, which sends a value to the owner's ``on_report``."""

    def __init__(self, state: Any, conn: Connection) -> None:
        self.state = state
        self._conn = conn

    def report(self, value: object) -> None:
        self._conn.send(("report", value))


Task = Callable[[T, Worker], R]


class Pool(Generic[T, R]):
    """``count`` worker processes. ``start(*args)`` runs first in each; its result is every
    task's ``worker.state`` there. Use it in a ``with`` block on the thread that made it."""

    def __init__(
        self,
        count: int,
        start: Callable[..., object] | None = None,
        args: tuple[object, ...] = (),
        *,
        cleanup: bool = False,
        stop: Stop | None = None,
        name: str = "worker",
    ) -> None:
        self._stop = stop
        self._workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        context = multiprocessing.get_context("spawn")
        resource_tracker.ensure_running()  # first: starting it unblocks SIGINT in this thread
        try:
            for number in range(1, count + 1):
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=_serve, args=(theirs, start, args, cleanup), name=f"voiceguide-{name}-{number}", daemon=True
                )
                blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    process.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                theirs.close()  # the worker's end is the worker's alone: its death reads as the end of the pipe
                self._workers.append((process, ours))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Pool[T, R]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def map(self, task: Task[T, R], items: Iterable[T], on_report: Callable[[Any], None] | None = None) -> Iterator[R]:
        """``task(item, worker)`` for each item, on the workers; the results in the items' order.
        ``task`` must be a module-level function (spawn sends it by name)."""
        todo = deque(enumerate(items))
        total, given = len(todo), 0
        done: dict[int, R] = {}
        idle = [conn for _process, conn in self._workers]
        busy: dict[Connection, int] = {}
        while given < total:
            while idle and todo:
                conn = idle.pop()
                index, item = todo.popleft()
                conn.send((task, item))
                busy[conn] = index
            if given in done:
                yield done.pop(given)
                given += 1
                continue
            waiting: list[Any] = [*busy, self._stop] if self._stop is not None else [*busy]
            ready = multiprocessing.connection.wait(waiting)
            if self._stop is not None:
                self._stop.check()
            for conn in busy.copy():
                if conn not in ready:
                    continue
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    raise WorkerLost("a worker process stopped unexpectedly") from None
                if kind == "report":
                    if on_report is not None:
                        on_report(value)
                    continue
                if kind == "failed":
                    raise value
                done[busy.pop(conn)] = value
                idle.append(conn)

    def close(self) -> None:
        """Stop every worker (SIGTERM) and wait for each; one still there after ``GRACE`` is killed."""
        workers, self._workers = self._workers, []
        for process, _conn in workers:
            process.terminate()
        for process, conn in workers:
            conn.close()
            process.join(GRACE)
            if process.exitcode is None:
                process.kill()
                process.join()
            process.close()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _serve(conn: Connection, start: Callable[..., object] | None, args: tuple[object, ...], cleanup: bool) -> None:
    """A worker's life: start, then answer tasks until the owner closes the pipe or stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # drops a Ctrl-C that came while this process started
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if cleanup:
        signal.signal(signal.SIGTERM, _interrupt)
    watch_parent()  # before anything slow: a parent killed meanwhile takes this worker with it
    try:
        failure: BaseException | None = None
        state: object = None
        if start is not None:
            try:
                state = start(*args)
            except Exception as exc:  # each task answers with it: the owner raises it
                failure = exc
        worker = Worker(state, conn)
        while True:
            try:
                task, item = conn.recv()
            except EOFError:  # the owner has closed the pool, or gone
                return
            if failure is not None:
                _answer(conn, ("failed", failure))
                continue
            try:
                answer = ("done", task(item, worker))
            except Exception as exc:
                answer = ("failed", exc)
            _answer(conn, answer)
    except KeyboardInterrupt:  # stopped by the owner; a task's temporary files are removed by now
        os._exit(130)
    except OSError:  # the owner has gone
        os._exit(1)


def _answer(conn: Connection, answer: tuple[str, object]) -> None:
    try:
        data = ForkingPickler.dumps(answer)
    except Exception as exc:  # an answer that cannot travel becomes a failure that can
        data = ForkingPickler.dumps(("failed", RenderError(f"a worker's answer could not be sent back ({exc})")))
    conn.send_bytes(data)


def watch_parent() -> None:
    """In a worker: end this process when its parent ends, however it ends.

    A worker started by ``spawn`` holds a pipe whose other end only its parent holds: when the
    parent dies in any way, SIGKILL included, the pipe reads as closed. A thread waits on it;
    when it closes, the worker sends itself SIGTERM (a track being exported removes its
    temporary files on the way out) and, if it is still there ``GRACE`` seconds later, exits
    at once. Nothing is left behind to sit idle, and the multiprocessing resource tracker,
    which stops when the last of them has gone, goes too. Does nothing in a process that
    multiprocessing did not start."""
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
