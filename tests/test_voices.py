"""Voices and the speech cache, with the real engines: Piper's joe voice and pyttsx3."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voiceguide import library
from voiceguide.cuesheet import cue_sheet
from voiceguide.errors import RenderError, UsageError
from voiceguide.pace import PACES, word_rates
from voiceguide.render import RenderOptions, speech_store
from voiceguide.speech import trim
from voiceguide.speech_cache import Entry, SpeechCache, key
from voiceguide.steps import BREATH_WORDS, build
from voiceguide.text import sentences, word_count
from voiceguide.timeline import build as lay_out
from voiceguide.voices import open_voice, parse_spec
from voiceguide.voices.system import run_worker

TEXTS = ["Breathe in slowly.", "Let your shoulders drop, and soften your jaw.", "Rest."]


def test_voice_specs() -> None:
    assert parse_spec("natural").engine == "natural"
    assert parse_spec("system:gmw/en").voice == "gmw/en"
    assert parse_spec(None).engine == "natural", "the natural voice is the default when installed"
    with pytest.raises(UsageError, match="unknown voice 'robot'"):
        parse_spec("robot")
    with pytest.raises(UsageError, match="bundled natural voice is joe"):
        parse_spec("natural:amy")


@pytest.mark.parametrize("engine", ["natural", "system"])
def test_each_text_gets_its_own_clip(engine: str) -> None:
    clips = open_voice(parse_spec(engine)).synthesize(TEXTS)
    lengths = [len(audio) / rate for audio, rate in clips]
    assert len(clips) == 3
    assert lengths[2] < lengths[0] < lengths[1], "pyttsx3 saves only the last queued text unless run per text"
    for audio, rate in clips:
        assert audio.dtype == np.float32 and rate == 22050
        assert np.max(np.abs(audio)) > 0.05


def test_natural_voice_is_deterministic() -> None:
    """The same text gives the same samples, in this process or a worker of the pool."""
    from voiceguide.speech import Synthesizer

    texts = ["Child's pose.", "Ten seconds.", TEXTS[1], "Breathe in.", "And out.", "Hold.", "Rest."]
    here = open_voice(parse_spec("natural")).synthesize(texts)
    pooled = list(Synthesizer(parse_spec("natural"), jobs=2).stream(texts))
    again = open_voice(parse_spec("natural")).synthesize(list(reversed(texts)))[::-1]
    for (a, _), (_, b, _), (c, _) in zip(here, pooled, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_system_voice_is_deterministic() -> None:
    """The same texts give the same samples in every worker, several at once: espeak applies
    a rate change on a thread of its own, and the worker must wait for it (before, about one
    worker in twenty spoke a text at pyttsx3's own rate)."""
    from concurrent.futures import ThreadPoolExecutor

    voice = open_voice(parse_spec("system"))
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _: voice.synthesize(TEXTS), range(24)))
    for run in runs[1:]:
        for (a, _), (b, _) in zip(runs[0], run, strict=True):
            np.testing.assert_array_equal(a, b)


def test_system_worker_keeps_its_answer_clean_and_times_out() -> None:
    answer = run_worker({"voice": "gmw/en-us", "rate": 140, "items": []})
    assert answer == {"ok": True}
    with pytest.raises(RenderError, match=r"did not answer within 0 s and was stopped"):
        run_worker({"voice": "gmw/en-us", "rate": 140, "items": [["Hello there.", "/dev/null"]]}, timeout=0.01)


