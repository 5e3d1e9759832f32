"""The ``voiceguide`` command's entry point (``python -m voiceguide`` too).

One thing happens before the command line loads: ``play`` is real-time work, and on a busy
machine its first sound waited for the start-up's share of the processor (about a tenth of a
second more with both cores busy). So ``play`` asks for its larger share (``favour_threads``)
from its first instruction, before typer and the rest are imported.
"""

import sys


def main() -> None:
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), "")
    if command == "play":
        from voiceguide.player.system import favour_threads

        favour_threads()
    from voiceguide.cli import main as run

    run()


if __name__ == "__main__":
    main()
