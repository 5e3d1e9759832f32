"""Render: a session from script to finished audio.

``prepare`` runs the stages up to a ready mixer (steps, speech, timeline, music) for a file;
``live`` starts the same session at once for a player, its speech made and laid out while it
plays. Both wire their samples through one ``Live`` (see ``live``), so they cannot drift.
``render_file`` streams the mix block by block into a WAV, MP3 or M4B, with optional stems.
Nothing here chooses paths or prints: the caller hands in targets and a progress callback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from voiceguide import atomic
from voiceguide.equipment import GO_ON, WAIT_SPAN
from voiceguide.errors import UsageError
from voiceguide.fit import settle
from voiceguide.live import Live
from voiceguide.mixer import BLOCK, Mixer
from voiceguide.pace import get_pace
from voiceguide.script import Session
from voiceguide.sinks import AacSink, Mp3Sink, Sink, WavSink
from voiceguide.sounds.music import open_music
from voiceguide.speech import SpeechStore
from voiceguide.speech_cache import SpeechCache
from voiceguide.steps import MIDDLE, Choice, Item, Speak, Steps, Wait, build, leaves
from voiceguide.text import sentences
from voiceguide.timeline import Timeline
from voiceguide.voices import parse_spec

DEFAULT_SEED = 1
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class RenderOptions:
    """What a user can choose. ``voice`` None picks the default voice; ``music`` None the
    script's own choice (or the default mood); ``length`` None the middle of every range."""

    voice: str | None = None
    pace: str = "normal"
    music: str | None = None
    length: float | None = None
    seed: int = DEFAULT_SEED
    guidance: str = "full"  # or "brief": for someone who knows the technique
    music_level: float = 0.0  # dB relative to the house mix, within levels.LEVEL_RANGE
    cue_level: float = 0.0  # dB, the same for the chimes, ticks and breathing sounds
    callouts: bool = False  # "Halfway." in long holds, strokes left in stroke work
    wait: str | None = None  # play waits after the equipment until told: how ("keys", "voice", "both")


@dataclass(frozen=True)
class Prepared:
    steps: Steps
    timeline: Timeline
    mixer: Mixer
    speech: SpeechStore


def speech_store(
    options: RenderOptions, cache: SpeechCache | None = None, jobs: int | None = None, apart: bool = False
) -> SpeechStore:
    """``apart``: every sentence made in a worker process (see ``Synthesizer``)."""
    spec = parse_spec(options.voice, get_pace(options.pace))
    return SpeechStore(spec, cache or SpeechCache(), jobs, apart)


def settled_choices(
    session: Session, options: RenderOptions, store: SpeechStore, progress: Progress | None = None
) -> tuple[Choice, ...]:
    """Where each technique sits in its ranges. Fitting a length needs the real speech first."""
    if options.length is not None and options.length <= 0:
        raise UsageError("--length must be above zero")
    techniques = leaves(session)
    if options.length is None and all(own is None for _s, own in techniques):
        return tuple(MIDDLE for _ in techniques)
    # A length a routine gives a technique is met at full guidance, so fitting it needs that speech too.
    levels = {options.guidance} | ({"full"} if any(own is not None for _s, own in techniques) else set())
    every = [p for g in sorted(levels) for c in (1.0, 0.0) for p in build(session, Choice(c, c), g).phrases()]
    _ensure(store, every, progress)
    chooser = settle(session, store.length, store.spec.pace, options.length, options.guidance)
    return tuple(chooser(i, script) for i, (script, _own) in enumerate(techniques))


def settled_steps(
    session: Session, options: RenderOptions, store: SpeechStore, progress: Progress | None = None
) -> Steps:
    """The steps with every range chosen (and with ``options.wait``, waits for the listener)."""
    steps = build_with(session, settled_choices(session, options, store, progress), options.guidance, options.callouts)
    return waiting(steps, options.wait)


def waiting(steps: Steps, wait: str | None) -> Steps:
    """With ``wait`` ("keys" or "voice"), each fixed pause to fetch the equipment becomes the
    words that say how to go on and a ``wait`` span, where a player holds until told."""
    if wait is None:
        return steps
    items: list[Item] = []
    for item in steps.items:
        if isinstance(item, Wait) and item.kind == "fetch":
            items += [Speak(GO_ON[wait], "equipment"), Wait("wait", WAIT_SPAN)]
        else:
            items.append(item)
    return replace(steps, items=tuple(items))


