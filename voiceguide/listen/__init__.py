"""Hands-free: spoken commands from the microphone, offline.

A wing beside the pipeline. The microphone (``microphone``) or an array (``feed``) gives 16 kHz mono
blocks; a speech detector (``detector``, Silero VAD) cuts out short candidate segments; a recogniser
(``recogniser``, Whisper tiny.en) turns each into text; ``commands`` accepts the text only if it is one
whole command phrase, "voice guide" and a command word. ``Listener`` runs all of it on its own thread
and hands each command to a callback, as the keyboard hands the player a key. With an echo canceller
(``canceller``, libspeexdsp; ``cancelled`` lines the microphone up with what the device played, which
``playback`` taps and ducks), the microphone is heard while the session speaks too; without one, or
until it has converged, the microphone is ignored while the session's voice speaks (and for a short
tail after). Either way the whole-phrase rule keeps the session from obeying itself.
"""

from __future__ import annotations

from voiceguide.errors import VoiceguideError
from voiceguide.listen.commands import COMMANDS, KINDS, parse_command
from voiceguide.listen.listener import TAIL, Heard, Listener

RATE = 16000

__all__ = ["COMMANDS", "KINDS", "RATE", "TAIL", "Heard", "Listener", "missing", "parse_command"]


def missing() -> str | None:
    """Why listening cannot work on this machine (a package, PortAudio or a model file is missing),
    in one line, or None when it can. Quick, and opens no microphone."""
    from voiceguide.listen.detector import model_path
    from voiceguide.listen.microphone import _sounddevice
    from voiceguide.listen.recogniser import missing as recogniser_missing
    from voiceguide.listen.recogniser import weights

    reason = recogniser_missing()
    if reason:
        return reason
    try:
        model_path()
        weights()
        _sounddevice()
    except VoiceguideError as exc:
        return str(exc)
    return None
