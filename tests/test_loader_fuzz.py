"""Property tests: no input, however broken, makes the loader raise anything but ScriptError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceguide.errors import ScriptError
from voiceguide.library import Resolver
from voiceguide.loader import load_session
from voiceguide.script import Routine, Script

from .support import SCRIPTS

LIBRARY = sorted(SCRIPTS.glob("*.yaml")) + sorted((SCRIPTS / "routines").glob("*.yaml"))
WORDS = ["title", "steps", "say", "pause", "hold", "breathe", "repeat", "sides", "chime", "section",
         "cycles", "for", "countdown", "pace", "routine", "length", "music", "audience", "safety"]  # fmt: skip
VALUES = ["30s", "1m to 2m", "2 to 4", "relax", "4-7-8", "soft", "right", "0", "-1", "[]", "{}", "null",
          "true", "1e999", "'{side}'", "&a x", "*a", "!!python/name:os.system", "\t", "4 to 2", "0s", "box"]  # fmt: skip
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        try:
            result = load_session(path, Resolver())
        except ScriptError as exc:
            assert exc.problems, "a ScriptError always lists its problems"
            for problem in exc.problems:
                assert problem.line >= 1 and problem.col >= 1 and problem.message
        else:
            assert isinstance(result, Script | Routine)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.lists(st.sampled_from(list("ab:- \n\t[]{}&*!|>'\"#0123456789.s") + WORDS), max_size=60))
def test_yaml_like_text(tokens: list[str]) -> None:
    check("".join(tokens).encode("utf-8"))


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.floats(allow_nan=True), st.sampled_from(VALUES))
trees = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(WORDS), trees, max_size=6))
def test_structured_documents(document: dict[str, object]) -> None:
    check(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))


@st.composite
def mutated_library_script(draw: st.DrawFn) -> bytes:
    """A real library script with a few lines deleted, duplicated, swapped or retyped."""
    lines = draw(st.sampled_from(LIBRARY)).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "retype", "indent"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "retype" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(VALUES))}"
        else:
            lines[i] = draw(st.sampled_from(["", " ", "  ", "\t"])) + lines[i]
    return ("\n".join(lines) + "\n").encode("utf-8")


@FUZZ
@given(mutated_library_script())
def test_mutated_library_scripts(data: bytes) -> None:
    check(data)
