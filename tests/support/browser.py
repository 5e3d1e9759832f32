"""The page in a real browser: Debian's chromium, started by Playwright with ``executable_path``
(Playwright never downloads a browser here), and a server of two sessions for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .served import Server
from .sessions import BREATH, STRETCH

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not shutil.which("chromium"), reason="no chromium browser installed (make setup adds it)"
)


def start_server(folder: Path) -> Server:
    """Two sessions, with a speech cache of their own that starts empty: the preparation that
    starts with the server is still going on when the page opens."""
    (folder / "scripts").mkdir()
    (folder / "scripts" / "calm-breaths.yaml").write_text(BREATH)
    (folder / "scripts" / "shoulder-rolls.yaml").write_text(STRETCH)
    env = {"VOICEGUIDE_HOME": str(folder / "home"), "VOICEGUIDE_CACHE_DIR": str(folder / "speech")}
    return Server([str(folder / "scripts"), "--cache-dir", str(folder / "cache")], env)
