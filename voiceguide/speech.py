"""Speech: every sentence of a session as a clip, from the cache or synthesised on all cores.

``SpeechStore`` is what the timeline and the mixer ask: ``length(sentence)`` in samples at
44.1 kHz, and ``clip(sentence)``: float32 mono, trimmed, resampled, levelled to
``levels.VOICE_LOUDNESS`` and limited to ``levels.VOICE_CEILING``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

import numpy as np

from voiceguide import dsp, levels
from voiceguide.errors import RenderError, VoiceguideError
from voiceguide.loudness import clip_loudness, limit_true_peak
from voiceguide.samples import SAMPLE_RATE, to_int16
from voiceguide.speech_cache import Entry, SpeechCache, key
from voiceguide.voices import Voice, VoiceSpec, open_voice
from voiceguide.workers import Pool, Stop, Worker, WorkerLost, cores

POOL_THRESHOLD = 6  # sentences: fewer than this are synthesised in this process
SYSTEM_BATCH = 8
CLIP_MEMORY = 64 * 2**20  # bytes of prepared clips kept in memory

Progress = Callable[[int], None]


def trim(audio: np.ndarray, rate: int) -> np.ndarray:
    """Cut the silence a voice leaves around a sentence, keeping soft edges."""
    if audio.size == 0:
        return audio
    window = max(1, int(0.005 * rate))
    usable = audio[: len(audio) // window * window]
    frames = np.sqrt((usable.reshape(-1, window) ** 2).mean(axis=1)) if usable.size else np.zeros(1)
    peak = float(frames.max(initial=0.0))
    if peak <= 1e-6:
        return np.zeros(0, np.float32)
    head = np.flatnonzero(frames > peak * 10 ** (-40 / 20))
    tail = np.flatnonzero(frames > peak * 10 ** (-50 / 20))
    start = max(0, head[0] * window - int(0.003 * rate))
    end = min(len(audio), (tail[-1] + 1) * window + int(0.04 * rate))
    out = audio[start:end].astype(np.float32).copy()
    fade_in, fade_out = min(len(out), int(0.002 * rate)), min(len(out), int(0.012 * rate))
    out[:fade_in] *= np.linspace(0, 1, fade_in, endpoint=False, dtype=np.float32)
    out[len(out) - fade_out :] *= np.linspace(1, 0, fade_out, dtype=np.float32)
    return out


def resampled_length(count: int, rate: int) -> int:
    g = math.gcd(SAMPLE_RATE, rate)
    up, down = SAMPLE_RATE // g, rate // g
    return int(math.ceil(count * up / down))


def prepare(entry: Entry) -> np.ndarray:
    """A cached sentence as it goes into the mix: 44.1 kHz, levelled, true-peak limited (on
    numpy alone: the player prepares clips while it plays)."""
    audio = entry.samples.astype(np.float32) / 32768.0
    if entry.rate != SAMPLE_RATE:
        audio = dsp.resample_poly(audio, SAMPLE_RATE, entry.rate).astype(np.float32)
    audio = audio[: resampled_length(len(entry.samples), entry.rate)]
    loudness = clip_loudness(audio, SAMPLE_RATE)
    if loudness > -70:
        audio = audio * levels.gain(levels.VOICE_LOUDNESS - loudness)
    return onset_first(limit_true_peak(audio, SAMPLE_RATE, levels.VOICE_CEILING))


ONSET_DBFS = -40.0  # the voice is heard from its first sample above this (at its level in the mix)
ONSET_LEAD = 0.003  # seconds kept before it


def onset_first(clip: np.ndarray) -> np.ndarray:
    """The clip moved earlier so that its sound starts ``ONSET_LEAD`` after its first sample
    (where the cue sheet says it starts), with a 2 ms fade-in; the same length, the time taken
    from the front added as silence at the end. (The trim when the sentence is made works
    relative to the sentence's own peak, before levelling: up to 18 ms of sound below -40 dBFS
    was left in front.)"""
    loud = np.flatnonzero(np.abs(clip) > 10 ** (ONSET_DBFS / 20))
    cut = max(0, int(loud[0]) - int(ONSET_LEAD * SAMPLE_RATE)) if loud.size else 0
    if cut == 0:
        return clip
    out = np.zeros_like(clip)
    out[: len(clip) - cut] = clip[cut:]
    fade = min(int(0.002 * SAMPLE_RATE), len(clip) - cut)
    out[:fade] *= np.linspace(0, 1, fade, endpoint=False, dtype=out.dtype)
    return out


class Synthesizer:
    """Sentences to audio for one voice; on every core when there are many. ``apart`` makes
    even one sentence in a worker process, never in this one: for a caller whose threads must
    keep running meanwhile (a player feeding its device), which loading a model here would stall."""

    def __init__(self, spec: VoiceSpec, jobs: int | None = None, apart: bool = False) -> None:
        self.spec = spec
        self.jobs = max(1, jobs or cores())
        self.apart = apart
        self._voice: Voice | None = None

    def voice(self) -> Voice:
        if self._voice is None:
            self._voice = open_voice(self.spec)
        return self._voice

    def stream(
        self, sentences: list[str], stop: Stop | None = None
    ) -> Generator[tuple[str, np.ndarray, int], None, None]:
        """Yield (sentence, float32 audio, rate) in the order given; ``stop``, once set from
        another thread, ends it with ``Stopped`` (its workers stopped and gone first)."""
        if not sentences:
            return
        stop = stop or Stop()
        stop.check()
        if self.spec.engine == "system":
            batches = [sentences[i : i + SYSTEM_BATCH] for i in range(0, len(sentences), SYSTEM_BATCH)]
            voice = self.voice()
            threads = ThreadPoolExecutor(max_workers=self.jobs)
            try:
                for batch, results in zip(batches, threads.map(voice.synthesize, batches), strict=True):
                    stop.check()
                    for sentence, (audio, rate) in zip(batch, results, strict=True):
                        yield sentence, audio, rate
            finally:
                threads.shutdown(cancel_futures=True)  # what has not started never starts
            return
        if not self.apart and (len(sentences) < POOL_THRESHOLD or self.jobs < 2):
            voice = self.voice()
            for sentence in sentences:
                ((audio, rate),) = voice.synthesize([sentence])
                yield sentence, audio, rate
                stop.check()
            return
        try:
            with Pool[str, tuple[np.ndarray, int]](
                self.jobs, open_voice, (self.spec,), stop=stop, name="speech"
            ) as pool:
                for sentence, (audio, rate) in zip(sentences, pool.map(_say, sentences), strict=True):
                    yield sentence, audio, rate
        except WorkerLost:
            raise RenderError("a speech worker process stopped unexpectedly; try again with --jobs 1") from None


def _say(sentence: str, worker: Worker) -> tuple[np.ndarray, int]:
    """In a speech worker, whose state is its voice (opened once, by ``open_voice``)."""
    voice: Voice = worker.state
    return voice.synthesize([sentence])[0]


class SpeechStore:
    """Clips by sentence for one voice, backed by the speech cache.

    ``close`` (or the end of a ``with`` block) stops what is still being made: what is queued
    is dropped, the speech workers are stopped and waited for, on the thread that started
    them. Sentences already made stay in the cache."""

    def __init__(self, spec: VoiceSpec, cache: SpeechCache, jobs: int | None = None, apart: bool = False) -> None:
        self.spec = spec
        self.cache = cache
        self.synth = Synthesizer(spec, jobs, apart)
        self.identity = self.synth.voice().identity()
        self._entries: dict[str, Entry] = {}
        self._ready: dict[str, threading.Event] = {}
        self._failure: BaseException | None = None
        self._clips: OrderedDict[str, np.ndarray] = OrderedDict()
        self._clip_bytes = 0
        self._lock = threading.Lock()
        self._stop = Stop()
        self._background: list[threading.Thread] = []
        self.synthesised = 0

    def close(self) -> None:
        """Stop making speech and wait until every speech worker has gone. Idempotent."""
        self._stop.set()
        for thread in self._background:
            thread.join()

    def __enter__(self) -> SpeechStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- making sure speech exists ----------------------------------------------------------

    def ensure(self, sentences: Iterable[str], progress: Progress | None = None) -> None:
        """Read or synthesise every sentence, in order. ``progress(n)`` counts sentences done."""
        wanted = list(dict.fromkeys(sentences))
        missing = []
        for sentence in wanted:
            if self._lookup(sentence) is None:
                missing.append(sentence)
            elif progress:
                progress(1)
        try:
            with contextlib.closing(self.synth.stream(missing, self._stop)) as made:  # its workers end here too
                for sentence, audio, rate in made:
                    trimmed = trim(audio, rate)
                    if trimmed.size == 0:
                        raise RenderError(f"the {self.spec.engine} voice produced silence for {sentence!r}")
                    entry = self.cache.store(key(self.identity, sentence), Entry(to_int16(trimmed), rate))
                    self.synthesised += 1
                    self._remember(sentence, entry)
                    if progress:
                        progress(1)
        except BaseException as exc:
            with self._lock:
                self._failure = exc
                for event in self._ready.values():
                    event.set()
            raise

    def ensure_in_background(self, sentences: list[str]) -> threading.Thread:
        """Start ``ensure`` on a thread; ``length`` and ``clip`` wait for what they need.
        ``close`` stops it."""
        with self._lock:
            for sentence in sentences:
                self._ready.setdefault(sentence, threading.Event())

        def run() -> None:
            try:
                self.ensure(sentences)
            except BaseException:  # kept in _failure; the waiting side raises it
                pass

        thread = threading.Thread(target=run, name="voiceguide-speech", daemon=True)
        self._background.append(thread)
        thread.start()
        return thread

    def _lookup(self, sentence: str) -> Entry | None:
        with self._lock:
            if sentence in self._entries:
                return self._entries[sentence]
        entry = self.cache.read(key(self.identity, sentence))
        if entry is not None:
            self._remember(sentence, entry)
        return entry

    def _remember(self, sentence: str, entry: Entry) -> None:
        with self._lock:
            self._entries[sentence] = entry
            self._ready.setdefault(sentence, threading.Event()).set()

    def entry(self, sentence: str) -> Entry:
        entry = self._lookup(sentence)
        if entry is not None:
            return entry
        with self._lock:
            waiter = self._ready.get(sentence)
        if waiter is None:
            self.ensure([sentence])
        else:
            waiter.wait()
        with self._lock:
            if sentence in self._entries:
                return self._entries[sentence]
            failure = self._failure
        if isinstance(failure, VoiceguideError | KeyboardInterrupt):
            raise failure
        raise RenderError(f"speech for {sentence!r} could not be made ({failure})")

    # -- what the timeline and the mixer ask -------------------------------------------------

    def length(self, sentence: str) -> int:
        """Samples at 44.1 kHz that ``sentence`` lasts in the mix."""
        entry = self.entry(sentence)
        return resampled_length(len(entry.samples), entry.rate)

    def clip(self, sentence: str) -> np.ndarray:
        with self._lock:
            if sentence in self._clips:
                self._clips.move_to_end(sentence)
                return self._clips[sentence]
        clip = prepare(self.entry(sentence))
        with self._lock:
            self._clips[sentence] = clip
            self._clip_bytes += clip.nbytes
            while self._clip_bytes > CLIP_MEMORY and len(self._clips) > 1:
                _, old = self._clips.popitem(last=False)
                self._clip_bytes -= old.nbytes
        return clip
