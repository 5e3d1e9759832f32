"""A PulseAudio server of the tests' own, with a null sink whose monitor parec records.

Its own XDG_RUNTIME_DIR, and a HOME whose .asoundrc sends ALSA (PortAudio, simpleaudio) to pulse.
The null sink has rewinds off, so its monitor records exactly what was played. ``Microphone``
adds a virtual microphone to such a server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

SR = 44100
# Where `make test` unpacks pulseaudio when PipeWire serves the desktop and pulseaudio is not
# installed beside it (see the Makefile's pulse-unpacked).
UNPACKED = Path(__file__).resolve().parents[2] / ".cache" / "pulseaudio"


def server_command() -> list[str]:
    """The PulseAudio server to start: the system's, or the one unpacked for the tests alone (its
    modules and its own library found where it was unpacked)."""
    installed = shutil.which("pulseaudio")
    binary = UNPACKED / "usr" / "bin" / "pulseaudio"
    if installed or not binary.exists():
        return [installed or "pulseaudio"]
    modules = next((UNPACKED / "usr" / "lib").glob("pulse-*/modules"))
    library = next((UNPACKED / "usr" / "lib").glob("*/pulseaudio"))
    return ["env", f"LD_LIBRARY_PATH={library}", str(binary), f"--dl-search-path={modules}"]


# The tests' sound server and its recorder run above the suite's own load (round-robin, just
# above the player's own threads, where the system allows it). A desktop's sound server is kept
# running by its system; this one shares two cores with four test workers and busy loops, and
# its main thread takes the player's frames from the socket. Left at ordinary scheduling, the
# recording once held 33 ms of silence that the player, on time by its device's clock, could
# not know of.
REALTIME = 4


def realtime(command: list[str]) -> list[str]:
    """``command`` under round-robin scheduling at REALTIME, where ``chrt`` may grant it."""
    chrt = shutil.which("chrt")
    if chrt is None or subprocess.run([chrt, "-r", str(REALTIME), "true"], capture_output=True).returncode != 0:
        return command
    return [chrt, "-r", str(REALTIME), *command]


def make_realtime(pid: int) -> None:
    """The thread ``pid`` (a process's main thread) under round-robin scheduling at REALTIME,
    where the system allows it: PulseAudio sets its own main thread back to ordinary scheduling
    as it starts (only its sinks' threads keep real-time), so it is raised once it is up."""
    chrt = shutil.which("chrt")
    if chrt is not None:
        subprocess.run([chrt, "-r", "-p", str(REALTIME), str(pid)], capture_output=True)


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
            *server_command(), "-n", "--daemonize=no", "--exit-idle-time=-1",
            "--disallow-exit", "--log-target=stderr", "--load=module-native-protocol-unix",
            "--load=module-null-sink sink_name=voiceguide_test rate=44100 channels=2 norewinds=1",
            "--load=module-always-sink",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ok = subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0
            if ok:
                make_realtime(self.process.pid)
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
        parec = subprocess.Popen(realtime(command), env=self.env)
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
            while parec.poll() is None and path.stat().st_size < wanted and time.monotonic() < deadline:
                time.sleep(0.02)
            parec.send_signal(signal.SIGINT)
            parec.wait(10)


def load_recording(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768.0


class Microphone:
    """A virtual microphone on a test server: a null sink ``micfeed`` whose monitor, remapped as the
    source ``mic``, is the server's default source. Whatever plays into ``micfeed`` is what a
    program capturing from the default input hears; with ``echo``, a loopback from the speaker
    sink's monitor into ``micfeed`` lets the session's own sound reach it too, as in a room.

    With ``steady``, the loopback keeps the latency it starts with, as a room's echo path does.
    Left to itself, module-loopback retunes its resampler every few seconds to hold its latency,
    so the echo wanders by about a sample a second, which an echo canceller's filter cannot follow
    (measured: 5 to 15 dB taken away instead of 25 to 40)."""

    SINK = "micfeed"
    RATE = 16000

    def __init__(self, pulse: Pulse, echo: bool = True, steady: bool = False) -> None:
        self.pulse = pulse
        self.modules: list[str] = []
        self._load("module-null-sink", f"sink_name={self.SINK}", f"rate={self.RATE}", "channels=1", "norewinds=1")
        self._load("module-remap-source", f"master={self.SINK}.monitor", "source_name=mic", "channels=1")
        self._pactl("set-default-source", "mic")
        if echo:
            fixed = ("adjust_time=0",) if steady else ()
            self._load(
                "module-loopback", "source=voiceguide_test.monitor", f"sink={self.SINK}", "latency_msec=60", *fixed
            )

    def _pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], env=self.pulse.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def _load(self, module: str, *args: str) -> None:
        self.modules.append(self._pactl("load-module", module, *args))

    def say(self, samples: np.ndarray, rate: int = RATE, sink: str = SINK) -> subprocess.Popen[bytes]:
        """Start playing float32 mono ``samples`` into ``sink`` (the microphone by default)."""
        command = ["pacat", "--playback", "-d", sink, "--format=float32le", f"--rate={rate}", "--channels=1",
                   "--latency-msec=30"]  # fmt: skip
        player = subprocess.Popen(command, env=self.pulse.env, stdin=subprocess.PIPE)
        data = np.asarray(samples, "<f4").tobytes()

        def write() -> None:  # pacat takes the bytes at the pace of playing them
            assert player.stdin is not None
            try:
                player.stdin.write(data)
                player.stdin.close()
            except (BrokenPipeError, ValueError):  # stopped early by the test
                pass

        threading.Thread(target=write, daemon=True).start()
        return player

    def remove(self) -> None:
        for module in reversed(self.modules):
            subprocess.run(["pactl", "unload-module", module], env=self.pulse.env, capture_output=True)
        self.modules.clear()


def wait_for_silence(path: Path, seconds: float, level: float, timeout: float = 120.0) -> None:
    """Until the last ``seconds`` of the recording growing at ``path`` stay within ``level`` (of
    full scale): the sink's own clock, not the test's, says how long the silence lasted."""
    frames = int(seconds * SR)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        size = path.stat().st_size // 4 * 4
        if size >= frames * 4:
            with path.open("rb") as recording:
                recording.seek(size - frames * 4)
                tail = np.frombuffer(recording.read(frames * 4), dtype="<i2")
            if len(tail) == frames * 2 and np.max(np.abs(tail)) / 32768.0 <= level:
                return
        time.sleep(0.05)
    raise AssertionError(f"the recording {path} was never silent for {seconds} s")
