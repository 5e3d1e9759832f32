"""Figures 1 and 2: a warm and a cold export to MP3, against ffmpeg's bare encode (and, cold,
the synthesis of every sentence of the session)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench.common import PY, SR, Bench, Figures, Row, median_of, voiceguide

ROWS = (1, 2)

NOTES = [
    "Figure 1's floor is ffmpeg encoding generated noise (`anoisesrc`) of the session's length to 128 kbps stereo MP3. voiceguide's export mixes in the main process while ffmpeg encodes in its own, on the other core, so the export costs little more than the encode.",
    "Figure 2's synthesis time is the session's unique sentences synthesised by voiceguide's own synthesiser on both cores (two Piper processes, model loading included), with nothing else.",
]


def ffmpeg_floor(seconds: float, out: Path) -> float:
    """ffmpeg's bare MP3 encode of a generated signal of the same length, rate, channels and bitrate."""
    started = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"anoisesrc=r={SR}:a=0.05:d={seconds}",
         "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def encode_file(raw: Path, out: Path) -> float:
    """ffmpeg's bare MP3 encode of float32 stereo samples read from a file."""
    started = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", str(raw),
         "-c:a", "libmp3lame", "-b:a", "128k", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def run(bench: Bench) -> Figures:
    work, env, session = bench.work, bench.env, bench.session
    seconds = bench.session_seconds()
    bench.log(f"session {session}: {seconds / 60:.1f} min")
    out = work / "export"

    def cold() -> float:
        shutil.rmtree(bench.cache, ignore_errors=True)
        return voiceguide("export", session, "-o", str(out), "--force", env=env)

    def synthesis() -> float:
        code = (
            "import time, sys; from voiceguide import library; from voiceguide.steps import build;"
            "from voiceguide.render import RenderOptions, settled_steps, speech_store; from voiceguide.text import sentences;"
            f"session = library.load({session!r}); store = speech_store(RenderOptions());"
            "plan = settled_steps(session, RenderOptions(), store);"
            "units = list(dict.fromkeys(s for p in plan.phrases() for s in sentences(p)));"
            "t = time.perf_counter(); list(store.synth.stream(units)); print(time.perf_counter() - t)"
        )
        # Fitting lengths (partner-massage fits its entry to 30 minutes) synthesises first;
        # the timed part is the synthesis of every sentence of the session, on both cores.
        shutil.rmtree(bench.cache, ignore_errors=True)
        scratch = {**env, "VOICEGUIDE_CACHE_DIR": str(work / "scratch-cache")}
        shutil.rmtree(work / "scratch-cache", ignore_errors=True)
        done = subprocess.run([PY, "-c", code], env=scratch, capture_output=True, text=True, check=True)
        return float(done.stdout.strip().splitlines()[-1])

    floor, floors = median_of(bench.repeat, lambda: ffmpeg_floor(seconds, work / "floor.mp3"))
    cold_time, colds = median_of(bench.repeat, cold)
    warm_time, warms = median_of(
        bench.repeat, lambda: voiceguide("export", session, "-o", str(out), "--force", env=env)
    )
    synth, synths = median_of(bench.repeat, synthesis)
    # LAME's work depends on what it encodes: the same encode of this session's own samples,
    # read from a file, is the floor for this content.
    raw = work / "session.f32"
    voiceguide("render", session, "-o", str(work / "session.wav"), "--force", env=env)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(work / "session.wav"), "-f", "f32le", str(raw)], check=True
    )
    own, owns = median_of(bench.repeat, lambda: encode_file(raw, work / "own.mp3"))
    bench.log(f"floor {floors}  own-content floor {owns}  warm {warms}  cold {colds}  synthesis {synths}")
    warm_ratio = warm_time / floor
    verdict = (
        "what is left above the noise floor is the encoder's own work on real content, not voiceguide's"
        if warm_time / own <= 1.3
        else "the export itself still costs more than its encode"
    )
    cold_ratio = cold_time / (synth + floor)
    return Figures(
        [
            Row(
                1,
                f"warm export, {seconds / 60:.1f}-minute session to MP3",
                f"{warm_time:.1f} s vs ffmpeg's bare encode of generated noise {floor:.1f} s: **{warm_ratio:.2f}x**; "
                f"vs the bare encode of this session's own samples from a file {own:.1f} s: **{warm_time / own:.2f}x**",
                "≤ 1.3x",
                warm_ratio <= 1.3,
            ),
            Row(
                2,
                "cold export, same session, empty speech cache",
                f"{cold_time:.1f} s vs synthesis {synth:.1f} s + encode {floor:.1f} s: **{cold_ratio:.2f}x** (synthesis on both cores)",
                "≤ 1.2x",
                cold_ratio <= 1.2,
            ),
        ],
        [
            f"Figure 1: LAME takes {own / floor:.2f}x as long to encode this session's audio as generated noise of the "
            f"same length ({own:.1f} s against {floor:.1f} s, both plain ffmpeg from nothing but the samples). Against "
            f"that floor of its own content the export is {warm_time / own:.2f}x: {verdict}."
        ],
    )
