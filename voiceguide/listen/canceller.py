"""The echo canceller: what the microphone hears, less the session's own sound.

Behind a small interface, like the recogniser: ``cancel(near, far)`` takes one frame of what the
microphone heard and the frame of what the device played that lines up with it (both 16 kHz float32
mono, ``FRAME`` samples) and gives back the microphone's frame with the echo taken out.

``SpeexCanceller`` is libspeexdsp's echo canceller (an adaptive MDF filter) followed by its
preprocessor as the residual echo suppressor, called through ctypes. libspeexdsp is BSD-licensed
(Xiph.Org, Jean-Marc Valin) and is installed wherever PulseAudio or PipeWire is: libspeexdsp1 on
Debian and Ubuntu, speexdsp on Fedora and Homebrew. Measured for this project (see ``bench/echo.py``)
it keeps a talker whole while it puts the echo 20 dB or more under them, which Whisper needs;
WebRTC's AEC3 removes more echo but suppresses the talker with it in double talk.

``VOICEGUIDE_NO_SPEEXDSP=1`` hides the library, as if it were not installed (for the tests of the
fallback, and for anyone who wants the old deaf-while-speaking listening).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Any, Protocol

import numpy as np

from voiceguide.errors import ListenError

RATE = 16000
FRAME = 256  # samples: 16 ms, two per detector frame
LATENCY = FRAME  # samples the cancelled sound comes out late (the residual suppressor's window)
FILTER = 0.25  # seconds of echo path the adaptive filter covers (the room's reverberation that matters)
SUPPRESS = -60  # dB the residual echo is pushed down while nobody speaks (speex's default: -40)
SUPPRESS_TALKING = -25  # dB while someone does (default -15): the session's voice must not trip the detector
ASTRAY = 15  # frames gone astray in a row before the filter starts over (the library: 50, and it complains)
HIDE = "VOICEGUIDE_NO_SPEEXDSP"
INSTALL = "libspeexdsp is missing; install libspeexdsp1 (Debian, Ubuntu) or speexdsp (Fedora, Homebrew)"

# From speex/speex_echo.h and speex/speex_preprocess.h.
_ECHO_SET_SAMPLING_RATE = 24
_PRE_SET_DENOISE = 0
_PRE_SET_ECHO_SUPPRESS = 20
_PRE_SET_ECHO_SUPPRESS_ACTIVE = 22
_PRE_SET_ECHO_STATE = 24


class Canceller(Protocol):
    name: str
    resets: int  # times it started over (what it had learnt of the room is gone)

    def cancel(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        """``near`` (the microphone) less the echo of ``far`` (the playback that lines up with it):
        16 kHz float32 mono, ``FRAME`` samples each."""
        ...

    def reset(self) -> None:
        """Forget what was learnt of the echo's path (it changed)."""
        ...

    def close(self) -> None: ...


def _library() -> Any:
    if os.environ.get(HIDE):
        raise ListenError(INSTALL)
    name = ctypes.util.find_library("speexdsp")
    candidates = [name] if name else []
    candidates += ["libspeexdsp.so.1", "libspeexdsp.dylib", "libspeexdsp-1.dll"]
    for candidate in candidates:
        try:
            lib = ctypes.CDLL(candidate)
        except OSError:
            continue
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_reset.argtypes = [ctypes.c_void_p]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        return lib
    raise ListenError(INSTALL)


def missing() -> str | None:
    """Why no echo canceller can run here, in one line, or None when one can."""
    try:
        _library()
    except ListenError as exc:
        return str(exc)
    return None


def _int16(samples: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16))


class SpeexCanceller:
    """libspeexdsp's echo canceller and residual echo suppressor, one frame at a time.

    ``close`` may come from another thread than ``cancel`` (the listener is stopped from the
    player's): a lock keeps the library's states alive while a frame is in them, and a frame that
    comes after ``close`` passes through untouched, never into a freed (or NULL) state.
    """

    name = "speexdsp (echo canceller and residual echo suppressor)"

    def __init__(self, filter_seconds: float = FILTER) -> None:
        lib = _library()
        self._lib = lib
        self._lock = threading.Lock()
        self._echo = lib.speex_echo_state_init(FRAME, int(filter_seconds * RATE))
        self._pre = lib.speex_preprocess_state_init(FRAME, RATE)
        if not self._echo or not self._pre:
            self.close()
            raise ListenError("libspeexdsp could not make an echo canceller")
        rate = ctypes.c_int(RATE)
        lib.speex_echo_ctl(self._echo, _ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
        lib.speex_preprocess_ctl(self._pre, _PRE_SET_ECHO_STATE, ctypes.c_void_p(self._echo))
        off = ctypes.c_int(0)  # its noise suppressor would dull the quiet talker Whisper needs
        lib.speex_preprocess_ctl(self._pre, _PRE_SET_DENOISE, ctypes.byref(off))
        for request, db in ((_PRE_SET_ECHO_SUPPRESS, SUPPRESS), (_PRE_SET_ECHO_SUPPRESS_ACTIVE, SUPPRESS_TALKING)):
            value = ctypes.c_int(db)
            lib.speex_preprocess_ctl(self._pre, request, ctypes.byref(value))
        self._out = np.zeros(FRAME, np.int16)
        self._astray = 0  # frames in a row in which the filter took away more than the microphone heard
        self.resets = 0  # times the filter was started over

    def cancel(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        rec, play = _int16(near), _int16(far)
        if len(rec) != FRAME or len(play) != FRAME:
            raise ValueError(f"the canceller takes frames of {FRAME} samples")
        out = self._out
        with self._lock:
            if not self._echo or not self._pre:  # closed: nothing left to cancel with
                return np.array(near, np.float32)
            self._lib.speex_echo_cancellation(self._echo, rec.ctypes.data, play.ctypes.data, out.ctypes.data)
            # The filter has gone astray when it takes away more than there was, frame after frame.
            # The library resets itself after 50 such frames, and says so on stderr, which is not
            # its to write on: reset it a little sooner, quietly.
            error, heard = float(np.dot(out, out.astype(np.float64))), float(np.dot(rec, rec.astype(np.float64)))
            self._astray = self._astray + 1 if error > heard + FRAME * 10000 else 0
            if self._astray >= ASTRAY:
                self._reset()
            self._lib.speex_preprocess_run(self._pre, out.ctypes.data)
            return out.astype(np.float32) / 32768.0

    def reset(self) -> None:
        with self._lock:
            self._reset()

    def _reset(self) -> None:
        if self._echo:
            self._lib.speex_echo_state_reset(self._echo)
        self._astray = 0
        self.resets += 1

    def close(self) -> None:
        with self._lock:
            echo, pre = getattr(self, "_echo", None), getattr(self, "_pre", None)
            self._echo = self._pre = None
            if pre:
                self._lib.speex_preprocess_state_destroy(pre)
            if echo:
                self._lib.speex_echo_state_destroy(echo)
