"""The listening trials behind figures 13 to 17 (``bench/listening.py``): commands caught
through the virtual microphone, a whole session that never obeys its own voice, noise that is
never a command, and what listening costs in CPU.

``caught`` runs in a process of its own on the benchmark's PulseAudio server (PortAudio reads the
sound configuration once per process): ``python bench/listening_trials.py caught VOICE COUNT SCRIPT``
prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.listening import (  # noqa: E402
    COMMAND_PHRASES,
    RATE,
    Rendered,
    Scene,
    echo,
    holds,
    render,
    scene,
    speech_noise,
    spoken,
    to16k,
)

VOICES = ("natural", "system")
LEAD = 10  # seconds of the session's start played before the first command said over its voice
BEFORE, AFTER = 2.0, 2.5  # seconds of the session kept before each command's place and after the phrase


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pacat(samples: np.ndarray, sink: str) -> subprocess.Popen[bytes]:
    command = ["pacat", "--playback", "-d", sink, "--format=float32le", f"--rate={RATE}", "--channels=1",
               "--latency-msec=30"]  # fmt: skip
    player = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert player.stdin is not None
    import threading

    data = np.asarray(samples, "<f4").tobytes()
    threading.Thread(target=lambda: (player.stdin.write(data), player.stdin.close()), daemon=True).start()
    return player


def in_speech(rendered: Rendered, need: float) -> list[int]:
    """Start samples (16 kHz) half a second into the session's sentences where ``need`` seconds of
    talking fit inside the sentence; one place per sentence."""
    return [s + RATE // 2 for s, e in rendered.speech if (e - s) / RATE >= need + 0.5]


def hold_scenes(rendered: Rendered, clips: list[np.ndarray], over_speech: bool = False) -> Scene:
    """The session cut down to the places where the commands are said: for each command, the end of the
    instruction before its hold and the hold itself (or, ``over_speech``, a sentence of the session's
    voice, the phrase said over it). Returns the speaker's sound, the talker's sound, where the session's
    voice speaks and where each phrase is (16 kHz samples)."""
    longest = max(len(c) for c in clips) / RATE
    places = (in_speech(rendered, longest) if over_speech else holds(rendered, longest + 2.0))[: len(clips)]
    if len(places) < len(clips):
        raise RuntimeError(f"only {len(places)} {'sentences' if over_speech else 'holds'} are long enough")
    # the session's first seconds over speech, as play starts with them: the canceller settles
    return scene(rendered, clips, places, LEAD if over_speech else 0, BEFORE, AFTER)


def caught(voice: str, count: int, script: Path, cancelled: bool = False) -> dict[str, object]:
    """Commands said in the holds of a session, through the default microphone, while the session
    plays on the speaker sink (whose echo reaches the microphone). Runs in the PulseAudio env.

    ``cancelled``: each command is said over the session's voice instead, and the session plays
    through PulseAudio's echo canceller (as ``play --echo-cancel``), the microphone heard all along."""
    from voiceguide.listen import Heard, Listener
    from voiceguide.listen.commands import parse_command
    from voiceguide.listen.microphone import BLOCK
    from voiceguide.listen.recogniser import WhisperRecogniser

    rendered = render(script, voice)
    wanted = [COMMAND_PHRASES[i % len(COMMAND_PHRASES)] for i in range(count)]
    speaker, talker, speech, phrases = hold_scenes(rendered, spoken(voice, wanted), over_speech=cancelled)
    scene = Rendered(speaker, speech)
    canceller = None
    if cancelled:
        from voiceguide.listen.echo import EchoCancel

        canceller = EchoCancel.start()  # before any stream opens: they go through it
    heard: list[tuple[float, Heard]] = []
    captured: list[float] = []  # when each block of the microphone's stream was captured
    started = [0.0]
    recogniser = WhisperRecogniser()
    recogniser.load()
    # The session plays the way a player on the device's clock plays it: a callback stream hands the
    # speaker's samples over, and its position is what was handed over less the stream's latency.
    import sounddevice

    handed = [0]

    def play(out: np.ndarray, frames: int, when: object, status: object) -> None:
        piece = speaker[handed[0] : handed[0] + frames]
        out[: len(piece), 0] = piece
        out[len(piece) :, 0] = 0
        handed[0] += frames

    output = sounddevice.OutputStream(samplerate=RATE, channels=1, dtype="float32", callback=play)
    playing = scene.speaking(lambda: handed[0] - int(output.latency * RATE))

    def muted() -> bool:  # asked once per block, as it is captured
        captured.append(time.monotonic())
        return False if cancelled else playing()

    listener = Listener(recogniser, lambda c: None, muted, on_heard=lambda h: heard.append((time.monotonic(), h)))
    listener.start()
    time.sleep(1.0)  # the stream settles
    cpu0, started[0] = cpu(), time.monotonic()
    output.start()
    planned = []  # when each phrase ends, as played into the microphone
    for start, end in phrases:  # each phrase is said when the session reaches its place in the hold
        while handed[0] - int(output.latency * RATE) < start:
            time.sleep(0.005)
        planned.append(time.monotonic() + (end - start) / RATE)
        pacat(talker[start:end], "micfeed")
    while handed[0] < len(speaker):
        time.sleep(0.1)
    output.stop()
    output.close()
    time.sleep(AFTER)
    wall, spent = time.monotonic() - started[0], cpu() - cpu0
    listener.stop(timeout=60)  # a busy machine may still be decoding the last segment
    if canceller is not None:
        canceller.close()

    def when(seconds: float) -> float:  # the wall time a sample of the stream was captured
        return captured[min(int(seconds * RATE) // BLOCK, len(captured) - 1)]

    results, used = [], set()
    for phrase, ends in zip(wanted, planned, strict=True):
        expected = parse_command(phrase)
        latency = None
        for i, (arrived, h) in enumerate(heard):
            if i not in used and h.command == expected and -0.5 <= when(h.end) - ends <= 3.0:
                used.add(i)
                latency = arrived - when(h.end)
                break
        results.append({"phrase": phrase, "latency": latency if latency is not None and latency <= 2.0 else None,
                        "late": latency if latency is not None and latency > 2.0 else None})  # fmt: skip
    return {
        "voice": voice,
        "results": results,
        "extra": [h.command for i, (_, h) in enumerate(heard) if i not in used and h.command],
        "misheard": [h.text for _, h in heard if not h.command],
        "cpu": spent / wall,
        "failure": listener.failure,
    }


def self_trigger(voice: str, script: Path) -> dict[str, object]:
    """The whole session and its echo, fed straight to the listener (muted while its voice speaks)."""
    from voiceguide.listen import Heard, Listener
    from voiceguide.listen.microphone import ArrayFeed
    from voiceguide.listen.recogniser import WhisperRecogniser

    rendered = render(script, voice)
    heard: list[Heard] = []
    feed = ArrayFeed(rendered.samples + echo(rendered.samples, 0.0))
    recogniser = WhisperRecogniser()
    recogniser.load()
    listener = Listener(
        recogniser, lambda c: None, rendered.speaking(lambda: feed.position), source=feed, on_heard=heard.append
    )
    before = cpu()
    listener.start()
    listener.join()
    spent = cpu() - before
    seconds = len(rendered.samples) / RATE
    return {
        "voice": voice,
        "minutes": seconds / 60,
        "commands": [h.text for h in heard if h.command],
        "segments": len(heard),
        "cpu": spent / seconds,
        "failure": listener.failure,
    }


def noise_scene(seconds: float) -> np.ndarray:
    """Music (the three moods in turn), breathing swells and speech-shaped noise, each near the loudness
    of the session's voice, the noise in bursts of 1 to 4 s."""
    from voiceguide.sounds.cues import breath
    from voiceguide.sounds.music import open_music

    n = int(seconds * RATE)
    third = int(seconds / 3 * 44100)
    music = np.concatenate([to16k(open_music(mood, 1).render(0, third)) for mood in ("warm", "waves", "bowls")])
    music = np.resize(music, n) * 10 ** (10 / 20)
    cycle = np.concatenate([breath("breath-in", 4 * 44100), breath("breath-out", 6 * 44100)])
    breathing = np.resize(to16k(cycle), n) * 10 ** (10 / 20)
    rng = np.random.default_rng(9)
    babble = np.zeros(n, np.float32)
    at = int(rng.uniform(1, 3) * RATE)
    while at < n:
        length = int(rng.uniform(1, 4) * RATE)
        babble[at : at + length] = speech_noise(length / RATE, seed=int(at))[: n - at] * 0.6
        at += length + int(rng.uniform(1.5, 4) * RATE)
    return (music + breathing + babble).astype(np.float32)


def noise(seconds: float) -> dict[str, object]:
    from voiceguide.listen import Heard, Listener
    from voiceguide.listen.microphone import ArrayFeed
    from voiceguide.listen.recogniser import WhisperRecogniser

    heard: list[Heard] = []
    listener = Listener(WhisperRecogniser(), lambda c: None, lambda: False, source=ArrayFeed(noise_scene(seconds)),
                        on_heard=heard.append)  # fmt: skip
    listener.start()
    listener.join()
    return {"commands": [h.text for h in heard if h.command], "segments": len(heard), "failure": listener.failure}


def caught_in(
    pulse_env: dict[str, str], voice: str, count: int, script: Path, cancelled: bool = False
) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "caught", voice, str(count), str(script), *(["cancelled"] if cancelled else [])],
        env=pulse_env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the caught benchmark failed: {done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(trial: dict[str, object]) -> tuple[int, int, float | None, float | None]:
    results = trial["results"]
    assert isinstance(results, list)
    latencies = [r["latency"] for r in results if r["latency"] is not None]
    median = statistics.median(latencies) if latencies else None
    return len(latencies), len(results), median, max(latencies) if latencies else None


if __name__ == "__main__":
    if sys.argv[1] == "caught":
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        print(json.dumps(caught(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5:] == ["cancelled"])))
        # As voiceguide's own entry point does: end here, without Python's teardown. Once, on a
        # busy machine, this process aborted at its end ("terminate called without an active
        # exception", as ctranslate2's threads do when torn down while they run).
        sys.stdout.flush()
        os._exit(0)