def test_trim_leaves_soft_edges() -> None:
    rate = 22050
    tone = np.sin(np.arange(rate) * 2 * np.pi * 200 / rate).astype(np.float32) * 0.5
    padded = np.concatenate([np.zeros(rate // 2, np.float32), tone, np.zeros(rate // 2, np.float32)])
    out = trim(padded, rate)
    assert abs(len(out) - rate) < 0.06 * rate
    assert abs(out[0]) < 0.01 and abs(out[-1]) < 0.01


@pytest.mark.parametrize("engine", ["natural", "system"])
def test_calm_pace_words_a_minute(engine: str) -> None:
    """At normal, 120 to 130 words a minute over running speech and at most 150 inside a
    sentence, measured over the cue sheets of three routines that hold most of the library's
    techniques (the benchmark's row 9 measures the whole library; one short routine alone can
    sit a word or two off); slow is clearly slower, fast faster (measured on one technique)."""

    def sheet(name: str, pace: str) -> list[dict[str, object]]:
        store = speech_store(RenderOptions(voice=engine, pace=pace))
        plan = build(library.load(name))
        store.ensure([s for p in plan.phrases() for s in sentences(p)])
        return cue_sheet(lay_out(plan, store.length, store.spec.pace))["events"]

    def rates(name: str, pace: str) -> tuple[float, float]:
        return word_rates(sheet(name, pace), PACES[pace], BREATH_WORDS.values())

    # Pooled: every routine's words over all their time, inside sentences and over running speech.
    words = sounding = running_time = 0.0
    for name in ("daily-routine", "back-pain-recovery", "partner-back-massage"):
        events = sheet(name, "normal")
        count = sum(
            word_count(str(e["text"]))
            for e in events
            if e["kind"] == "speech" and e["text"] not in BREATH_WORDS.values()
        )
        inside_one, running_one = word_rates(events, PACES["normal"], BREATH_WORDS.values())
        words, sounding, running_time = words + count, sounding + count / inside_one, running_time + count / running_one
    inside, running = words / sounding, words / running_time
    assert 120 <= running <= 130 and inside <= 150, (inside, running)
    paces = {pace: rates("upper-trapezius-release", pace) for pace in ("slow", "normal", "fast")}
    assert paces["slow"][1] <= 0.9 * paces["normal"][1] and paces["slow"][0] <= 0.92 * paces["normal"][0], paces
    assert paces["fast"][1] >= 1.05 * paces["normal"][1], paces


# -- the cache ------------------------------------------------------------------------------


def test_cache_round_trip_and_damage(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path)
    entry = Entry(np.arange(-500, 500, dtype=np.int16), 22050)
    digest = key({"engine": "x"}, "hello")
    assert cache.read(digest) is None
    assert cache.store(digest, entry) is entry
    got = cache.read(digest)
    assert got is not None and np.array_equal(got.samples, entry.samples) and got.rate == 22050
    path = cache.path(digest)
    original = path.read_bytes()
    for damage in (original[:-10], b"", b"garbage" * 100, original[:-4] + b"\x00\x01\x02\x03"):
        path.write_bytes(damage)
        assert cache.read(digest) is None, "a damaged entry reads as missing"
        assert cache.store(digest, entry) is entry, "and is replaced"
        assert path.read_bytes() == original
    other = Entry(np.zeros(10, np.int16) + 7, 22050)
    assert np.array_equal(cache.store(digest, other).samples, entry.samples), "the first writer wins"
    assert not list(tmp_path.rglob(".tmp-*")), "no temporary files are left"
    assert key({"engine": "x"}, "hello") != key({"engine": "y"}, "hello") != key({"engine": "x"}, "hello!")


def test_fully_cached_render_does_not_load_the_model(tmp_path: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text("title: Short\nsteps:\n  - say: Relax your hands.\n  - hold: 3s\n")
    program = (
        "import sys; from voiceguide import library; from voiceguide.render import RenderOptions, prepare;"
        f"prepare(library.load({str(script)!r}), RenderOptions(music='none'));"
        "print('onnxruntime' in sys.modules, 'piper' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["True", "True"]
    second = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert second.stdout.split() == ["False", "False"], second.stderr


def test_voices_command_lists_both_engines() -> None:
    from typer.testing import CliRunner

    from voiceguide.cli import app

    result = CliRunner().invoke(app, ["voices"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\* natural\s+joe", result.stdout, re.M)
    assert "system:gmw/en-us" in result.stdout
