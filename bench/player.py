"""The player's figures, for each output, with the machine quiet and with every core busy:
time to first sound, q to silence (and to exit), and the resume against the last sample heard.

First sound and q are timed against parec's recording of a PulseAudio null sink: its first
bytes anchor the recording to the clock, so a sample's index says when it was heard. The
resume is measured on the recording alone, by correlation (``tests.heard``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from tests.audio import read_wav
from tests.heard import busy_cores, hear_pause_resume_quit
from tests.pulse import Pulse, load_recording

PY = sys.executable
SR = 44100
REPO = Path(__file__).resolve().parent.parent
AUDIBLE = 10 ** (-50 / 20)  # for a benchmark's timing only: the first and last sample above -50 dBFS


class Anchored:
    """parec recording the sink, with the clock time of its first recorded sample."""

    def __init__(self, pulse: Pulse, raw: Path) -> None:
        if raw.exists():
            raw.unlink()
        self.raw = raw
        command = ["parec", "-d", "voiceguide_test.monitor", "--format=s16le", "--rate=44100", "--channels=2",
                   "--latency-msec=5", str(raw)]  # fmt: skip
        self.recorder = subprocess.Popen(command, env=pulse.env)
        while not raw.exists() or raw.stat().st_size == 0:
            time.sleep(0.001)
        self.anchor_time, self.anchor_frames = time.perf_counter(), raw.stat().st_size // 4

    def frames(self) -> int:
        return self.raw.stat().st_size // 4

    def when(self, frame: int) -> float:
        return self.anchor_time + (frame - self.anchor_frames) / SR

    def stop(self) -> np.ndarray:
        self.recorder.terminate()
        self.recorder.wait()
        return load_recording(self.raw)[:, 0]


def _play(
    pulse: Pulse, env: dict[str, str], target: str, backend: str, tty: bool
) -> tuple[subprocess.Popen[bytes], int | None]:
    command = [PY, "-m", "voiceguide", "play", target, "--output", backend]
    if not tty:
        quiet = subprocess.DEVNULL
        return subprocess.Popen(command, env=env, stdin=quiet, stdout=quiet, stderr=quiet), None
    master, slave = pty.openpty()
    process = subprocess.Popen(command, env=env, stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)

    def drain() -> None:
        with contextlib.suppress(OSError):
            while os.read(master, 4096):
                pass

    threading.Thread(target=drain, daemon=True).start()
    return process, master


def first_sound(pulse: Pulse, env: dict[str, str], target: str, backend: str, work: Path) -> float:
    """Seconds from launching `voiceguide play` to its first audible sample at the sink."""
    recording = Anchored(pulse, work / "first.raw")
    time.sleep(0.3)
    launched = time.perf_counter()
    player, _ = _play(pulse, env, target, backend, tty=False)
    while recording.frames() < recording.anchor_frames + int(4.3 * SR):
        time.sleep(0.01)
    player.terminate()
    player.wait()
    samples = recording.stop()
    loud = np.flatnonzero(np.abs(samples) > AUDIBLE)
    if not loud.size:
        raise RuntimeError("nothing was heard")
    return recording.when(int(loud[0])) - launched


def quit_figures(pulse: Pulse, env: dict[str, str], target: str, backend: str, work: Path) -> tuple[float, float]:
    """(seconds from the q key to the last sound heard, seconds from the key to the exit)."""
    recording = Anchored(pulse, work / "quit.raw")
    player, keys = _play(pulse, env, target, backend, tty=True)
    assert keys is not None
    started = None
    while True:  # 3 s after the first sound
        samples = load_recording(recording.raw)[:, 0]
        loud = np.flatnonzero(np.abs(samples) > AUDIBLE)
        if loud.size and started is None:
            started = int(loud[0])
        if started is not None and recording.frames() >= started + 3 * SR:
            break
        time.sleep(0.02)
    pressed = time.perf_counter()
    os.write(keys, b"q")
    player.wait(30)
    exited = time.perf_counter()
    while recording.frames() < recording.anchor_frames + int((exited - recording.anchor_time + 0.5) * SR):
        time.sleep(0.01)
    samples = recording.stop()
    last = int(np.flatnonzero(np.abs(samples) > AUDIBLE)[-1])
    return recording.when(last) - pressed, exited - pressed


def resume_error(
    pulse: Pulse, env: dict[str, str], script: Path, render: np.ndarray, backend: str, work: Path
) -> float:
    """Seconds from the last sample heard before a pause to where the resume began (goal: -0.5 to 0)."""
    with pulse.recording(work / "pause.raw") as raw:
        done = subprocess.run([PY, str(REPO / "tests" / "drive.py"), str(script), backend], env=env,
                              capture_output=True, text=True, timeout=180)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    heard = hear_pause_resume_quit(load_recording(raw)[:, 0], render, json.loads(done.stdout))
    return (heard.resumed - heard.stopped) / SR


SCRIPT = """\
title: Player benchmark
steps:
  - say: Sit tall and let your shoulders drop.
  - hold: 4s
  - say: Now breathe out slowly through your mouth.
  - hold: 4s
"""


def measure(work: Path, cache: Path, repeat: int, quick: bool = False) -> dict[str, dict[str, dict[str, float]]]:
    """{backend: {load: {figure: median}}}; ``quick``: the default output, quiet, only."""
    (work / "pulse").mkdir(parents=True, exist_ok=True)
    script = work / "player-bench.yaml"
    script.write_text(SCRIPT)
    base = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(cache)}
    subprocess.run([PY, "-m", "voiceguide", "render", str(script), "-o", str(work / "pb.wav"), "--force"],
                   env=base, check=True, capture_output=True)  # fmt: skip
    render = read_wav(work / "pb.wav")[:, 0]
    pulse = Pulse(work / "pulse")
    pulse.start()
    figures: dict[str, dict[str, dict[str, float]]] = {}
    try:
        env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(cache)}
        for backend in ("sounddevice",) if quick else ("sounddevice", "simpleaudio"):
            for load in ("quiet",) if quick else ("quiet", "busy"):
                with busy_cores() if load == "busy" else contextlib.nullcontext():
                    firsts = [first_sound(pulse, env, str(script), backend, work) for _ in range(repeat)]
                    quits = [quit_figures(pulse, env, str(script), backend, work) for _ in range(repeat)]
                    resumes = [resume_error(pulse, env, script, render, backend, work) for _ in range(repeat)]
                figures.setdefault(backend, {})[load] = {
                    "first": statistics.median(firsts),
                    "silence": statistics.median(q[0] for q in quits),
                    "exit": statistics.median(q[1] for q in quits),
                    "resume": statistics.median(resumes),
                    "resume_min": min(resumes),
                    "resume_max": max(resumes),
                }
    finally:
        pulse.stop()
    return figures
