"""Hands-free through the session's own voice: the echo canceller, the duck and the listener,
simulated offline in a room.

The session plays through the player's tap (``Playback``: it ducks, and keeps the far end), into a
small room (``tests.listening.room``: RT60 0.4 s) that reaches the microphone ``ROUND_TRIP`` later
than the timestamps say (the correlation must find it), as loud as the talker; a second voice says
the commands. What the microphone hears goes through the project's own path: ``Cancelled``
(libspeexdsp), the detector, the recogniser and the whole-phrase rule, with ducking live (a duck
lowers the echo that follows it). Nothing is played aloud, so it runs anywhere.

Figures, per voice: commands said 0.5 s into the session's sentences, just after them, and in holds
(each obeyed within 2 s of the phrase's end, counting the
recogniser's CPU time on one core, not the wall time of a shared machine); the whole partner massage and its echo (commands
obeyed, false ducks); the CPU listening took (canceller included, the room's simulation left out).

    python -m bench.echo [--voices natural,system] [--count 20] [--no-session]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy import signal

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import Bench, Figures, Row  # noqa: E402
from tests.support.listening import COMMAND_PHRASES, RATE, Rendered, Scene, holds, render, room, scene, spoken  # noqa: E402

SCRIPT = REPO / "scripts" / "partner-back-massage.yaml"
VOICES = ("natural", "system")
ROUND_TRIP = 0.062  # seconds from the device's timestamp to the microphone, none of it reported
LEAD = 20.0  # seconds of the session played before the first command: the canceller settles
BEFORE, AFTER = 2.0, 3.0  # seconds of the session kept before each command and after it
BLOCK = 512
MIN_SILENCE = 0.4  # the detector's silence before a segment ends (``Detector`` default)


class Room:
    """A listener's source: the session played through ``playback`` (which may duck it) into a
    room, heard by a microphone with ``talker`` speaking beside it. ``muted`` is the session's
    voice at the device, for the deaf-while-speaking fallback.

    What a busy sound server does, where a test asks for it: from each of ``moves``' samples on,
    the echo comes that many samples later (or earlier) than before, and no timestamp shows it;
    from each of ``stamps``' samples on, the microphone's timestamps are that many seconds off,
    and the echo does not move."""

    def __init__(
        self,
        speaker: np.ndarray,
        talker: np.ndarray,
        speech: list[tuple[int, int]],
        playback: object,
        moves: tuple[tuple[int, int], ...] = (),
        stamps: tuple[tuple[int, float], ...] = (),
    ):
        self.speaker, self.talker, self.playback = speaker, talker, playback
        self.moves, self.stamps = moves, stamps
        self.scene = Rendered(speaker, speech)
        self.name = "room"
        self.captured_at = 0.0
        self.position = 0
        self.work = 0.0  # CPU seconds spent simulating the room, to leave out of the listener's
        self._muted: Callable[[], bool] = lambda: False

    def open(self, muted: Callable[[], bool]) -> None:
        self._muted = muted

    def close(self) -> None:
        pass

    def blocks(self) -> Iterator[tuple[np.ndarray, bool]]:
        ir = room()
        delay = int(ROUND_TRIP * RATE) - int(0.005 * RATE)  # the room's response starts 5 ms in
        n = len(self.speaker)
        later = max([0, *(m for _, m in self.moves)])
        echo = np.zeros(n + delay + later + len(ir) + BLOCK, np.float32)
        speaking = self.scene.speaking(lambda: self.position)
        for start in range(0, n - BLOCK + 1, BLOCK):
            began = time.process_time()
            out = self.speaker[start : start + BLOCK].copy()
            self.playback(out, start / RATE)
            wet = signal.oaconvolve(out, ir)
            at = start + delay + sum(m for s, m in self.moves if start >= s)
            echo[at : at + len(wet)] += wet
            mic = echo[start : start + BLOCK] + self.talker[start : start + BLOCK]
            self.position = start
            self.captured_at = start / RATE + sum(off for s, off in self.stamps if start >= s)
            self.work += time.process_time() - began
            yield mic, speaking()


def scenes(rendered: Rendered, clips: list[np.ndarray], where: str) -> Scene:
    """The session cut down to the places the commands are said (``over``: 0.5 s into a sentence;
    ``after``: 0.1 s after one ends; ``hold``: in a hold), after ``LEAD`` seconds of its start."""
    longest = max(len(c) for c in clips) / RATE
    if where == "over":
        places = [s + RATE // 2 for s, e in rendered.speech if (e - s) / RATE >= longest + 0.5]
    elif where == "after":
        starts = [s for s, _ in rendered.speech[1:]] + [len(rendered.samples)]
        places = [
            e + RATE // 10
            for (_, e), nxt in zip(rendered.speech, starts, strict=True)
            if nxt - e > (longest + 1.5) * RATE
        ]
    else:
        places = holds(rendered, longest + 2.0)
    places = [p for p in places if p > (LEAD + BEFORE) * RATE][: len(clips)]
    if len(places) < len(clips):
        raise RuntimeError(f"only {len(places)} places for {where!r} commands")
    return scene(rendered, clips, places, LEAD, BEFORE, AFTER)


def listen(
    speaker: np.ndarray, talker: np.ndarray, speech: list[tuple[int, int]], recogniser: object, **server: tuple
) -> dict:
    """Run the whole hands-free path over a room (``server``: its ``moves`` and ``stamps``); what
    was heard, ducks, and the CPU it took."""
    from voiceguide.listen import Heard, Listener
    from voiceguide.listen.cancelled import hear_through

    heard: list[tuple[Heard, float]] = []  # and the CPU seconds the recogniser spent on it
    spent_on = [0.0]

    class Timed:  # the recogniser's CPU time (all its threads), not the wall time: this machine is shared
        def load(self) -> None:
            recogniser.load()

        def transcribe(self, samples: np.ndarray) -> str:
            began = time.process_time()
            text: str = recogniser.transcribe(samples)
            spent_on[0] += time.process_time() - began
            return text

    def on_heard(h: Heard) -> None:
        heard.append((h, spent_on[0]))
        spent_on[0] = 0.0

    room_ = Room(speaker, talker, speech, None, **server)
    source, playback = hear_through(room_, RATE)
    room_.playback = playback
    listener = Listener(Timed(), lambda c: None, lambda: False, source=source, on_heard=on_heard, ducking=playback)
    before = time.process_time()
    listener.start()
    listener.join()
    spent = time.process_time() - before - room_.work
    return {"heard": heard, "ducks": playback.ducks, "cpu": spent / (len(speaker) / RATE), "failure": listener.failure,
            "delay": source.delay, "converged": source.converged}  # fmt: skip


def commands(voice: str, rendered: Rendered, where: str, count: int, recogniser: object) -> dict[str, object]:
    from voiceguide.listen.commands import parse_command

    wanted = [COMMAND_PHRASES[i % len(COMMAND_PHRASES)] for i in range(count)]
    speaker, talker, speech, phrases = scenes(
        rendered, spoken("natural" if voice == "system" else "system", wanted), where
    )
    run = listen(speaker, talker, speech, recogniser)
    obeyed, latencies, used = 0, [], set()
    for phrase, (start, end) in zip(wanted, phrases, strict=True):
        for i, (h, work) in enumerate(run["heard"]):
            if i in used or h.command != parse_command(phrase) or not start / RATE - 0.5 <= h.start <= end / RATE + 0.5:
                continue
            used.add(i)
            latency = h.end + MIN_SILENCE + work - end / RATE
            latencies.append(round(latency, 2))
            obeyed += latency <= 2.0
            break
    extra = [h.text for i, (h, _) in enumerate(run["heard"]) if i not in used and h.command]
    return {"voice": voice, "where": where, "obeyed": obeyed, "of": count, "latencies": latencies, "extra": extra,
            "ducks": run["ducks"], "delay": run["delay"], "failure": run["failure"]}  # fmt: skip


def session(voice: str, rendered: Rendered, recogniser: object) -> dict[str, object]:
    """The whole session and its echo, nobody else speaking: every command and every duck is false."""
    silence = np.zeros(len(rendered.samples), np.float32)
    run = listen(rendered.samples, silence, rendered.speech, recogniser)
    return {"voice": voice, "minutes": round(len(rendered.samples) / RATE / 60, 1),
            "commands": [h.text for h, _ in run["heard"] if h.command], "segments": len(run["heard"]),
            "false_ducks": run["ducks"], "cpu": round(run["cpu"], 4), "delay": run["delay"],
            "converged": run["converged"], "failure": run["failure"]}  # fmt: skip


def measure(
    voices: tuple[str, ...] = VOICES, count: int = 20, whole: bool = True, script: Path = SCRIPT
) -> dict[str, object]:
    from voiceguide.listen.recogniser import WhisperRecogniser

    recogniser = WhisperRecogniser()
    recogniser.load()
    out: dict[str, object] = {}
    for voice in voices:
        rendered = render(script, voice)
        figures: dict[str, object] = {
            w: commands(voice, rendered, w, count, recogniser) for w in ("over", "after", "hold")
        }
        if whole:
            figures["session"] = session(voice, rendered, recogniser)
        out[voice] = figures
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--no-session", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(tuple(args.voices.split(",")), args.count, not args.no_session), indent=1))


ROWS = (26,)


def run(bench: Bench) -> Figures:
    if bench.quick:  # a few commands over a tiny session, to check the path works
        found = measure(("natural",), 3, whole=False, script=REPO / "bench" / "echo-quick.yaml")
    else:
        found = measure()
    bench.log(f"echo: {found}")
    parts, met = [], True
    for voice, figures in found.items():
        assert isinstance(figures, dict)
        caught = [figures[w] for w in ("over", "after", "hold")]
        text = ", ".join(f"{c['where']} {c['obeyed']}/{c['of']}" for c in caught)
        goals = {
            "over": 17 * caught[0]["of"] / 20,
            "after": 19 * caught[1]["of"] / 20,
            "hold": 19 * caught[2]["of"] / 20,
        }
        met = met and all(c["obeyed"] >= goals[c["where"]] and not c["extra"] for c in caught)
        whole = figures.get("session")
        if isinstance(whole, dict):
            text += (
                f"; the whole {whole['minutes']}-minute session: {len(whole['commands'])} commands, "
                f"{whole['false_ducks']} false ducks, listening CPU {whole['cpu']:.1%} of a core"
            )
            met = met and not whole["commands"] and whole["false_ducks"] <= 3 and whole["cpu"] <= 0.15
        parts.append(f"{voice}: {text}")
    row = Row(
        26,
        "listening through the echo canceller (libspeexdsp) in a simulated room, the echo as loud as the talker: commands said 0.5 s into the session's sentences (over), just after one (after) and in holds (hold), obeyed within 2 s; the whole partner massage with nobody speaking",
        "; ".join(parts),
        "over ≥ 17/20, after ≥ 19/20, hold ≥ 19/20; 0 commands and ≤ 3 false ducks in the whole session; CPU ≤ 15%",
        met,
    )
    return Figures([row])
