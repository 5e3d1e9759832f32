"""A PulseAudio server of the tests' own, with a null sink whose monitor parec records.

Its own XDG_RUNTIME_DIR, and a HOME whose .asoundrc sends ALSA (PortAudio, simpleaudio) to pulse.
The null sink has rewinds off, so its monitor records exactly what was played.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

SR = 44100


class Pulse:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runtime = root / "runtime"
        self.home = root / "home"
        self.runtime.mkdir(mode=0o700)
        self.home.mkdir()
        (self.home / ".asoundrc").write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(self.runtime), "HOME": str(self.home), "PULSE_SERVER": ""}
        self.env.pop("PULSE_SERVER")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            shutil.which("pulseaudio") or "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
            "--disallow-exit", "--log-target=stderr", "--load=module-native-protocol-unix",
            "--load=module-null-sink sink_name=voiceguide_test rate=44100 channels=2 norewinds=1",
            "--load=module-always-sink",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ok = subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0
            if ok:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the test PulseAudio server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @contextmanager
    def recording(self, path: Path) -> Iterator[Path]:
        """Record the sink's monitor (s16le stereo 44.1 kHz) while the block runs."""
        command = [
            "parec", "-d", "voiceguide_test.monitor", "--format=s16le", "--rate=44100",
            "--channels=2", "--latency-msec=20", str(path),
        ]  # fmt: skip
        parec = subprocess.Popen(command, env=self.env)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (not path.exists() or path.stat().st_size == 0):
            time.sleep(0.02)
        try:
            yield path
        finally:
            # parec writes what it has recorded a little late: stop only once it has written
            # a further half second (of silence, by now), so no tail of the sound is lost.
            wanted = path.stat().st_size + SR * 4 // 2
            deadline = time.monotonic() + 20
            while path.stat().st_size < wanted and time.monotonic() < deadline:
                time.sleep(0.02)
            parec.send_signal(signal.SIGINT)
            parec.wait(10)


def load_recording(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768.0
