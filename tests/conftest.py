"""Shared fixtures. Tests use the real voices, ffmpeg and library; nothing is mocked
except a clock or an injected fault."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support.pulse import Pulse


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a script file (dedented) and return its path."""

    def _write(text: str | bytes, name: str = "script.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the whole run, so each sentence is synthesised once: shared by
    every worker of a parallel run (the cache is safe for many writers, as its tests show)."""
    shared = os.environ.get("VOICEGUIDE_TEST_CACHE")
    if shared:
        return Path(shared)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / "speech-cache"  # beside each worker's own folder
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("speech-cache")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a parallel run (``make test``: pytest-xdist, ``--dist loadgroup``), the tests that
    play through a sound server or listen on a microphone run in two groups, each on a worker
    of its own, one test after another: the player's own tests, and the listening and practice
    ones. Each module has a sound server of its own, so the two never hear each other. They
    go first, as they take the longest in all (they play in real time, mostly waiting), and
    the benchmark's check (the longest single test) next."""
    for item in items:
        if item.get_closest_marker("playback"):
            group = "sound" if item.path.name == "test_playback.py" else "sound-2"
            item.add_marker(pytest.mark.xdist_group(group))

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("playback"):
            return 0
        return 1 if item.path.name == "test_bench.py" else 2

    items.sort(key=rank)  # stable: each module's tests stay in their order


@pytest.fixture(autouse=True)
def _isolated_cache(speech_cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(speech_cache))
    # The plan, the notes and the history of a test are its own, never the user's.
    monkeypatch.setenv("VOICEGUIDE_HOME", str(tmp_path / "voiceguide-home"))
    # Output is plain only where a test asks for it (a dumb terminal running the suite is not asking).
    monkeypatch.delenv("VOICEGUIDE_PLAIN", raising=False)
    if os.environ.get("TERM") == "dumb":
        monkeypatch.setenv("TERM", "xterm")


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulse]:
    """A PulseAudio server of the tests' own, with a null sink (see ``pulse``), for a module."""
    server = Pulse(tmp_path_factory.mktemp("pulse"))
    server.start()
    yield server
    server.stop()
