"""Figure 5: time to first sound in `play`, from launching the command to sound at the device,
with a warm and a cold speech cache."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from bench.common import PY, SR, Bench, Figures, Row, median_of, voiceguide
from tests.support.pulse import Pulse, load_recording

ROWS = (5,)

NOTES = [
    "Figure 5 is measured through a PulseAudio null sink, timing parec's recording from its first bytes; the first sound of a session is its opening bell, its very first sample, which needs no speech, so a cold cache starts as fast as a warm one while the voice loads in the background.",
]


def measure_first_sound(pulse: Pulse, env: dict[str, str], target: str, raw: Path) -> float:
    """Seconds from launching `voiceguide play` to its first audible sample at the sink.

    parec's first bytes mark a known moment; its later samples are timed from there."""
    if raw.exists():
        raw.unlink()
    recorder = subprocess.Popen(
        ["parec", "-d", "voiceguide_test.monitor", "--format=s16le", "--rate=44100", "--channels=2",
         "--latency-msec=5", str(raw)],
        env=pulse.env,
    )  # fmt: skip
    while not raw.exists() or raw.stat().st_size == 0:
        time.sleep(0.001)
    anchor_time, anchor_bytes = time.perf_counter(), raw.stat().st_size
    time.sleep(0.3)
    launched = time.perf_counter()
    quiet = subprocess.DEVNULL
    player = subprocess.Popen(
        [PY, "-m", "voiceguide", "play", target], env=env, stdin=quiet, stdout=quiet, stderr=quiet
    )
    time.sleep(4.0)
    player.terminate()
    player.wait()
    recorder.terminate()
    recorder.wait()
    samples = load_recording(raw)[:, 0]
    loud = np.flatnonzero(np.abs(samples) > 10 ** (-50 / 20))
    if not loud.size:
        raise RuntimeError("nothing was heard")
    heard_at = anchor_time + (loud[0] - anchor_bytes // 4) / SR
    return heard_at - launched


def run(bench: Bench) -> Figures:
    work = bench.work
    (work / "pulse").mkdir(exist_ok=True)
    pulse = Pulse(work / "pulse")
    pulse.start()
    try:
        env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(bench.cache)}
        target = "childs-pose"

        def once(cold: bool) -> float:
            if cold:  # an empty cache of its own: the shared one stays warm for the other figures
                empty = work / "cold-cache"
                shutil.rmtree(empty, ignore_errors=True)
                return measure_first_sound(
                    pulse, {**env, "VOICEGUIDE_CACHE_DIR": str(empty)}, target, work / "first.raw"
                )
            voiceguide("render", target, "-o", str(work / "warm.wav"), "--force", "--music", "none", env=bench.env)
            return measure_first_sound(pulse, env, target, work / "first.raw")

        warm, warms = median_of(bench.repeat if bench.quick else bench.repeat + 2, lambda: once(False))
        cold, colds = median_of(bench.repeat, lambda: once(True))
    finally:
        pulse.stop()
    bench.log(f"first sound: warm {warms} cold {colds}")
    row = Row(
        5,
        "time to first sound in `play` (from launching the command to sound at the device)",
        f"warm cache {warm:.2f} s, cold cache {cold:.2f} s",
        "≤ 0.5 s / ≤ 2 s",
        warm <= 0.5 and cold <= 2.0,
    )
    return Figures([row])
