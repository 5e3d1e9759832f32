"""The built-in library: every technique in the sources, valid, safe, and eyes-free."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from voiceguide import library
from voiceguide.loader import load_session
from voiceguide.schema import schema
from voiceguide.script import Chime, Pause, Routine, Say, Script, Section

from .support import SCRIPTS

TECHNIQUES = [
    "basic-self-massage", "upper-trapezius-release", "childs-pose", "tennis-ball-foot-massage",
    "single-knee-to-chest", "facial-massage", "neck-tension-release", "tennis-ball-back-wall",
    "ankles-and-legs-massage", "foam-roller", "spiky-ball", "chi-ball", "warm-compress",
    "hamstring-stretch", "spinal-mobility", "partner-back-massage", "cold-pack", "standing-forward-bend",
    "massage-cane", "chi-ball-arms-legs",
]  # fmt: skip
ROUTINES = [
    "daily-routine", "desk-break", "back-pain-recovery", "partner-massage", "daily-five", "warm-and-cold",
    "four-relaxing-techniques",
]  # fmt: skip
FILES = sorted(SCRIPTS.glob("*.yaml")) + sorted((SCRIPTS / "routines").glob("*.yaml"))


def test_every_named_script_exists() -> None:
    names = {e.name: e.path for e in library.entries()}
    for name in TECHNIQUES:
        assert names[name].parent == SCRIPTS, name
    for name in ROUTINES:
        assert names[name].parent == SCRIPTS / "routines", name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_valid_and_matches_schema(path) -> None:
    session = load_session(path, library.Resolver())
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema())
    assert session.title


@pytest.mark.parametrize("name", TECHNIQUES)
def test_each_technique_is_safe_and_ends_clearly(name: str) -> None:
    script = library.load(name)
    assert isinstance(script, Script)
    assert 20 <= len(script.safety) <= 400, "a short, gentle safety line is spoken at the start"
    last = [s for s in script.steps if not isinstance(s, Pause | Chime)][-1]
    assert isinstance(last, Say), "a technique ends with a spoken step that releases the position"


def test_partner_massage_speaks_to_the_giver_in_eleven_sections() -> None:
    script = library.load("partner-back-massage")
    assert isinstance(script, Script) and script.audience == "partner"
    sections = [s.title for s in script.steps if isinstance(s, Section)]
    assert len(sections) == 11
    assert [int(t.split(".")[0]) for t in sections] == list(range(1, 12))


def test_routines_name_real_techniques() -> None:
    for name in ROUTINES:
        routine = library.load(name)
        assert isinstance(routine, Routine)
        assert all(t.name in TECHNIQUES for t in routine.techniques())
    recovery = library.load("back-pain-recovery")
    assert isinstance(recovery, Routine)
    order = [t.name for t in recovery.techniques()]
    assert order.index("foam-roller") < order.index("hamstring-stretch"), "massage, then stretch"


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert json.loads(json.dumps(schema()))["title"]
