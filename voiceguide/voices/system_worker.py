"""The pyttsx3 worker, run as ``python -m voiceguide.voices.system_worker``.

Reads one JSON request on stdin and writes one JSON answer as the last line of stdout.
Request: {"voice": id, "rate": wpm, "items": [[text, path], ...]} or {"list": true}.
"""

from __future__ import annotations

import json
import os
import sys
import time
import wave
from typing import Any


def _settled(path: str, patience: float = 20.0) -> bool:
    """Wait for the file to be complete: runAndWait can return before the espeak driver has
    finished writing it. Complete means a readable WAV header whose frames fill the file."""
    deadline = time.monotonic() + patience
    last = -1
    while time.monotonic() < deadline:
        size = os.path.getsize(path) if os.path.exists(path) else -1
        if size > 44 and size == last:
            try:
                with wave.open(path, "rb") as handle:
                    frames = handle.getnframes() * handle.getsampwidth() * handle.getnchannels()
                if frames > 0 and frames <= size:
                    return True
            except (wave.Error, EOFError, OSError):
                pass
        last = size
        time.sleep(0.05)
    return False


def settle(engine: Any, voice: str | None, rate: int) -> None:
    """Set the voice and the rate so that the next text is spoken with them.

    espeak-ng runs on a thread of its own here: it changes the voice at once but queues a
    rate change, and pyttsx3 queues its own rate (200 words a minute) when it starts. Set the
    usual way, now and then a text (one in twenty) came out at pyttsx3's rate instead of ours,
    and was cached so. So with espeak both are set directly and the worker waits until espeak
    has applied everything queued before the text is given."""
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    if type(driver).__name__ == "EspeakDriver":
        from pyttsx3.drivers import _espeak

        if voice:
            _espeak.SetVoiceByName(voice.encode("utf-8"))
        _espeak.SetParameter(_espeak.RATE, rate, 0)
        _espeak.Synchronize()
        return
    if voice:
        engine.setProperty("voice", voice)
    engine.setProperty("rate", rate)


def main() -> int:
    answer_channel = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # pyttsx3 prints "Audio saved to ..." on stdout; keep it off the answer
    request = json.load(sys.stdin)
    try:
        import pyttsx3

        engine = pyttsx3.init()
    except Exception as exc:  # the engine's own errors name the missing library
        answer = {"ok": False, "missing": True, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), file=answer_channel, flush=True)
        return 1
    try:
        if request.get("list"):
            voices = [
                {"id": v.id, "name": v.name, "languages": [str(x) for x in (v.languages or [])]}
                for v in engine.getProperty("voices")
            ]
            print(json.dumps({"ok": True, "voices": voices}), file=answer_channel, flush=True)
            return 0
        for text, path in request["items"]:
            # One text per runAndWait: pyttsx3 saves only the last text queued before it. Now
            # and then the espeak driver returns without writing at all: ask again. The voice
            # and rate are set before every text, as the driver sometimes falls back to its own.
            for _attempt in range(3):
                settle(engine, request.get("voice"), int(request["rate"]))
                engine.save_to_file(text, path)
                engine.runAndWait()
                if _settled(path, patience=5.0):
                    break
            else:
                raise RuntimeError(f"no audio was written for {text[:40]!r}")
    except Exception as exc:
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}), file=answer_channel, flush=True)
        return 1
    print(json.dumps({"ok": True}), file=answer_channel, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
