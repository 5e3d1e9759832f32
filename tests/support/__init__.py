"""What the tests and the benchmarks share: a PulseAudio server of their own and its
recordings (``pulse``), reading and measuring audio (``audio``, ``heard``), spoken commands and
their sessions (``listening``), a running ``voiceguide serve`` (``served``), a device that the
caller paces (``device``), the sessions several modules play (``sessions``), and two programs
run inside a test sound server (``drive``, ``feed``). No test module imports another."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SCRIPTS = REPO / "scripts"


def voiceguide_without(*modules: str) -> list[str]:
    """The command ``voiceguide`` in an interpreter where ``modules`` cannot be imported, as on
    a machine without them; the arguments follow."""
    hidden = "; ".join(f"sys.modules[{name!r}] = None" for name in modules)
    code = f"import sys; {hidden}; sys.argv[0] = 'voiceguide'; from voiceguide.cli import main; main()"
    return [sys.executable, "-c", code]
