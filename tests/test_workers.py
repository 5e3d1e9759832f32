"""Worker processes: a pool answers in order, reports progress, stops when asked from another
thread and leaves no process behind; ``play`` over an empty speech cache, quit while its speech
workers start or speak, or stopped by a missing sound device, says nothing more than it should."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voiceguide.errors import UsageError
from voiceguide.workers import Pool, Stop, Stopped, Worker, WorkerLost

from .support.cold_play import quit_during_synthesis, speech_workers
from .support.processes import descendants, poll, processes


def _square(n: int, worker: Worker) -> int:
    worker.report(("squaring", n))
    return n * n + worker.state


def _offset(value: int) -> int:
    return value


def _refuse(_value: int) -> int:
    raise UsageError("no start for you")


def _fail_on_three(n: int, _worker: Worker) -> int:
    if n == 3:
        raise UsageError("three is not allowed")
    return n


def _wait_forever(n: int, _worker: Worker) -> int:
    time.sleep(600)
    return n


def _gone(pids: set[int]) -> bool:
    return not pids & set(processes())


def _workers(count: int) -> set[int]:
    """This process's spawned workers, once ``count`` of them are running: a worker just forked
    still shows its parent's command line until it has started (under load, a while)."""
    assert poll(lambda: len(speech_workers(descendants(os.getpid()))) >= count, 60), "the workers started"
    return speech_workers(descendants(os.getpid()))


def test_a_pool_answers_in_order_and_reports_on_the_way() -> None:
    reports: list[object] = []
    with Pool[int, int](2, _offset, (100,), name="test") as pool:
        pids = _workers(2)
        assert len(pids) == 2
        assert list(pool.map(_square, range(7), reports.append)) == [n * n + 100 for n in range(7)]
    assert sorted(reports) == [("squaring", n) for n in range(7)]
    assert _gone(pids), "closing the pool waits for its workers"


def test_errors_in_a_worker_reach_the_owner() -> None:
    with Pool[int, int](2, _refuse, (0,)) as pool, pytest.raises(UsageError, match="no start for you"):
        list(pool.map(_square, [1, 2]))
    with Pool[int, int](2) as pool, pytest.raises(UsageError, match="three is not allowed"):
        list(pool.map(_fail_on_three, range(5)))


def test_a_stop_from_another_thread_ends_the_work_and_the_workers() -> None:
    stop = Stop()
    with Pool[int, int](2, stop=stop) as pool:
        pids = _workers(2)
        threading.Timer(0.5, stop.set).start()
        with pytest.raises(Stopped):
            list(pool.map(_wait_forever, range(4)))
    assert _gone(pids)


def test_a_worker_killed_midway_is_an_error_not_a_hang() -> None:
    with Pool[int, int](2) as pool:
        pids = _workers(2)
        victim = min(pids)
        threading.Timer(0.5, os.kill, (victim, signal.SIGKILL)).start()
        with pytest.raises(WorkerLost):
            list(pool.map(_wait_forever, range(2)))
    assert _gone(pids)


@pytest.mark.slow
@pytest.mark.playback
def test_q_while_speech_workers_start_says_nothing_and_leaves_nothing(tmp_path: Path, pulse) -> None:
    """q the moment two speech workers appear (they are still starting), over an empty cache."""
    done = quit_during_synthesis(pulse.env, tmp_path, 0.0)
    assert done.workers >= 1, "q came while the speech workers were there"
    assert (done.returncode, done.stderr) == (0, "")
    assert not done.left, f"still running 20 s after the exit: {sorted(done.left)}"


def test_no_sound_device_with_an_empty_speech_cache_is_one_clear_line(tmp_path: Path) -> None:
    """The speech workers start on a thread of their own as the device fails to open: the
    command says one line, and none of them prints, or stays."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type pulse }\n")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "VOICEGUIDE_CACHE_DIR": str(tmp_path / "speech"),
    }
    command = [sys.executable, "-m", "voiceguide", "play", "childs-pose"]
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    errors = process.stderr
    assert errors is not None
    said: list[bytes] = []
    reader = threading.Thread(target=lambda: said.append(errors.read()), daemon=True)
    reader.start()
    seen: set[int] = set()

    def ended() -> bool:  # meanwhile, every process it starts is noted
        seen.update(descendants(process.pid))
        return process.poll() is not None

    assert poll(ended, 60, 0.005)
    reader.join(60)  # to the end: until every process holding standard error has closed it
    assert poll(lambda: _gone(seen), 20), f"left behind: {sorted(seen & set(processes()))}"
    lines = b"".join(said).decode().strip().splitlines()
    assert process.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("voiceguide: no sound device could be opened"), lines
