"""The ``voiceguide`` command's entry point (``python -m voiceguide`` too).

Two things happen around the command line:

- Before it loads: ``play`` is real-time work, and on a busy machine its first sound waited
  for the start-up's share of the processor (about a tenth of a second more with both cores
  busy). So ``play`` asks for its larger share (``favour_threads``) from its first
  instruction, before typer and the rest are imported.
- After it ends: Python's exit waits for threads and runs the exit functions, as usual, and
  then frees every module and object one by one, which the system does anyway, at once, when
  the process ends. That teardown alone took 0.3 to 0.5 s on a busy machine, after ``q`` had
  already stopped the sound and the speech workers (bench/cold_quit.py). So the last exit
  function flushes the standard streams and ends the process there (``_end``).
"""

import atexit
import os
import sys

_status: list[object] = [1]  # what the command exits with; 1 until it says otherwise


def _end() -> None:
    """Registered first, so run last: after every other exit function."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, or a stream already closed
            pass
    code = _status[0]
    os._exit(0 if code is None else code if isinstance(code, int) else 1)


def main() -> None:
    atexit.register(_end)
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), "")
    if command == "play":
        from voiceguide.player.system import favour_threads

        favour_threads()
    from voiceguide.cli import main as run

    try:
        run()
    except SystemExit as done:
        _status[0] = done.code
        raise
    except KeyboardInterrupt:  # before the command line could map it
        _status[0] = 130
        raise
    _status[0] = 0


if __name__ == "__main__":
    main()
