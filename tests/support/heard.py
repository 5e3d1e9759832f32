"""What a recording of the sound device heard, measured against the render by correlation.

Every position here comes from matching samples, never from the wall clock or a loudness
threshold: where a piece of the render lies in the recording is the peak of their
cross-correlation, and where a fade begins or ends is the sample at which the render,
shaped by that fade, fits the recording best.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy import signal

from voiceguide.player.core import FADE
from voiceguide.sounds import cues

SR = 44100
EXACT = 1.5 / 32768  # 16-bit rounding: the recording is the render to within this
GAP = 64  # samples: a run of digital zeros this long inside the sound is silence the device inserted
ALONE = int(0.1 * SR)  # a pause's mark is heard alone from here on (the fade under its start is over)


def peak(recording: np.ndarray, piece: np.ndarray) -> int:
    """Where in ``recording`` the piece fits best: the peak of the normalised cross-correlation
    (a quiet piece is found where it is, not where the recording is loudest)."""
    scores = signal.correlate(recording, piece, mode="valid", method="fft")
    power = np.concatenate([[0.0], np.cumsum(recording.astype(np.float64) ** 2)])
    energy = power[len(piece) :] - power[: len(power) - len(piece)]
    return int(np.argmax(scores / np.sqrt(np.maximum(energy, 1e-12))))


def locate(recording: np.ndarray, render: np.ndarray, at: float, seconds: float = 1.0) -> int:
    """The offset of the render in the recording (recording index minus render index), found
    from the render's samples from ``at`` seconds on."""
    start = int(at * SR)
    return peak(recording, render[start : start + int(seconds * SR)]) - start


def quarter_offsets(
    recording: np.ndarray, render: np.ndarray, skip: float = 0.25, near: int | None = None
) -> list[int]:
    """The offset at which each quarter second of the render (after ``skip``) was heard; a
    quarter of digital silence has no place of its own and is passed over. With ``near``,
    each quarter is looked for within 3 s of that offset only (much faster)."""
    quarter = SR // 4
    offsets = []
    for start in range(int(skip * SR), len(render) - quarter + 1, quarter):
        piece = render[start : start + quarter]
        if not np.any(piece):
            continue
        if near is None:
            offsets.append(peak(recording, piece) - start)
        else:
            low = max(0, near + start - 3 * SR)
            offsets.append(low + peak(recording[low : near + start + 3 * SR + quarter], piece) - start)
    return offsets


def place(recording: np.ndarray, sound: np.ndarray, start: int, stop: int) -> int:
    """Where ``sound`` lies in ``recording[start:stop]`` (a recording index)."""
    return max(0, start) + peak(recording[max(0, start) : stop + len(sound)], sound)


