"""The listening command: listen-test, to check a microphone and the distance from it; and the
listening of `play --listen`."""

from __future__ import annotations

import json
import queue
import sys
import time
from typing import Annotated, Any

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


def cancel_echo() -> Any:
    """PulseAudio's echo canceller between the session and the microphone, or None, said in one
    line, where it cannot be set up (listening is then as with --listen)."""
    from voiceguide.listen import missing
    from voiceguide.listen.echo import EchoCancel

    if missing() is not None:
        return None  # start_listening says why it cannot listen at all
    try:
        return EchoCancel.start()
    except ListenError as exc:
        err(f"voiceguide: cannot cancel the echo through the sound server ({exc}); listening as with --listen")
        return None


def start_listening(player: Any, commands: queue.Queue[str], echo_cancelled: bool = False, tapped: bool = True) -> Any:
    """A listener that puts each spoken command on ``commands``, hearing through the session's
    voice by the project's canceller where the output hands it what it plays (``tapped``), through
    PulseAudio's where ``echo_cancelled``, and otherwise deaf while the voice sounds (said in one
    line); or None, said in one line, where it cannot listen (the session plays on)."""
    from voiceguide.listen import Listener, missing

    reason = missing()
    if reason is not None:
        err(f"voiceguide: cannot listen ({reason}); playing without listening")
        return None
    from voiceguide.listen.recogniser import WhisperRecogniser

    through = None
    if not echo_cancelled and not tapped:
        err("voiceguide: --output simpleaudio cannot say when it plays what; listening only while the session is quiet")
    elif not echo_cancelled:
        through = hear_through_session(player)
    source, ducking = through or (None, None)
    listener = Listener(
        WhisperRecogniser(),
        commands.put,
        (lambda: False) if echo_cancelled else player.speaking,
        on_error=lambda message: err(f"voiceguide: stopped listening ({message}); the session plays on"),
        source=source,
        ducking=ducking,
    )
    try:
        listener.start()
    except ListenError as exc:
        err(f"voiceguide: cannot listen ({exc}); playing without listening")
        return None
    return listener


def hear_through_session(player: Any) -> Any:
    """The microphone through the echo canceller, fed (and ducking) what the player's device plays;
    or None, said in one line, where no canceller can run (deaf while the session speaks)."""
    from voiceguide.listen.cancelled import hear_through
    from voiceguide.listen.microphone import Microphone

    try:
        source, player.tap = hear_through(Microphone(), player.sr)
    except ListenError as exc:
        err(f"voiceguide: no echo canceller ({exc}); listening only while the session is quiet")
        return None
    return source, player.tap
