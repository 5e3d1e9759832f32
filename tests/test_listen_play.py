"""``play --listen`` through the virtual microphone: a spoken command reaches the player as a
key would, while the session's own sound (and its echo) never does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .heard import first_mismatch, locate
from .listening import spoken
from .pulse import SR, Microphone, Pulse, load_recording
from .test_playback import LONG_SCRIPT, rendered

pytestmark = pytest.mark.playback


def test_a_spoken_quit_ends_the_session(pulse: Pulse, tmp_path: Path, speech_cache: Path) -> None:
    session = rendered(tmp_path, "listen-play", LONG_SCRIPT, speech_cache)
    render = session["render"]
    quit_said = spoken("system", ["Voice guide quit."], speech_cache)[0]
    mic = Microphone(pulse, echo=True)
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    with pulse.recording(tmp_path / "rec.raw") as raw:
        process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "play", str(session["script"]), "--listen"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        # Said every few seconds: a command said while the session's own voice speaks is not
        # heard (by design), so it is said again until one lands in a quiet moment.
        for _ in range(12):
            if process.poll() is not None:
                break
            mic.say(quit_said).wait(30)
            try:
                process.wait(4.0)
            except subprocess.TimeoutExpired:
                continue
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    assert err.decode() == "", "no complaint: the microphone and the recogniser were there"
    heard = load_recording(raw)[:, 0]
    offset = locate(heard, render, 1.0)
    last = first_mismatch(heard, render, offset, int(0.5 * SR))
    assert last < len(render) - 10 * SR, f"quit at {last / SR:.1f} s of {len(render) / SR:.1f} s: the command was obeyed"
    assert np.max(np.abs(heard[offset + last + SR // 5 :])) <= 1.5 / 32768, "and the sound stopped"


def test_without_a_recogniser_it_says_so_once_and_plays_on(pulse: Pulse, tmp_path: Path, speech_cache: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\nsteps:\n  - say: Rest your hands.\n  - hold: 2s\n")
    hide = "import sys; sys.modules['faster_whisper'] = None; sys.argv[0] = 'voiceguide'; from voiceguide.cli import main; main()"
    env = {**pulse.env, "VOICEGUIDE_CACHE_DIR": str(speech_cache), "HOME": pulse.env["HOME"]}
    done = subprocess.run([sys.executable, "-c", hide, "play", str(script), "--listen"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voiceguide: cannot listen (") and lines[0].endswith("playing without listening"), lines
