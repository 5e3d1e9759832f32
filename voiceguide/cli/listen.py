"""The listening command: listen-test, to check a microphone and the distance from it."""

from __future__ import annotations

import json
import queue
import sys
import time
from typing import Annotated

import typer

from voiceguide.cli import app, err, guarded
from voiceguide.errors import ListenError


@app.command("listen-test")
@guarded
def listen_test(
    seconds: Annotated[
        float, typer.Option("--seconds", min=0, help="Stop after this many seconds (0: until Ctrl-C).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object a line.")] = False,
) -> None:
    """Print what the microphone hears and which command it would take, with no session playing.

    Say "voice guide pause" from where you will be during a session: each thing heard is printed
    with the command it gives, or "no command".
    """
    from voiceguide.listen import Heard, Listener, missing
    from voiceguide.listen.recogniser import WhisperRecogniser

    reason = missing()
    if reason:
        raise ListenError(reason)
    heard: queue.Queue[Heard] = queue.Queue()
    failures: queue.Queue[str] = queue.Queue()
    recogniser = WhisperRecogniser()
    listener = Listener(recogniser, lambda command: None, lambda: False, on_heard=heard.put, on_error=failures.put)
    listener.start()  # the microphone first: without one, this says so at once
    try:
        recogniser.load()
    except BaseException:
        listener.stop()
        raise
    if as_json:
        print(json.dumps({"listening": listener.source.name, "recogniser": recogniser.name}), flush=True)
    else:
        err(f'Listening on {listener.source.name}. Say "voice guide pause"; Ctrl-C stops.')
    deadline = time.monotonic() + seconds if seconds else None
    try:
        while deadline is None or time.monotonic() < deadline:
            try:
                item = heard.get(timeout=0.1)
            except queue.Empty:
                if not failures.empty():
                    raise ListenError(failures.get()) from None
                continue
            if as_json:
                row = {"text": item.text, "command": item.command, "start": round(item.start, 3),
                       "end": round(item.end, 3), "work": round(item.work, 3)}  # fmt: skip
                print(json.dumps(row), flush=True)
            else:
                took = item.command or "no command"
                print(f'{item.start:7.1f} s  "{item.text}"  → {took}', flush=True)
    finally:
        listener.stop()
    if not failures.empty():
        raise ListenError(failures.get())
    sys.stdout.flush()
