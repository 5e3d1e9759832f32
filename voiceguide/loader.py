"""Load technique scripts and routines from YAML, reporting every problem at its line.

``load_session(path)`` returns a frozen ``Script`` or ``Routine`` or raises ``ScriptError``
listing all the problems found in the file (and in the files a routine names).
``check_session`` also returns the file's warnings: advice about style that does not stop
the script from playing. Steps are read by ``step_reader``; small values by ``reader``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from voiceguide import units
from voiceguide.errors import Problem, ScriptError, did_you_mean
from voiceguide.script import AUDIENCES, POSITIONS, SHORTEST, Entry, Prepare, Routine, Script, Session, Step
from voiceguide.step_reader import TOP, StepReader, longest_seconds
from voiceguide.yamlnodes import Node, load

MOODS = ("warm", "waves", "bowls")
MUSIC_SUFFIXES = (".mp3", ".ogg", ".oga", ".flac", ".wav", ".m4a", ".opus")

TECHNIQUE_KEYS = ("title", "summary", "audience", "position", "areas", "equipment", "safety", "music", "steps")
ROUTINE_KEYS = ("title", "summary", "safety", "music", "routine")

Resolver = Callable[[str, Path], Path | None]


def load_session(path: Path, resolve: Resolver | None = None, _stack: tuple[Path, ...] = ()) -> Session:
    """Load one file. ``resolve(name, routine_path)`` finds the file a routine entry names."""
    return check_session(path, resolve, _stack)[0]


def check_session(
    path: Path, resolve: Resolver | None = None, _stack: tuple[Path, ...] = ()
) -> tuple[Session, list[Problem]]:
    """Load one file, and return its warnings (those of this file only) beside it."""
    path = Path(path)
    root = load(path)
    reader = _Reader(path)
    if root.kind != "map":
        raise ScriptError.at(path, root.line, root.col, "a script must be a mapping of keys (title:, steps: ...)")
    keys = {k.value for k, _ in root.items()}
    if "routine" in keys:
        session: Session | None = reader.routine(root, resolve, _stack + (path.resolve(),))
    else:
        session = reader.technique(root)
    if reader.problems or session is None:
        raise ScriptError(reader.problems or [Problem(str(path), 1, 1, "invalid script")])
    return session, sorted(reader.warnings)


class _Reader(StepReader):
    # -- techniques -----------------------------------------------------------------------

    def technique(self, root: Node) -> Script | None:
        keys = self.check_keys(root, TECHNIQUE_KEYS, "a technique script")
        title = self.required_text(root, keys, "title")
        summary = self.optional_text(keys, "summary")
        safety = self.optional_text(keys, "safety")
        audience = "self"
        if "audience" in keys:
            node = keys["audience"][1]
            if node.value in AUDIENCES:
                audience = str(node.value)
            else:
                self.problem(node, f"audience must be 'self' or 'partner', not {node.value!r}")
        position = ""
        if "position" in keys:
            node = keys["position"][1]
            if node.value in POSITIONS:
                position = str(node.value)
            else:
                choices = ", ".join(POSITIONS[:-1]) + " or " + POSITIONS[-1]
                hint = did_you_mean(str(node.value), POSITIONS)
                self.problem(node, f"position must be {choices}, not {node.value!r}{hint}")
        areas = self.words(keys["areas"][1], "areas") if "areas" in keys else ()
        equipment, prepare = self.equipment(keys["equipment"][1]) if "equipment" in keys else ((), ())
        music = self.music(keys)
        steps: tuple[Step, ...] = ()
        if "steps" not in keys:
            self.problem(root, "missing key 'steps': a technique needs a list of steps")
        else:
            steps = self.steps(keys["steps"][1], TOP)
        if title is None:
            return None
        longest = longest_seconds(steps)
        if longest > units.MAX_SESSION_SECONDS:
            self.problem(
                root,
                f"this technique can last up to {units.format_duration(longest)}, over the "
                "4 hour session limit; shorten its holds or repeats",
            )
        return Script(
            name=self.path.stem,
            path=self.path,
            title=title,
            steps=steps,
            summary=summary,
            audience=audience,
            areas=areas,
            equipment=equipment,
            safety=safety,
            music=music,
            position=position,
            prepare=prepare,
        )

    def equipment(self, node: Node) -> tuple[tuple[str, ...], tuple[Prepare, ...]]:
        """Words as spoken, or for a thing that needs preparing, ``{item, prepare, for}``."""
        if node.kind != "seq":
            return self.words(node, "equipment"), ()
        items: list[str] = []
        prepare: list[Prepare] = []
        for element in node.elements():
            if element.kind != "map":
                items += self.words(element, "equipment")
                continue
            keys = self.check_keys(element, ("item", "prepare", "for"), "a piece of equipment")
            missing = [k for k in ("item", "prepare", "for") if k not in keys]
            if missing:
                self.problem(element, f"equipment to prepare needs item:, prepare: and for: (missing {missing[0]}:)")
                continue
            item, text = self.text(keys["item"][1], "item"), self.text(keys["prepare"][1], "prepare")
            seconds = self.value(keys["for"][1], units.parse_duration, "for")
            if item is not None and text is not None and isinstance(seconds, float):
                items.append(item)
                prepare.append(Prepare(item, text, seconds))
        return tuple(items), tuple(prepare)

    def required_text(self, root: Node, keys: dict[str, tuple[Node, Node]], name: str) -> str | None:
        if name not in keys:
            self.problem(root, f"missing key {name!r}")
            return None
        return self.text(keys[name][1], name)

    def optional_text(self, keys: dict[str, tuple[Node, Node]], name: str) -> str:
        if name not in keys:
            return ""
        return self.text(keys[name][1], name) or ""

    def music(self, keys: dict[str, tuple[Node, Node]]) -> str | None:
        if "music" not in keys:
            return None
        node = keys["music"][1]
        text = self.text(node, "music")
        if text is None:
            return None
        if text in MOODS or text == "none":
            return text
        if not text.lower().endswith(MUSIC_SUFFIXES):
            self.problem(
                node, f"music must be a mood ({', '.join(MOODS)}), none, or a sound file{did_you_mean(text, MOODS)}"
            )
            return None
        file = (self.path.parent / text).resolve()
        if not file.is_file():
            self.problem(node, f"music file {text!r} not found (paths are relative to the script's folder)")
            return None
        return str(file)

    # -- routines -------------------------------------------------------------------------

    def routine(self, root: Node, resolve: Resolver | None, stack: tuple[Path, ...]) -> Routine | None:
        keys = self.check_keys(root, ROUTINE_KEYS, "a routine")
        title = self.required_text(root, keys, "title")
        summary = self.optional_text(keys, "summary")
        safety = self.optional_text(keys, "safety")
        music = self.music(keys)
        node = keys["routine"][1]
        entries: list[Entry] = []
        if node.kind != "seq" or not node.elements():
            self.problem(node, "routine must be a non-empty list of technique names")
        else:
            for item in node.elements():
                entry = self.entry(item, resolve, stack)
                if entry is not None:
                    entries.append(entry)
        if title is None or self.problems:
            return None
        routine = Routine(self.path.stem, self.path, title, tuple(entries), summary, music, safety)
        longest = sum(_entry_seconds(e) for e in entries)
        if longest > units.MAX_SESSION_SECONDS:
            self.problem(
                root,
                f"this routine can last up to {units.format_duration(longest)}, over the 4 hour "
                "session limit; give its entries shorter lengths",
            )
            return None
        return routine

    def entry(self, node: Node, resolve: Resolver | None, stack: tuple[Path, ...]) -> Entry | None:
        length: float | None = None
        name_node = node
        if node.kind == "map":
            if len(node.items()) != 1:
                self.problem(node, "a routine entry is a name, or one name with options: '- childs-pose: {length: 2m}'")
                return None
            name_node, options = node.items()[0]
            if options.kind == "map":
                found = self.check_keys(options, ("length",), "routine entry options")
                if "length" in found:
                    given = found["length"][1]
                    if given.value == "shortest":
                        length = SHORTEST
                    else:
                        value = self.value(given, units.parse_duration, "length")
                        length = value if isinstance(value, float) else None
            elif options.value is not None:
                self.problem(options, "routine entry options must be a mapping such as {length: 2m}")
        if name_node.kind != "scalar" or not isinstance(name_node.value, str) or not name_node.value.strip():
            self.problem(name_node, "a routine entry must name a technique")
            return None
        name = name_node.value.strip()
        target = resolve(name, self.path) if resolve else None
        if target is None:
            hint = did_you_mean(name, _known_names(self.path, resolve))
            self.problem(name_node, f"no technique named {name!r}{hint}")
            return None
        if target.resolve() in stack:
            chain = " -> ".join(p.stem for p in stack + (target.resolve(),))
            self.problem(name_node, f"routine includes itself ({chain})")
            return None
        try:
            item = load_session(target, resolve, stack)
        except ScriptError as exc:
            self.problems.extend(exc.problems)
            self.problem(name_node, f"technique {name!r} has errors (listed for {target})")
            return None
        if length is not None and not isinstance(item, Script):
            self.problem(node, "length: can only be given for a technique, not for a routine")
            return None
        return Entry(item, length, node.line, node.col)


def _entry_seconds(entry: Entry) -> float:
    if entry.length is not None:
        return entry.length
    if isinstance(entry.item, Script):
        return longest_seconds(entry.item.steps)
    return sum(_entry_seconds(e) for e in entry.item.entries)


def _known_names(path: Path, resolve: Resolver | None) -> list[str]:
    lister = getattr(resolve, "names", None)
    return list(lister()) if callable(lister) else []
