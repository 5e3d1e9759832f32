"""The one "did you mean" hint, as every message about an unknown name ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceguide import library
from voiceguide.errors import ScriptError, UsageError, did_you_mean
from voiceguide.loader import load_session


def test_the_closest_names_best_first_up_to_three() -> None:
    assert did_you_mean("sya", ["say", "hold", "section"]) == "; did you mean 'say'?"
    options = ["back-roll", "neck-rolls", "neck-roll", "neck-release", "calm"]
    assert did_you_mean("neck-rol", options) == "; did you mean 'neck-roll' or 'neck-rolls' or 'back-roll'?"
    assert did_you_mean("childs-pse", ["cat-cow", "childs-pose", "child-pose"]).startswith(
        "; did you mean 'childs-pose'"
    )


def test_nothing_close_is_no_hint() -> None:
    assert did_you_mean("zzz", ["say", "hold"]) == ""
    assert did_you_mean("say", []) == ""
    assert did_you_mean("abcde", ["abcxy"]) == "; did you mean 'abcxy'?"  # 3 of 5 letters: at the cut-off
    assert did_you_mean("abcd", ["abxy"]) == ""  # 2 of 4: below it


def test_a_script_and_the_library_say_it_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "childs-pose.yaml").write_text("title: Child's pose\nsteps:\n  - say: Rest.\n")
    monkeypatch.setenv("VOICEGUIDE_LIBRARY", str(tmp_path))
    with pytest.raises(UsageError) as wrong_name:
        library.resolve("childs-pse")
    assert str(wrong_name.value).endswith("; did you mean 'childs-pose'?")
    script = tmp_path / "typo.yaml"
    script.write_text("title: Typo\nsteps:\n  - sya: Rest.\n")
    with pytest.raises(ScriptError) as wrong_key:
        load_session(script)
    assert "unknown key 'sya' in a step; did you mean 'say'?" in str(wrong_key.value)