def build_with(session: Session, choices: tuple[Choice, ...], guidance: str = "full", callouts: bool = False) -> Steps:
    return build(session, lambda i, _s: choices[i], guidance, callouts)


def prepare(
    session: Session,
    options: RenderOptions,
    cache: SpeechCache | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    choices: tuple[Choice, ...] | None = None,
) -> Prepared:
    """``choices`` from an earlier ``settled_choices`` skip fitting the length again."""
    store = speech_store(options, cache, jobs)
    if choices is not None:
        steps = build_with(session, choices, options.guidance, options.callouts)
    else:
        steps = settled_steps(session, options, store, progress)
    _ensure(store, steps.phrases(), progress)
    whole = _wired(steps, store, options)
    whole.lay_out()  # at once: every sentence exists
    return Prepared(steps, whole.timeline(), whole.mixer, store)


def live(
    session: Session, options: RenderOptions, cache: SpeechCache | None = None, progress: Progress | None = None
) -> Live:
    """The session ready to mix at once: its speech is made in the background in the order it
    is heard and laid out as it arrives (``Live.ready_until`` says how far). Fitting a length
    needs every sentence's real length first, so then this waits for the speech."""
    store = speech_store(options, cache)
    playing = _wired(settled_steps(session, options, store, progress), store, options)
    playing.start()
    return playing


def _wired(steps: Steps, store: SpeechStore, options: RenderOptions) -> Live:
    music = open_music(options.music or steps.music, options.seed)
    return Live(steps, store, music, options.music_level, options.cue_level)


def _ensure(store: SpeechStore, phrases: list[str], progress: Progress | None) -> None:
    units = [s for phrase in phrases for s in sentences(phrase)]
    total = len(dict.fromkeys(units))
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress("speech", done[0], total)

    store.ensure(units, step)


Tap = Callable[[np.ndarray], None]


def stream(
    prepared: Prepared,
    sink: Sink,
    stems: dict[str, Sink] | None = None,
    progress: Progress | None = None,
    start: int = 0,
    end: int | None = None,
    taps: tuple[Tap, ...] = (),
) -> None:
    """Mix samples ``[start, end)`` of the session into ``sink`` (and each stem into its own
    sink, and every mixed block to each tap, such as a loudness meter)."""
    stop = prepared.timeline.length if end is None else end
    mixer = prepared.mixer
    for at in range(start, stop, BLOCK):
        count = min(BLOCK, stop - at)
        parts = mixer.parts(at, count)
        mixed = parts.mix()
        sink.write(mixed)
        for tap in taps:
            tap(mixed)
        if stems:
            stems["voice"].write(np.repeat(parts.voice[:, None], 2, axis=1))
            stems["music"].write(parts.music)
            stems["cues"].write(np.repeat(parts.cues[:, None], 2, axis=1))
        if progress:
            progress("mix", at + count - start, stop - start)


def render_file(
    prepared: Prepared,
    output: Path,
    stems_dir: Path | None = None,
    progress: Progress | None = None,
    start: int = 0,
    end: int | None = None,
    taps: tuple[Tap, ...] = (),
    finish: Callable[[Path], None] | None = None,
) -> None:
    """Write samples ``[start, end)`` of the session to ``output`` (.wav, .mp3 or .m4b), and stems
    into ``stems_dir``, each atomically. ``finish(temp)`` runs on the complete file before it
    takes its name (to add tags)."""
    stop = prepared.timeline.length if end is None else end
    targets = {name: stems_dir / f"{name}.wav" for name in ("voice", "music", "cues")} if stems_dir else {}
    frames = stop - start
    with contextlib.ExitStack() as stack:
        temp = stack.enter_context(atomic.replacing(output))
        stem_sinks: dict[str, Sink] = {}
        for name, target in targets.items():
            path = stack.enter_context(atomic.replacing(target))
            handle = stack.enter_context(open(path, "wb"))
            stem_sinks[name] = WavSink(handle, frames, floating=True)
        if output.suffix.lower() in (".mp3", ".m4b"):
            sink = (AacSink if output.suffix.lower() == ".m4b" else Mp3Sink)(temp, label=output)
            try:
                stream(prepared, sink, stem_sinks, progress, start, stop, taps)
                sink.close()
            except BaseException:
                sink.abort()
                raise
        else:
            with open(temp, "wb") as handle:
                wav = WavSink(handle, frames)
                stream(prepared, wav, stem_sinks, progress, start, stop, taps)
                wav.close()
        for sink_ in stem_sinks.values():
            sink_.close()
        if finish:
            finish(temp)
