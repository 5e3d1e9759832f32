"""Piper voices a person brings: ``NAME.onnx`` with its ``NAME.onnx.json`` beside it.

A voice is given by path (``--voice piper:PATH``, with or without ``.onnx``) or by name, for
the voices in the user's voices folder (``voices`` in the user's data folder, or in
``VOICEGUIDE_HOME``). Its files are checked before anything is spoken, so that a missing,
damaged or mismatched file is one clear line: the configuration must be a Piper
configuration (a sample rate, a phoneme map, an espeak voice), the model must be ONNX with
Piper's inputs, and the phoneme map must fit the model's phoneme table.

The check also hashes both files: the speech cache keys on that hash, so a voice replaced
at the same path never replays the old clips. The check runs once per process for a file
whose size and modification time have not changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import UsageError, did_you_mean

SUFFIX = ".onnx"
PIPER_INPUTS = {"input", "input_lengths", "scales"}
MIN_RATE, MAX_RATE = 4000, 192000  # what the speech cache accepts
SHAPE_HINT = "a Piper voice is NAME.onnx with NAME.onnx.json beside it"


@dataclass(frozen=True)
class PiperFiles:
    """A checked Piper voice: its two files, what its configuration says, and ``digest``, the
    SHA-256 of both files' contents."""

    model: Path
    config: Path
    sample_rate: int
    language: str
    quality: str
    digest: str

    @property
    def name(self) -> str:
        return self.model.name.removesuffix(SUFFIX)


def voices_dir() -> Path:
    """The user's voices folder: ``VOICEGUIDE_HOME/voices``, or ``voices`` in the user's data folder."""
    home = os.environ.get("VOICEGUIDE_HOME")
    if home:
        return Path(home).expanduser() / "voices"
    import platformdirs

    return platformdirs.user_data_path("voiceguide") / "voices"


def model_path(text: str) -> Path:
    """``PATH`` or ``PATH.onnx`` as the model's path."""
    path = Path(text).expanduser()
    return path if path.name.endswith(SUFFIX) else path.with_name(path.name + SUFFIX)


_checked: dict[tuple[object, ...], PiperFiles] = {}


def check(model: Path) -> PiperFiles:
    """The voice whose model is ``model``, checked; a ``UsageError`` (one line) when it is not usable."""
    model = model.absolute()
    config = model.with_name(model.name + ".json")
    stamp = (str(model), _stamp(model), _stamp(config))
    if stamp not in _checked:
        _checked[stamp] = _check(model, config)
    return _checked[stamp]


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def _check(model: Path, config: Path) -> PiperFiles:
    for path in (model, config):
        if not path.is_file():
            raise UsageError(f"{path}: no such file ({SHAPE_HINT})")
    try:
        config_bytes = config.read_bytes()
        model_bytes = model.read_bytes()
    except OSError as exc:
        raise UsageError(f"{exc.filename}: cannot read the voice ({exc.strerror})") from None
    try:
        data = json.loads(config_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{config}: not a Piper voice configuration (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{config}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    rate, symbols = _read_config(config, data)
    vocabulary = _read_model(model, model_bytes)
    if vocabulary is not None and symbols > vocabulary:
        raise UsageError(
            f"{config}: does not belong to {model.name}: its phoneme map uses {symbols} symbols, "
            f"the model has {vocabulary}"
        )
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(model_bytes).digest())
    digest.update(hashlib.sha256(config_bytes).digest())
    language = data.get("language", {})
    code = language.get("code") if isinstance(language, dict) else None
    code = code if isinstance(code, str) else str(data["espeak"].get("voice", "?"))
    quality = data["audio"].get("quality")
    return PiperFiles(model, config, rate, code, quality if isinstance(quality, str) else "?", digest.hexdigest())


def _read_config(config: Path, data: object) -> tuple[int, int]:
    """The sample rate and the number of phoneme symbols used, or a ``UsageError`` naming what is wrong."""

    def wrong(what: str) -> UsageError:
        return UsageError(f"{config}: not a Piper voice configuration ({what})")

    if not isinstance(data, dict):
        raise wrong("a JSON object was expected")
    audio = data.get("audio")
    rate = audio.get("sample_rate") if isinstance(audio, dict) else None
    if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_RATE <= rate <= MAX_RATE:
        raise wrong(f"no usable audio.sample_rate: {rate!r}")
    phonemes = data.get("phoneme_id_map")
    if not isinstance(phonemes, dict) or not phonemes:
        raise wrong("no phoneme_id_map")
    listed = [i for value in phonemes.values() for i in (value if isinstance(value, list) else [None])]
    ids = [i for i in listed if isinstance(i, int) and not isinstance(i, bool) and i >= 0]
    if len(ids) != len(listed) or not ids:
        raise wrong("phoneme_id_map must map each phoneme to a list of ids")
    espeak = data.get("espeak")
    if not isinstance(espeak, dict) or not isinstance(espeak.get("voice"), str):
        raise wrong("no espeak.voice")
    for field in ("num_symbols", "num_speakers"):
        if not isinstance(data.get(field), int):
            raise wrong(f"no {field}")
    if data.get("phoneme_type", "espeak") not in ("espeak", "text", "pinyin"):
        raise wrong(f"unknown phoneme_type {data.get('phoneme_type')!r}")
    return rate, max(ids) + 1


def _read_model(model: Path, content: bytes) -> int | None:
    """The size of the model's phoneme table (None if it cannot be told), or a ``UsageError``
    when the file is not a Piper model."""
    import onnx

    try:
        graph = onnx.load_model_from_string(content).graph
    except Exception as exc:  # protobuf's DecodeError and onnx's own: the file is not a model
        raise UsageError(f"{model}: not a usable ONNX model ({exc or 'damaged or truncated'})") from None
    names = {i.name for i in graph.input}
    if not PIPER_INPUTS <= names:
        raise UsageError(f"{model}: not a Piper voice (its inputs are {', '.join(sorted(names)) or 'none'})")
    tables = {t.name: list(t.dims) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Gather" and list(node.input[1:2]) == ["input"]:
            dims = tables.get(node.input[0])
            if dims:
                return int(dims[0])
    return None


def installed() -> list[PiperFiles | UsageError]:
    """The voices in the user's voices folder, by name: each checked, or the reason it is not usable."""
    folder = voices_dir()
    found: list[PiperFiles | UsageError] = []
    for model in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        try:
            found.append(check(model))
        except UsageError as exc:
            found.append(exc)
    return found


def find(name: str) -> Path:
    """The model of the voice called ``name`` in the voices folder, or a ``UsageError``."""
    folder = voices_dir()
    model = folder / f"{name}{SUFFIX}"
    if "/" not in name and model.is_file():
        return model
    names = sorted(p.name.removesuffix(SUFFIX) for p in folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    raise UsageError(
        f"unknown voice {name!r}; use natural, system, system:ID, piper:PATH or a voice in {folder}"
        f" (see `voiceguide voices`){did_you_mean(name, names)}"
    )
