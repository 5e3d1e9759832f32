"""Echo-cancelled listening: PulseAudio's ``module-echo-cancel`` between the session's sound and
the microphone, so that a command can be heard while the session's own voice is speaking.

The module makes a sink and a source of its own. The session plays into the sink (and on to the
speakers); the microphone is heard through the source, from which WebRTC's echo canceller takes
away what the sink played. Both are chosen for this process alone, through libpulse's
``PULSE_SINK`` and ``PULSE_SOURCE`` (which PortAudio's ALSA ``pulse`` device obeys), before any
stream is opened. The module is loaded when listening starts and unloaded when it ends; one left
behind by a killed session (same names) is unloaded first.

    echo = EchoCancel.start()     # raises ListenError, in one line, where it cannot
    ...                           # open the output and the microphone
    echo.close()
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from voiceguide.errors import ListenError

SINK = "voiceguide_echo_sink"
SOURCE = "voiceguide_echo_source"
TIMEOUT = 10.0  # seconds for one pactl call


def _pactl(*args: str) -> str:
    pactl = shutil.which("pactl")
    if pactl is None:
        raise ListenError("pactl is missing, so echo cancelling cannot be set up; install pulseaudio-utils (apt)")
    try:
        done = subprocess.run([pactl, *args], capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ListenError("the sound server did not answer, so echo cancelling cannot be set up") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ListenError(detail[-1] if detail else f"pactl {args[0]} failed with exit code {done.returncode}")
    return done.stdout


def _defaults() -> tuple[str, str]:
    """The server's default sink and source, from ``pactl info`` (which every version has)."""
    info = _pactl("info")
    found = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        found[key.strip()] = value.strip()
    sink, source = found.get("Default Sink", ""), found.get("Default Source", "")
    if not sink or not source or sink == "@DEFAULT_SINK@":
        raise ListenError("the sound server has no default output or microphone to cancel the echo between")
    return sink, source


def _ours() -> list[str]:
    """Indexes of echo-cancel modules loaded under this module's names (by this or a killed session)."""
    out = []
    for line in _pactl("list", "short", "modules").splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1] == "module-echo-cancel" and f"sink_name={SINK}" in fields[2]:
            out.append(fields[0])
    return out


@dataclass
class EchoCancel:
    """The loaded module; ``close`` unloads it and gives the process its own defaults back."""

    module: str
    sink_master: str
    source_master: str
    _saved: dict[str, str | None]

    @classmethod
    def start(cls) -> EchoCancel:
        sink, source = _defaults()
        if sink == SINK or source == SOURCE:
            raise ListenError("the default devices are already echo-cancelled by another voiceguide")
        if source.endswith(".monitor"):
            raise ListenError(f"the default input is the speakers' monitor ({source}), not a microphone")
        for stale in _ours():
            _pactl("unload-module", stale)
        arguments = [
            "aec_method=webrtc",
            # Its automatic gain control would turn the microphone's own volume down (to a third,
            # here) for every program that uses it, and leave it there: the level is left alone.
            'aec_args="analog_gain_control=0 digital_gain_control=0"',
            f"sink_master={sink}",
            f"source_master={source}",
            f"sink_name={SINK}",
            f"source_name={SOURCE}",
            "rate=48000",  # the canceller works at 48 kHz at most; the session is heard in stereo at that rate
            "channels=2",
            "sink_properties=device.description=voiceguide_echo_cancelled_output",
            "source_properties=device.description=voiceguide_echo_cancelled_microphone",
        ]
        try:
            module = _pactl("load-module", "module-echo-cancel", *arguments).strip()
        except ListenError as exc:
            raise ListenError(f"PulseAudio's module-echo-cancel could not be loaded: {exc}") from None
        saved = {key: os.environ.get(key) for key in ("PULSE_SINK", "PULSE_SOURCE")}
        os.environ["PULSE_SINK"], os.environ["PULSE_SOURCE"] = SINK, SOURCE
        return cls(module, sink, source, saved)

    def close(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        try:
            _pactl("unload-module", self.module)
        except ListenError:  # the server went away: so did the module
            pass
