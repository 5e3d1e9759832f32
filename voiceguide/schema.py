"""The JSON Schema of the script format, for editors' YAML language servers.

It mirrors the loader's rules where a schema can express them; the loader stays the judge
(ranges, patterns and limits are checked there, with line numbers).
"""

from __future__ import annotations

from typing import Any

from voiceguide.loader import MOODS
from voiceguide.script import POSITIONS
from voiceguide.units import NAMED_PATTERNS

DURATION = r"^\s*(\d+(\.\d+)?\s*h)?\s*(\d+(\.\d+)?\s*m)?\s*(\d+(\.\d+)?\s*s)?\s*$"
_DURATION_RANGE = r"^\s*[0-9hms. ]+(\s+to\s+[0-9hms. ]+)?\s*$"
_COUNT_RANGE = r"^\s*\d+(\s+to\s+\d+)?\s*$"


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": 1000, "description": description}


def schema() -> dict[str, Any]:
    duration = {"type": "string", "pattern": DURATION, "description": "45s, 2m, 1m30s or 1.5m"}
    duration_range = {"type": "string", "pattern": _DURATION_RANGE, "description": "30s, or a range: 30s to 1m"}
    count_range = {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": 100},
            {"type": "string", "pattern": _COUNT_RANGE},
        ],
        "description": "a count, or a range: 2 to 4",
    }
    pattern = {
        "type": "string",
        "anyOf": [{"enum": sorted(NAMED_PATTERNS)}, {"pattern": r"^\d+(\.\d+)?(-\d+(\.\d+)?){1,3}$"}],
        "description": "relax (4-6), box (4-4-4-4), 4-7-8, or seconds per phase such as 4-6",
    }
    steps_ref = {"$ref": "#/$defs/steps"}
    texts = {"oneOf": [_text("what the voice says"), {"type": "array", "items": _text("one turn"), "minItems": 1}]}

    def action(name: str, value: dict[str, Any], description: str, **options: Any) -> dict[str, Any]:
        return {
            "type": "object",
            "description": description,
            "properties": {name: value, **options},
            "required": [name] + (["steps"] if "steps" in options else []),
            "additionalProperties": False,
        }

    step = {
        "oneOf": [
            action(
                "say",
                texts,
                "Speak. A list takes turns across repeats: first, middle ones, last.",
                detail={"type": "boolean", "description": "left out under --guidance brief"},
                brief={**texts, "description": "said instead under --guidance brief"},
                alone={"type": "boolean", "description": "said only when the technique plays by itself"},
            ),
            action("pause", duration_range, "Music only.", detail={"type": "boolean"}),
            action(
                "hold",
                duration_range,
                "Time to stay in a position.",
                breathe=pattern,
                countdown=duration,
                pace=duration,
            ),
            action(
                "breathe",
                pattern,
                "Guided breathing.",
                cycles=count_range,
                detail={"type": "boolean", "description": "left out under --guidance brief"},
                **{"for": duration_range},
            ),
            action("repeat", count_range, "Repeat the nested steps.", steps=steps_ref),
            action(
                "sides",
                {
                    "oneOf": [
                        {"const": "both"},
                        {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
                    ]
                },
                "Run the nested steps once per side; {side} and {other_side} are filled in.",
                steps=steps_ref,
                part=_text("what moves, named between sides: leg gives 'Now the left leg.'"),
                switch=_text("said between sides instead, with {side} filled in"),
            ),
            action("chime", {"enum": ["soft", None]}, "A soft bell."),
            action("section", _text("the section's title"), "Start a new section (a chapter)."),
        ]
    }
    words = {"type": "array", "items": {"type": "string"}}
    music = {
        "type": "string",
        "description": f"a mood ({', '.join(MOODS)}), none, or a sound file relative to the script",
    }
    technique = {
        "type": "object",
        "required": ["title", "steps"],
        "additionalProperties": False,
        "properties": {
            "title": _text("the technique's name, spoken at its start"),
            "summary": {"type": "string"},
            "audience": {"enum": ["self", "partner"], "default": "self"},
            "position": {
                "enum": list(POSITIONS),
                "description": "where the listener is; a composed session moves one way",
            },
            "areas": words,
            "equipment": {
                "type": "array",
                "description": "as spoken: [a tennis ball, a clear stretch of wall]",
                "items": {
                    "oneOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "description": "a thing to make ready: said after the equipment, then the session waits",
                            "required": ["item", "prepare", "for"],
                            "additionalProperties": False,
                            "properties": {
                                "item": {"type": "string"},
                                "prepare": {"type": "string"},
                                "for": {"type": "string", "description": "how long to wait: 3m"},
                            },
                        },
                    ]
                },
            },
            "safety": _text("spoken at the start; brief guidance says its first sentence and its warning signs"),
            "music": music,
            "steps": steps_ref,
        },
    }
    entry = {
        "oneOf": [
            {"type": "string", "description": "a technique's name"},
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": {
                    "type": ["object", "null"],
                    "properties": {
                        "length": {
                            "oneOf": [duration, {"const": "shortest"}],
                            "description": "fit this technique to a length, or to its shortest",
                        }
                    },
                    "additionalProperties": False,
                },
            },
        ]
    }
    routine = {
        "type": "object",
        "required": ["title", "routine"],
        "additionalProperties": False,
        "properties": {
            "title": _text("the routine's name"),
            "summary": {"type": "string"},
            "safety": _text("spoken after the title; each caution is said once in a routine"),
            "music": music,
            "routine": {"type": "array", "items": entry, "minItems": 1},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://voiceguide.invalid/script.schema.json",
        "title": "voiceguide technique script or routine",
        "oneOf": [technique, routine],
        "$defs": {"steps": {"type": "array", "items": step, "minItems": 1}},
    }