def remove(recording: np.ndarray, sound: np.ndarray, start: int, stop: int, alone: int = 0) -> np.ndarray:
    """The recording less ``sound``, found by correlation within ``[start, stop)``. With
    ``alone``, the sound is heard alone from that many samples into it for a tenth of a
    second (a pause's mark, once the fade under its start is over): it is found by that
    part, then fitted there to the sample where least is left. The whole sound's peak can be
    whole periods of a note off when what is under its start is loud, and any peak a sample
    off when what comes after it is."""
    if not alone:
        at = place(recording, sound, start, stop)
    else:
        end = min(len(sound), alone + SR // 10)
        at = place(recording, sound[alone:end], start + alone, stop + alone) - alone

        def left(shift: int) -> float:
            piece = recording[at + shift + alone : at + shift + end]
            return float(np.sum((piece - sound[alone : alone + len(piece)]) ** 2))

        at += min(range(-3, 4), key=left)
    return subtract(recording, sound, at)


def subtract(recording: np.ndarray, sound: np.ndarray, at: int) -> np.ndarray:
    """The recording less ``sound`` heard from index ``at``."""
    cleaned = recording.copy()
    cleaned[at : at + len(sound)] -= sound[: len(cleaned) - at]
    return cleaned


def fade_end(recording: np.ndarray, render: np.ndarray, offset: int, near: int, fade: int, span: int) -> int:
    """The session sample after the last one of a fade-out heard near ``near``: the end at
    which the render, faded linearly over ``fade`` samples and silent after, fits the recording
    best (the session before the fade belongs to the fit too)."""
    return _fade_fit(recording, render, offset, range(near - span - fade, near + span - fade), fade, False) + fade


def _fade_fit(recording: np.ndarray, render: np.ndarray, offset: int, starts: range, fade: int, rising: bool) -> int:
    """Of ``starts``, the session sample at which a linear fade of ``fade`` samples (in when
    ``rising``, out otherwise) begins where it fits the recording best: a fade's width either side
    belongs to the fit, silence before a fade-in and the session after it, the session before a
    fade-out and silence after it."""
    shape = (np.arange(fade) + 1) / fade if rising else (fade - 1 - np.arange(fade)) / fade
    errors = []
    for n in starts:
        heard = recording[offset + n - fade : offset + n + 2 * fade]
        want = np.concatenate([render[n - fade : n], render[n : n + fade] * shape, render[n + fade : n + 2 * fade]])
        if rising:
            want[:fade] = 0
        else:
            want[2 * fade :] = 0
        errors.append(float(np.sum((heard - want) ** 2)) if len(heard) == len(want) else np.inf)
    return starts[int(np.argmin(errors))]


def resume_start(
    recording: np.ndarray, render: np.ndarray, offset: int, near: int, fade: int, mark: np.ndarray, span: int
) -> tuple[int, int]:
    """Where a resume heard near ``near`` begins: the session sample of its fade-in's first sample
    (the render faded in over ``fade`` samples, silence before it), and the recording index where
    its ``mark`` starts. Each is fitted on the recording less the other, in turn, until neither
    moves: found by its correlation peak alone, the mark (a tone) can sit samples off over loud
    speech, and the fade fitted after it moves with it; and the mark may begin a device block
    before the fade-in, when the device took one in between."""
    shape = (np.arange(fade) + 1) / fade
    at = place(recording, mark, offset + near - span, offset + near + span)
    start = near
    for _ in range(5):
        start = _fade_fit(subtract(recording, mark, at), render, offset, range(near - span, near + span), fade, True)
        faded = render[start : start + len(mark)].astype(np.float64)
        faded[:fade] *= shape[: len(faded)]
        moved = place(subtract(recording, faded, offset + start), mark, at - 2048, at + 2048)
        if moved == at:
            break
        at = moved
    return start, at


def first_mismatch(recording: np.ndarray, render: np.ndarray, offset: int, start: int) -> int:
    """The first session sample from ``start`` on that the recording does not hold exactly."""
    heard = recording[offset + start : offset + len(render)]
    wrong = np.flatnonzero(np.abs(heard - render[start : start + len(heard)]) > 2 * EXACT)
    return start + int(wrong[0]) if len(wrong) else start + len(heard)


def silences_inserted(recording: np.ndarray, render: np.ndarray, offset: int, start: int) -> list[tuple[int, int]]:
    """Walk the recording against the render, from session sample ``start`` at ``offset``, and
    return where a device that ran dry inserted silence: (session sample, samples of silence).
    Fails unless every sample of the render from ``start`` on was heard exactly, in order, once:
    after each place where the recording stops matching, the rest of the render must be found
    later in it (never earlier: nothing lost), with nothing but silence in between (nothing
    repeated or changed)."""
    quarter = SR // 4
    inserted: list[tuple[int, int]] = []
    at = start
    while True:
        assert offset + len(render) <= len(recording), f"heard to the end ({len(inserted)} silences inserted)"
        mismatch = first_mismatch(recording, render, offset, at)
        assert mismatch > at or not inserted, f"the session goes on exactly after {at / SR:.3f} s"
        at = mismatch
        if at >= len(render):
            return inserted
        piece = render[at : at + quarter]
        window = recording[offset + at : offset + at + 3 * SR + len(piece)]
        later = peak(window, piece) if len(window) >= len(piece) else 0
        between = recording[offset + at : offset + at + later]
        assert later > 0 and np.max(np.abs(between)) <= 2 * EXACT, (
            f"at {at / SR:.3f} s into the session the recording differs from the render, and what follows "
            f"is not the rest of it after a silence: samples lost, repeated or changed, or silences closer "
            f"together than a quarter second (the best match {later} samples on)"
        )
        offset += later
        inserted.append((at, later))


def heard_until(
    recording: np.ndarray, render: np.ndarray, offset: int, start: float = 0.5, drift: float = 5.0
) -> tuple[float, int]:
    """How far into the session the recording holds it, and where in the recording that was:
    the end of the last quarter second (from ``start`` on) found with a normalised correlation
    of at least 0.9 where the one before was (give or take 2 ms), or of at least 0.97 up to
    ``drift`` seconds later (a bell's ring resembles itself a little later, at about 0.95). So
    sound passed through a resampler, or moved on by a wait for the device, is followed; a
    quarter of digital silence is passed over."""
    quarter, slack = SR // 4, SR // 500
    last, current = (start, offset + int(start * SR)), offset
    for begin in range(int(start * SR), len(render) - quarter + 1, quarter):
        piece = render[begin : begin + quarter]
        if not np.any(piece):
            continue
        found = None
        for reach, needed in ((slack, 0.9), (int(drift * SR), 0.97)):  # in place first; a move must be clear
            low = max(0, current + begin - slack)
            window = recording[low : current + begin + quarter + reach]
            if len(window) < quarter:
                break
            scores = signal.correlate(window, piece, mode="valid", method="fft")
            power = np.concatenate([[0.0], np.cumsum(window.astype(np.float64) ** 2)])
            score = scores / np.sqrt(np.sum(piece**2) * np.maximum(power[quarter:] - power[:-quarter], 1e-12))
            best = int(np.argmax(score))
            if score[best] >= needed:
                found = low + best - begin
                break
        if found is not None:
            current = found
            last = ((begin + quarter) / SR, current + begin + quarter)
    return last


def cut_at_the_end(recording: np.ndarray, render: np.ndarray, before: float = 0.5) -> tuple[int, int]:
    """Where a session that was stopped (quit) went silent: ``(offset, cut)``, the session's
    offset in the recording and the session sample after the last one heard. Found from the
    recording's last sound, so what came before (a wait for the device, a fade for a slow
    source) does not matter; the fade-in at the start is left out. Fails unless the last ``before`` seconds of sound were the session,
    sample for sample, right up to the silence: a cut, with nothing let through after it and
    nothing faded."""
    loud = np.flatnonzero(np.abs(recording) > 2 * EXACT)
    assert len(loud), "the session was heard"
    end = int(loud[-1]) + 1
    begin = max(int(loud[0]) + int(FADE * SR), end - int(before * SR))  # after the fade-in
    at = peak(render, recording[begin:end])  # the session sample heard at ``begin``
    offset = begin - at
    cut = first_mismatch(recording, render, offset, at)
    assert offset + cut >= end, (
        f"the last {(end - begin) / SR:.2f} s of sound were not the session up to the silence: "
        f"it differs {(end - offset - cut) / SR:.3f} s before the sound ends"
    )
    return offset, cut


CLOCK = re.compile(r"\d+(?::\d\d)+")
BREAK_BEFORE, BREAK_AFTER = 1.0, 1.5  # seconds around a break said in whole seconds where the sound may differ


def complaints(stderr: bytes | str) -> list[str]:
    """What ``play`` said on standard error, less the line saying that the machine was too
    busy to keep the device fed (which a loaded test machine may earn at any time)."""
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    return [line for line in text.splitlines() if not line.startswith("The sound broke up")]


def said_breaks(stderr: str) -> list[float]:
    """Where ``play`` said the sound broke up (its closing line when the device ran dry), in
    seconds of the session, as it says them (whole seconds)."""
    line = re.search(r"The sound broke up [^(]*\(at ([^)]*)\)", stderr)
    if line is None:
        return []
    return [
        sum(int(part) * 60**i for i, part in enumerate(reversed(clock.split(":")))) for clock in CLOCK.findall(line[1])
    ]


def assert_exact(
    recording: np.ndarray, render: np.ndarray, offset: int, start: int, breaks: list[float], what: str = ""
) -> None:
    """Sample for sample from session sample ``start``, heard at ``offset``, to the end of the
    render. Only where the player said the sound broke up (``breaks``) may it differ: around
    each, silence may have come in or the sound server skipped ahead, so the sound after it
    is found again, near where it was, and must be exact again from there."""
    at = start
    for lo, hi in [(int((b - BREAK_BEFORE) * SR), int((b + BREAK_AFTER) * SR)) for b in sorted(breaks)]:
        if hi <= at:
            continue
        until = first_mismatch(recording, render, offset, at)
        assert until >= lo, f"{what}heard exactly to {until / SR:.3f} s, where the player said of no break"
        if hi >= len(render) - SR:  # a break in the last second: nothing after it to find again
            return
        at = hi
        offset = place(recording, render[at : at + SR], offset + at - 3 * SR, offset + at + 3 * SR) - at
    until = first_mismatch(recording, render, offset, at)
    assert until == len(render), f"{what}heard exactly to {until / SR:.3f} s of {len(render) / SR:.3f} s"


def assert_heard_whole(
    heard: np.ndarray, render: np.ndarray, server: str = "the", breaks: list[float] | None = None
) -> None:
    """Every quarter second of the render at one offset, and sample for sample after the
    fade-in. Where the player said the sound broke up (``breaks``: the device ran dry on a
    machine too busy to feed it), each stretch between breaks is exact at an offset of its own."""
    if breaks:
        assert_exact(heard, render, locate(heard, render, 1.0), int(FADE * SR), breaks, f"{server} server: ")
        return
    offset = locate(heard, render, 1.0)
    offsets = quarter_offsets(heard, render, near=offset)
    moved = sorted({(i / 4 + 0.25, o - offset) for i, o in enumerate(offsets) if o != offset})[:5]
    assert not moved, f"{server} server: samples lost or repeated: (seconds into the session, samples moved) {moved}"
    aligned = heard[offset : offset + len(render)]
    assert len(aligned) == len(render), "heard to the end"
    fade = int(FADE * SR)
    assert np.max(np.abs(aligned[fade:] - render[fade:])) <= EXACT, "sample for sample what render writes"


@contextmanager
def busy_cores() -> Iterator[None]:
    """A busy loop on every core, for as long as the block runs."""
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@dataclass(frozen=True)
class Heard:
    """A pause, a resume and a quit as the recording heard them, in session samples."""

    before: int  # the offset of the session in the recording before the pause
    after: int  # and after it
    intact_until: int  # the first sample before the pause that was not heard exactly
    stopped: int  # the sample after the last one heard before the pause (the fade's end)
    resumed: int  # the sample the resume began at (the fade-in's start)
    last: int  # the sample after the last one heard before the sound was cut at quit


def hear_pause_resume_quit(heard: np.ndarray, render: np.ndarray, said: dict) -> Heard:
    """Measure what ``tests/drive.py`` did (``said`` is what it printed) on the recording. Each
    moment is measured against the session's offset just before it, so that a stall elsewhere
    (a busy machine may cause one; it costs no sample) does not move it."""
    fade, span = int(FADE * SR), int(0.3 * SR)
    before = locate(heard, render, max(0.5, said["key_next"] / SR - 1.2))
    pause_mark = np.asarray(cues.mark("pause"), dtype=np.float64)
    clean = remove(heard, pause_mark, before + said["key_next"] - span, before + said["key_next"] + span, ALONE)
    intact = first_mismatch(clean, render, before, max(0, said["key_next"] - SR))
    # The fade's end, fitted near where the recording first leaves the render (the fade's start)
    # plus a fade: what is left of the pause mark over loud speech can outweigh a 40 ms fade
    # further away, so the search starts from the recording, not from what the player said.
    stopped = fade_end(clean, render, before, intact + fade, fade, int(0.05 * SR))
    after = locate(heard, render, said["resumed_from"] / SR + 1.0)
    resume_mark = np.asarray(cues.mark("resume"), dtype=np.float64)
    resumed, marked = resume_start(heard, render, after, said["resumed_from"], fade, resume_mark, span)
    clean = subtract(heard, resume_mark, marked)
    ending = locate(clean, render, max(said["resumed_from"] / SR + 0.5, said["quit_at"] / SR - 1.0), 0.5)
    last = first_mismatch(clean, render, ending, max(resumed + int(0.5 * SR), said["quit_at"] - SR // 2))
    return Heard(before, after, intact, stopped, resumed, last)


@dataclass(frozen=True)
class Ducked:
    """A session quit while a speaker ducked it: the session's offset in the recording, the
    session sample after the last one heard, where the duck's gain turned (session sample, the
    gain it heads for) and the lowest gain the session was heard at."""

    offset: int
    cut: int
    turns: list[tuple[int, float]]
    lowest: float


def _envelope(turns: list[tuple[int, float]], first: int, count: int, step: float) -> np.ndarray:
    """The duck's gain for session samples ``first`` .. ``first + count``, as the player's tap
    makes it: from each turn's sample on, ``step`` a sample toward that turn's target (1 or the
    duck's low), then held there."""
    out = np.ones(count)
    gain, target, at = 1.0, 1.0, first
    for until, next_target in [*turns, (first + count, target)]:
        until = min(max(until, at), first + count)
        n = until - at
        if n > 0:
            ramp = gain + np.sign(target - gain) * step * np.arange(1, n + 1)
            ramp = np.minimum(ramp, target) if target >= gain else np.maximum(ramp, target)
            out[at - first : until - first] = ramp
            gain = float(ramp[-1])
        at, target = until, next_target
    return out


def ducked_cut(recording: np.ndarray, render: np.ndarray, low: float, ramp: float, before: float = 2.0) -> Ducked:
    """Where a session that was quit while a speaker ducked it went silent, and its duck. Holds
    that the last ``before`` seconds of sound were the session times the duck's gain, sample for
    sample, right up to the silence: down to ``low`` and back, ramped ``1/ramp`` a second (no
    click), with nothing else let through, nothing faded. Silence the device was handed for want
    of samples (a busy machine: digital zeros, at least ``GAP`` of them) is left out, as nothing
    of the session is lost in it."""
    loud = np.flatnonzero(np.abs(recording) > 2 * EXACT)
    assert len(loud), "the session was heard"
    end = int(loud[-1]) + 1
    first = int(loud[0]) + int(FADE * SR)
    begin = max(first, end - int(before * SR))
    # Back to where the session was heard whole, before the duck went down: a tenth of a second
    # that is the session's own samples, which then places the whole stretch. (Correlated over
    # the whole stretch, mostly a duck over music alone, the peak once landed on a look-alike a
    # tenth of a second away.)
    whole: int | None = None
    while begin > first:
        found = peak(render, recording[begin : begin + SR // 10])
        piece = render[found : found + SR // 10]
        if np.any(piece) and np.max(np.abs(recording[begin : begin + SR // 10] - piece)) <= 3 * EXACT:
            whole = found
            break
        begin = max(first, begin - SR)
    heard = recording[begin:end]
    zero = np.concatenate([[False], heard == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= GAP]
    if gaps:
        keep = np.ones(len(heard), bool)
        for a, b in gaps:
            keep[a:b] = False
        heard = heard[keep]
    at = whole if whole is not None else peak(render, heard)
    offset = begin - at
    wanted = render[at : at + len(heard)]
    step = 1.0 / int(ramp * SR)
    # Where the gain turns, roughly, from the gain of each 10 ms: then each turn to the sample.
    window = SR // 100
    gains = []
    for i in range(0, len(heard) - window + 1, window):
        r = wanted[i : i + window]
        power = float(np.dot(r, r))
        gains.append(float(np.dot(heard[i : i + window], r)) / power if power > 1e-6 else gains[-1] if gains else 1.0)
    # A turn is where the gain starts to fall or to rise (a duck may come back up part way and
    # go down again); each is then placed to the sample.
    turns: list[tuple[int, float]] = []
    heading = 0
    for i in range(1, len(gains)):
        change = gains[i] - gains[i - 1]
        now = -1 if change < -0.02 else 1 if change > 0.02 else 0
        if now and now != heading:
            turns.append((at + (i - 1) * window, low if now < 0 else 1.0))
        heading = now or heading

    def error(candidate: list[tuple[int, float]], near: int | None = None) -> float:
        """The largest difference, over all the sound or near one session sample (a ramp's length
        either side: each turn is placed by what is heard around it alone)."""
        wrong = np.abs(heard - _envelope(candidate, at, len(heard), step) * wanted)
        if near is not None:
            lo = max(0, near - at - int(ramp * SR) - 2 * window)
            wrong = wrong[lo : near - at + 2 * int(ramp * SR) + 2 * window]
        return float(np.max(wrong)) if len(wrong) else 0.0

    for k, (turn, target) in enumerate(turns):
        tries = [[*turns[:k], (turn + d, target), *turns[k + 1 :]] for d in range(-2 * window, 2 * window)]
        turns = min(tries, key=lambda candidate: error(candidate, turn))
    worst = error(turns)
    assert worst <= 3 * EXACT, (
        f"the last {(end - begin) / SR:.2f} s of sound were not the session under a ramped duck "
        f"(turns at {[round(t / SR, 3) for t, _ in turns]} s): off by up to {worst * 32768:.1f} of 32768"
    )
    lowest = float(np.min(_envelope(turns, at, len(heard), step)))
    return Ducked(offset, at + len(heard), turns, lowest)
