"""Everything the player does to the whole process, in one place, each act beside its reason.

Playing sound in real time on a shared machine needs a few acts that reach beyond the code
asking for them: the C sound libraries' own messages are sent nowhere (``silence_alsa``,
``quiet_stderr``), Python's ``sys.stderr`` gets a descriptor of its own so that those acts
never swallow a line of ours (``own_stderr``), the device library loads on a thread while
the session is prepared (``load_in_background``), and the threads that feed the device get a
larger share of the processor (``favour_threads``, ``raise_priority``, ``restore_priority``).

Imported before numpy by ``play`` (see ``voiceguide/__main__.py``): keep it light.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import io
import os
import sys
import threading
from collections.abc import Iterator

_ALSA_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
_JACK_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
_quiet: list[object] = []  # the handlers, kept alive while the libraries may call them
_quieting = threading.Lock()


def silence_alsa() -> None:
    """ALSA prints each underrun and each device it probes on standard error, over the status
    line, and JACK (which PortAudio asks for a server) its failure to find one; voiceguide
    reports what matters itself, so their own messages go nowhere."""
    with _quieting:
        if _quiet:
            return
        _quiet.append(None)
        for library, handler, setters in (
            ("asound", _ALSA_HANDLER(lambda *_: None), ("snd_lib_error_set_handler",)),
            ("jack", _JACK_HANDLER(lambda _: None), ("jack_set_error_function", "jack_set_info_function")),
        ):
            name = ctypes.util.find_library(library)
            if name is None:
                continue
            try:
                loaded = ctypes.CDLL(name)
                for setter in setters:
                    getattr(loaded, setter)(handler)
            except (OSError, AttributeError):
                continue
            _quiet.append(handler)


LOADING_GRACE = 5.0  # seconds an exit waits for the device library to finish loading


def load_in_background(name: str) -> None:
    """Load the library of the output ``name`` on a thread of its own while the session is read
    and prepared: importing sounddevice starts PortAudio, which looks through the system's
    sound devices (about 70 ms, before the first sound); opening a stream after that takes a
    few milliseconds. Whatever fails here fails again, and is reported, when the output opens."""

    own_stderr()  # sounddevice points descriptor 2 at /dev/null while PortAudio starts

    def load() -> None:
        silence_alsa()
        with contextlib.suppress(ImportError, OSError):
            if name == "sounddevice":
                import sounddevice  # noqa: F401
            elif name == "simpleaudio":
                import simpleaudio  # noqa: F401

    loader = threading.Thread(target=load, name="voiceguide-device-library", daemon=True)
    loader.start()
    # A command that ends at once (a refusal, an error) must not tear the process down while
    # PortAudio starts on this thread: the sound libraries then aborted the exit (1 in 150 under
    # load). Exiting waits for the load, for a few seconds at most.
    atexit.register(loader.join, LOADING_GRACE)


def own_stderr() -> None:
    """Give Python's ``sys.stderr`` a file descriptor of its own. Libraries silence ALSA by
    pointing descriptor 2 at /dev/null for a moment (sounddevice does while PortAudio starts,
    ``quiet_stderr`` while a stream opens); that descriptor is the whole process's, and a line
    another thread printed meanwhile was lost: under load, ``play`` of a technique the
    therapist advised against exited 2 having said nothing, its refusal printed while the
    device library loaded in the background. Once stderr has its own descriptor, only the C
    libraries' messages go to /dev/null. Does nothing where stderr is not descriptor 2 (a test
    runner's capture) or already has its own."""
    stream = sys.stderr
    try:
        if stream is None or stream.fileno() != 2:
            return
        stream.flush()
        own = os.dup(2)
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    sys.stderr = open(  # it lives as long as the process, like the stderr it stands for
        own, "w", buffering=1, encoding=stream.encoding, errors=stream.errors, closefd=True
    )


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """ALSA prints its own complaints on file descriptor 2; one clear line is ours to give."""
    own_stderr()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# Round-robin priority of the threads that feed the device: above every ordinary process, below
# the sound server (PulseAudio takes 5), which must always be able to take what they give it.
PRIORITY = 3


def raise_priority(inherited: bool = False) -> tuple[int, int] | None:
    """Round-robin scheduling for the calling thread, where the system allows it (as root, or
    with a real-time limit): a busy machine can then neither starve the device nor hold up the
    thread that renders for it while it holds Python's lock. Threads and processes started
    later inherit it only when ``inherited`` (the device's own threads, opened just after).
    Returns what to restore, or None where it was refused."""
    try:
        before = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)
        policy = os.SCHED_RR if inherited else os.SCHED_RR | os.SCHED_RESET_ON_FORK
        os.sched_setscheduler(0, policy, os.sched_param(PRIORITY))
    except (OSError, AttributeError):
        return None
    return before


NICE = -10


def favour_threads() -> None:
    """A larger share of a busy machine for every thread the calling thread starts from now on
    (the layout, the speech store and its workers, the listener): nice -10, where the system
    allows it. On a busy machine these threads were the ones that held the sound up: the first
    sentence was not ready when the opening bell ended, and the renderer, waiting for Python's
    lock held by one of them, missed the device. Unlike round-robin scheduling, a nice value
    cannot starve anything: it only weighs the share. (On Linux it applies to the calling
    thread, and threads and processes inherit it.)"""
    with contextlib.suppress(OSError, AttributeError):
        if os.getpriority(os.PRIO_PROCESS, 0) > NICE:
            os.setpriority(os.PRIO_PROCESS, 0, NICE)


def restore_priority(before: tuple[int, int] | None) -> None:
    if before is not None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, before[0], os.sched_param(before[1]))
