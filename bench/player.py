"""The player's figures, for each output, with the machine quiet and with every core busy:
time to first sound, q to silence (and to exit), and the resume against the last sample heard.

First sound and q are timed against parec's recording of a PulseAudio null sink: its first
bytes anchor the recording to the clock, so a sample's index says when it was heard. Where
the session lies in the recording comes from a correlation with its render, never from a
loudness threshold: the first sound is the session's first sample, and the sound after q ends
at the last sample that is still the render's. The resume is measured on the recording
alone (``tests.support.heard``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import statistics
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from bench.common import PY, REPO, SR, Bench, Figures, Row
from tests.support.audio import read_wav
from tests.support.heard import busy_cores, first_mismatch, hear_pause_resume_quit, locate
from tests.support.pulse import Pulse, load_recording

ROWS = (8,)


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


def first_sound(pulse: Pulse, env: dict[str, str], target: str, render: np.ndarray, backend: str, work: Path) -> float:
    """Seconds from launching `voiceguide play` to the session's first sample at the sink."""
    recording = Anchored(pulse, work / "first.raw")
    time.sleep(0.3)
    launched = time.perf_counter()
    player, _ = _play(pulse, env, target, backend, tty=False)
    while recording.frames() < recording.anchor_frames + int(4.3 * SR):
        time.sleep(0.01)
    player.terminate()
    player.wait()
    heard = recording.stop()
    return recording.when(locate(heard, render, 0.1, 1.5)) - launched  # where the render's sample 0 lies


def quit_figures(
    pulse: Pulse, env: dict[str, str], target: str, render: np.ndarray, backend: str, work: Path
) -> tuple[float, float]:
    """(seconds from the q key to the last sample of the session heard, seconds from the key to the exit)."""
    recording = Anchored(pulse, work / "quit.raw")
    launched = time.perf_counter()
    player, keys = _play(pulse, env, target, backend, tty=True)
    assert keys is not None
    while time.perf_counter() < launched + 4.0:  # a few seconds into the session
        time.sleep(0.02)
    pressed = time.perf_counter()
    os.write(keys, b"q")
    player.wait(30)
    exited = time.perf_counter()
    while recording.frames() < recording.anchor_frames + int((exited - recording.anchor_time + 0.5) * SR):
        time.sleep(0.01)
    heard = recording.stop()
    at = int((pressed - recording.anchor_time) * SR) + recording.anchor_frames  # the recording when q was pressed
    offset = locate(heard, render, max(0.5, (at - locate(heard, render, 1.0)) / SR - 1.5))  # the session there
    last = first_mismatch(heard, render, offset, max(0, at - offset - SR // 2))  # the first sample not heard
    return recording.when(offset + last) - pressed, exited - pressed


def resume_error(
    pulse: Pulse, env: dict[str, str], script: Path, render: np.ndarray, backend: str, work: Path
) -> float:
    """Seconds from the last sample heard before a pause to where the resume began (goal: -0.5 to 0)."""
    with pulse.recording(work / "pause.raw") as raw:
        done = subprocess.run([PY, str(REPO / "tests" / "support" / "drive.py"), str(script), backend], env=env,
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
                    firsts = [first_sound(pulse, env, str(script), render, backend, work) for _ in range(repeat)]
                    quits = [quit_figures(pulse, env, str(script), render, backend, work) for _ in range(repeat)]
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


def run(bench: Bench) -> Figures:
    figures = measure(bench.work / "player", bench.cache, bench.repeat, bench.quick)
    bench.log(f"player: {figures}")
    cells, met = [], True
    for backend, loads in figures.items():
        for load, f in loads.items():
            cells.append(
                f"{backend}, {load}: first sound {f['first']:.2f} s, q to silence {f['silence'] * 1000:.0f} ms"
                f" (exit {f['exit']:.2f} s), resume {f['resume']:+.2f} s ({f['resume_min']:+.2f} to {f['resume_max']:+.2f})"
            )
            met = met and f["first"] <= 0.5 and f["silence"] <= 0.1 and f["exit"] <= 0.5
            met = met and -0.5 <= f["resume_min"] and f["resume_max"] <= 0
    row = Row(
        8,
        "the player, for each output, quiet and with both cores busy: time to first sound (warm cache), "
        "q to the last sound heard (and to exit), resume against the last sample heard",
        "; ".join(cells),
        "first ≤ 0.5 s; q ≤ 0.1 s (exit ≤ 0.5 s); resume between -0.5 s and 0",
        met,
    )
    note = (
        "Figure 8: first sound and q are timed against parec's recording of a PulseAudio null sink, anchored to "
        "the clock at its first bytes; where the session lies in the recording comes from a correlation with its "
        "render: the first sound is the session's first sample, and after q the last sample still the render's. "
        "The resume is measured on the recording alone, as the sample where the resume's fade-in begins against "
        "the sample where the pause's fade-out ended (fitted where the recording first leaves the render). "
        "Both cores busy means a busy loop per core for the whole measurement. The first sound includes the "
        "sound server's own start of the stream (the device got its first block about 0.3 s after launch)."
    )
    return Figures([row], [note])
