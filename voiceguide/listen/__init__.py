"""Hands-free: spoken commands from the microphone, offline.

A wing beside the pipeline. The microphone (``microphone``) or an array (``feed``) gives 16 kHz mono
blocks; a speech detector (``detector``, Silero VAD) cuts out short candidate segments; a recogniser
(``recogniser``, Whisper tiny.en) turns each into text; ``commands`` accepts the text only if it is one
whole command phrase, "voice guide" and a command word. ``Listener`` runs all of it on its own thread
and hands each command to a callback, as the keyboard hands the player a key. While the session's own
voice speaks (and for a short tail after), the microphone is ignored, so the session never obeys itself.
"""

from __future__ import annotations

from voiceguide.listen.commands import COMMANDS, parse_command
from voiceguide.listen.listener import Heard, Listener

RATE = 16000

__all__ = ["COMMANDS", "RATE", "Heard", "Listener", "parse_command"]
