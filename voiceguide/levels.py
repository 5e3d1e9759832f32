"""Every level in a session, in one place (loudness in LUFS, peaks in dBFS or dBTP).

The mix is not normalised after the fact: each part is made at a known level, so the same
session always comes out the same, block by block, whether rendered, exported or played
from any point. The levels were calibrated by measuring whole library sessions (see
BENCHMARKS.md) to land at -16 LUFS integrated; tests check every library session.

Peaks: the voice clips are limited one by one to ``VOICE_CEILING``, and the ducked music
and the cues stay far below, so the sum seldom comes near ``MIX_CEILING``; where it does,
the mixer's local guard turns it down (mixer.guard).
"""

from __future__ import annotations

# The loudness of a session is measured where the voice speaks: the mix's integrated loudness
# over its spoken sentences (loudness.Meter.integrated with the speech's spans), the anchor by
# which AES TD1008 measures speech mixed with music. At the usual levels the whole mix measures
# the same; with the music raised, the music between instructions counts in the whole mix's
# meter and lowers it (BENCHMARKS.md row 23), while what the listener sets the volume by, the
# voice, stays here.
TARGET_LUFS = -16.0
TRUE_PEAK_LIMIT = -1.0  # dBTP, measured on the encoded file

VOICE_LOUDNESS = -14.8  # each spoken clip, as heard on both channels
VOICE_CEILING = -2.0  # dBTP, each spoken clip after limiting
MIX_CEILING = -1.5  # dBTP, the mix; leaves 0.5 dB for what MP3 encoding adds (measured in tests)

MUSIC_LOUDNESS = VOICE_LOUDNESS - 22.0  # music between instructions
DUCK_DB = 10.0  # music goes this much further down while the voice speaks
DUCK_ATTACK = 0.35  # seconds the music takes to go down, ending as the voice starts
DUCK_RELEASE = 0.8  # seconds it takes to come back after the voice stops
DUCK_BRIDGE = 2.0  # gaps between sentences shorter than this stay ducked (no pumping)
MUSIC_FADE_IN = 4.0
MUSIC_FADE_OUT = 5.0

CHIME_PEAK = -18.0  # dBFS, the soft bell
TICK_PEAK = -30.0  # dBFS, the pacer tick
BREATH_PEAK = -28.0  # dBFS, the breathing swells
MARK_PEAK = -26.0  # dBFS, the player's pause and resume sounds

# What a listener may change: the music and the cues, in dB relative to the levels above. The
# voice never moves (the mix where it speaks stays at TARGET_LUFS, which the voice sets).
LEVEL_RANGE = (-30.0, 6.0)
LEVEL_STEP = 3.0  # dB per key press or spoken command in the player
MIN_SMR = 17.0  # dB: the music stays at least this far under the voice inside speech, at any level
# Under speech the music never sits above this, so a louder music level ducks deeper (from +3 dB
# up): 12 dB of room above MIN_SMR for the music's own loud passages, measured in BENCHMARKS.md.
DUCKED_MUSIC_MAX = VOICE_LOUDNESS - MIN_SMR - 12.0


def duck_db(music_level: float) -> float:
    """How far the music goes down under speech at ``music_level`` dB: DUCK_DB, or more when
    the music is raised far enough that DUCK_DB would leave it above DUCKED_MUSIC_MAX."""
    return max(DUCK_DB, MUSIC_LOUDNESS + music_level - DUCKED_MUSIC_MAX)


def check_level(name: str, db: float) -> float:
    """``db`` if it is within LEVEL_RANGE; otherwise a ValueError naming ``name``."""
    low, high = LEVEL_RANGE
    if not low <= db <= high:
        raise ValueError(f"{name} must be between {low:+.0f} and {high:+.0f} dB, not {db:+g}")
    return db


def gain(db: float) -> float:
    return float(10 ** (db / 20))
