"""The sessions that several test modules (and the benchmarks) play or export, and a render of
one to compare the sound with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .audio import read_wav

STRETCH = """\
title: Shoulder rolls
summary: Loosen the shoulders with slow rolls.
safety: Move slowly and stop if anything pinches.
steps:
  - section: Forward rolls
  - say: Roll your shoulders forward in slow circles.
  - hold: 6s
    pace: 2s
  - section: Backward rolls
  - say: Now roll them backward, just as slowly.
  - hold: 6s
  - section: Rest
  - say: Let your arms hang and rest.
"""

BREATH = """\
title: Two calm breaths
safety: Breathe gently.
steps:
  - say: Sit comfortably and close your eyes.
  - breathe: relax
    cycles: 2
  - say: Open your eyes when you are ready.
"""


# The render tests' session: a section of each kind of step, a countdown and a chime.
RENDER_SCRIPT = """\
title: Test session
safety: Go gently.
steps:
  - section: Start
  - say: Sit tall and let your shoulders drop.
  - hold: 5s
  - say: Breathe with the sounds.
  - breathe: relax
    cycles: 2
  - section: Finish
  - say: Now hold still for a moment.
  - hold: 14s
    countdown: 5s
    pace: 2s
  - chime: soft
  - say: Slowly let go.
"""


PLAYBACK_SCRIPT = """\
title: Playback test
steps:
  - section: One
  - say: Sit tall and let your shoulders drop.
  - hold: 4s
  - section: Two
  - say: Now breathe out slowly through your mouth.
  - hold: 4s
  - section: Three
  - say: Let your hands rest on your knees.
  - hold: 3s
"""


LONG_SCRIPT = """\
title: Long playback test
steps:
  - section: Settle
  - say: Sit comfortably and let your shoulders soften.
  - breathe: relax
    cycles: 1
  - section: Stretch
  - say: Lift your arms slowly above your head.
  - hold: 5s
  - say: Lower them again and rest your hands on your knees.
  - hold: 5s
  - section: Rest
  - say: Let your breathing find its own easy rhythm.
  - pause: 6s
"""


def rendered(folder: Path, name: str, text: str, speech_cache: Path) -> dict[str, object]:
    """A script, and its render (which also fills the speech cache)."""
    script = folder / f"{name}.yaml"
    script.write_text(text)
    wav, cues_json = folder / "render.wav", folder / "cues.json"
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(speech_cache)}
    subprocess.run(
        [sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(wav), "--cues", str(cues_json)],
        check=True,
        env=env,
        capture_output=True,
    )
    return {"script": script, "render": read_wav(wav)[:, 0], "cues": json.loads(cues_json.read_text()), "env": env}


def _alias_bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    return "\n".join([*lines, "title: x\nsteps:\n  - say: hi"]) + "\n"


# Ten levels of ten aliases each: 10^10 values, were they expanded.
ALIAS_BOMB = _alias_bomb()
