"""Load technique scripts and routines from YAML, reporting every problem at its line.

``load_session(path)`` returns a frozen ``Script`` or ``Routine`` or raises ``ScriptError``
listing all the problems found in the file (and in the files a routine names).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from voiceguide import units
from voiceguide.errors import Problem, ScriptError
from voiceguide.script import (
    AUDIENCES,
    Breathe,
    Chime,
    Entry,
    Hold,
    Pause,
    Repeat,
    Routine,
    Say,
    Script,
    Section,
    Session,
    Sides,
    Step,
)
from voiceguide.yamlnodes import Node, load

MAX_TEXT_CHARS = 1000
MOODS = ("warm", "waves", "bowls")
MUSIC_SUFFIXES = (".mp3", ".ogg", ".oga", ".flac", ".wav", ".m4a", ".opus")
DEFAULT_BREATH_CYCLES = 4

TECHNIQUE_KEYS = ("title", "summary", "audience", "areas", "equipment", "safety", "music", "steps")
ROUTINE_KEYS = ("title", "summary", "music", "routine")
ACTIONS = ("say", "pause", "hold", "breathe", "repeat", "sides", "chime", "section")
OPTIONS = {
    "hold": ("breathe", "countdown", "pace"),
    "breathe": ("cycles", "for"),
    "repeat": ("steps",),
    "sides": ("steps",),
}
PLACEHOLDERS = ("side", "other_side")

Resolver = Callable[[str, Path], Path | None]


@dataclass(frozen=True)
class _Where:
    """Where a step sits: at the top level, inside sides, inside a repeat."""

    top: bool = True
    in_sides: bool = False
    in_repeat: bool = False


TOP = _Where()


def load_session(path: Path, resolve: Resolver | None = None, _stack: tuple[Path, ...] = ()) -> Session:
    """Load one file. ``resolve(name, routine_path)`` finds the file a routine entry names."""
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
    return session


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self.problems: list[Problem] = []

    # -- reporting -----------------------------------------------------------------------

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.where, node.line, node.col, message))

    def check_keys(self, node: Node, allowed: Iterable[str], what: str) -> dict[str, tuple[Node, Node]]:
        allowed = tuple(allowed)
        found: dict[str, tuple[Node, Node]] = {}
        for key, value in node.items():
            name = key.value if isinstance(key.value, str) else str(key.value)
            if name not in allowed:
                self.problem(key, f"unknown key {name!r} in {what}{_suggest(name, allowed)}")
                continue
            found[name] = (key, value)
        return found

    # -- small value readers --------------------------------------------------------------

    def text(self, node: Node, what: str, *, sides: bool = False) -> str | None:
        if node.kind != "scalar" or node.value is None or isinstance(node.value, bool):
            self.problem(node, f"{what} must be text")
            return None
        # Control characters mean nothing to a voice or a player: they become spaces.
        text = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", str(node.value)).split())
        if not text:
            self.problem(node, f"{what} is empty")
            return None
        if len(text) > MAX_TEXT_CHARS:
            self.problem(
                node,
                f"{what} is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} (split it into several steps)",
            )
            return None
        for name in re.findall(r"\{([^{}]*)\}", text):
            if name not in PLACEHOLDERS:
                self.problem(node, f"unknown placeholder {{{name}}}; only {{side}} and {{other_side}} exist")
            elif not sides:
                self.problem(node, f"{{{name}}} is only filled in inside a sides: step")
        return text

    def words(self, node: Node, what: str) -> tuple[str, ...]:
        if node.kind == "scalar" and isinstance(node.value, str) and node.value.strip():
            return (node.value.strip(),)
        if node.kind != "seq":
            self.problem(node, f"{what} must be a list of words, such as [neck, shoulders]")
            return ()
        out = []
        for item in node.elements():
            text = self.text(item, f"an entry of {what}")
            if text is not None:
                out.append(text)
        return tuple(out)

    def value(self, node: Node, parse: Callable[[object], object], what: str) -> object:
        if node.kind != "scalar":
            self.problem(node, f"{what} must be a single value, not a list or mapping")
            return None
        try:
            return parse(node.value)
        except ValueError as exc:
            self.problem(node, f"{what}: {exc}")
            return None

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
        areas = self.words(keys["areas"][1], "areas") if "areas" in keys else ()
        equipment = self.words(keys["equipment"][1], "equipment") if "equipment" in keys else ()
        music = self.music(keys)
        steps: tuple[Step, ...] = ()
        if "steps" not in keys:
            self.problem(root, "missing key 'steps': a technique needs a list of steps")
        else:
            steps = self.steps(keys["steps"][1], TOP)
        if title is None:
            return None
        longest = _longest_seconds(steps)
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
        )

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
                node, f"music must be a mood ({', '.join(MOODS)}), none, or a sound file{_suggest(text, MOODS)}"
            )
            return None
        file = (self.path.parent / text).resolve()
        if not file.is_file():
            self.problem(node, f"music file {text!r} not found (paths are relative to the script's folder)")
            return None
        return str(file)

    def steps(self, node: Node, where: _Where) -> tuple[Step, ...]:
        if node.kind != "seq":
            self.problem(node, "steps must be a list, each item starting with '- '")
            return ()
        if not node.elements():
            self.problem(node, "steps is empty: give at least one step")
            return ()
        out: list[Step] = []
        for item in node.elements():
            step = self.step(item, where)
            if step is not None:
                out.append(step)
        self.check_sections(node, out)
        return tuple(out)

    def check_sections(self, node: Node, steps: list[Step]) -> None:
        for i, step in enumerate(steps):
            if not isinstance(step, Section):
                continue
            following = [s for s in steps[i + 1 :] if not isinstance(s, Chime)]
            if not following or not _starts_with_speech(following[0]):
                self.problem(
                    _node_at(step),
                    f"section {step.title!r} must begin with a say step, so that a listener "
                    "with eyes closed hears what to do",
                )

    def step(self, node: Node, where: _Where) -> Step | None:
        if node.kind != "map":
            self.problem(node, f"a step must be a mapping such as 'say: ...', not {_kind(node)}")
            return None
        all_options = sorted({o for opts in OPTIONS.values() for o in opts})
        keys = self.check_keys(node, ACTIONS + tuple(all_options), "a step")
        actions = [name for name in keys if name in ACTIONS]
        if len(actions) > 1:  # "breathe" is also an option of "hold"
            actions = [a for a in actions if not any(a in OPTIONS.get(b, ()) for b in actions)]
        if not actions:
            if keys:
                self.problem(node, f"this step has no action; start it with one of: {', '.join(ACTIONS)}")
            return None
        if len(actions) > 1:
            second = keys[actions[1]][0]
            self.problem(
                second,
                f"a step has exactly one action, but this one has {actions[0]!r} and {actions[1]!r}; "
                "split it into two steps",
            )
            return None
        action = actions[0]
        for name, (key, _) in keys.items():
            if name != action and name not in OPTIONS.get(action, ()):
                owners = [a for a, opts in OPTIONS.items() if name in opts]
                hint = f"; it belongs to {' or '.join(owners)}" if owners else ""
                self.problem(key, f"option {name!r} does not go with {action}{hint}")
        value = keys[action][1]
        at = {"line": keys[action][0].line, "col": keys[action][0].col}
        return getattr(self, "step_" + action)(value, keys, at, where)  # type: ignore[no-any-return]

    def step_say(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Say | None:
        if value.kind == "seq":
            if not value.elements():
                self.problem(value, "say has an empty list; give at least one text")
                return None
            if not where.in_repeat and len(value.elements()) > 1:
                self.problem(
                    value, "a list of texts takes turns across repeats; put this say inside a repeat, or give one text"
                )
                return None
            texts = [self.text(n, "say", sides=where.in_sides) for n in value.elements()]
        else:
            texts = [self.text(value, "say", sides=where.in_sides)]
        if any(t is None for t in texts):
            return None
        return Say(tuple(t for t in texts if t), **at)

    def step_pause(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Pause | None:
        span = self.value(value, units.parse_duration_span, "pause")
        return Pause(span, **at) if isinstance(span, units.Span) else None

    def step_hold(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Hold | None:
        span = self.value(value, units.parse_duration_span, "hold")
        pattern = countdown = pace = None
        if "breathe" in keys:
            pattern = self.value(keys["breathe"][1], units.parse_pattern, "breathe")
        if "countdown" in keys:
            countdown = self.value(keys["countdown"][1], units.parse_duration, "countdown")
            if isinstance(countdown, float) and countdown < 3:
                self.problem(keys["countdown"][1], "countdown: give at least 3s, so the words fit before the end")
                countdown = None
        if "pace" in keys:
            pace = self.value(keys["pace"][1], units.parse_duration, "pace")
            if isinstance(pace, float) and pace < 1:
                self.problem(keys["pace"][1], "pace: ticks closer than 1 second apart are not a calm pace")
                pace = None
        if not isinstance(span, units.Span):
            return None
        if isinstance(countdown, float) and countdown >= span.lo:
            self.problem(
                keys["countdown"][1],
                f"countdown {units.format_duration(countdown)} does not fit in a "
                f"{units.format_duration(span.lo)} hold; make it shorter",
            )
            countdown = None
        if isinstance(pattern, units.BreathPattern) and pattern.cycle > span.lo:
            self.problem(
                keys["breathe"][1],
                f"one {pattern.name} breath takes {units.format_duration(pattern.cycle)}, longer than "
                f"the {units.format_duration(span.lo)} hold",
            )
            pattern = None
        return Hold(
            span,
            breathe=pattern if isinstance(pattern, units.BreathPattern) else None,
            countdown=countdown if isinstance(countdown, float) else None,
            pace=pace if isinstance(pace, float) else None,
            **at,
        )

    def step_breathe(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Breathe | None:
        pattern = self.value(value, units.parse_pattern, "breathe")
        cycles: object = units.Span(DEFAULT_BREATH_CYCLES, DEFAULT_BREATH_CYCLES)
        if "cycles" in keys and "for" in keys:
            self.problem(keys["for"][0], "give either cycles: or for:, not both")
            return None
        if "cycles" in keys:
            cycles = self.value(keys["cycles"][1], lambda v: units.parse_count_span(v, "cycles"), "cycles")
        if not isinstance(pattern, units.BreathPattern) or not isinstance(cycles, units.Span):
            return None
        if "for" in keys:
            span = self.value(keys["for"][1], units.parse_duration_span, "for")
            if not isinstance(span, units.Span):
                return None
            lo = max(1, round(span.lo / pattern.cycle))
            hi = max(lo, round(span.hi / pattern.cycle))
            if hi > units.MAX_REPEATS * 10:
                self.problem(keys["for"][1], "for: that many breaths is beyond the session limit")
                return None
            cycles = units.Span(float(lo), float(hi))
        return Breathe(pattern, cycles, **at)

    def step_repeat(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Repeat | None:
        times = self.value(value, lambda v: units.parse_count_span(v, "repeat"), "repeat")
        steps = self.nested(keys, "repeat", value, replace(where, top=False, in_repeat=True))
        if not isinstance(times, units.Span) or steps is None:
            return None
        return Repeat(times, steps, **at)

    def step_sides(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Sides | None:
        sides: tuple[str, ...] = ()
        if value.kind == "scalar" and value.value == "both":
            sides = ("right", "left")
        elif value.kind == "seq":
            sides = tuple(t for t in (self.text(n, "a side") for n in value.elements()) if t)
            if not 1 <= len(sides) <= 4 or len(set(sides)) != len(sides):
                self.problem(value, "sides must list one to four different sides, such as [right, left]")
                return None
        else:
            self.problem(value, "sides must be a list such as [right, left], or both")
            return None
        steps = self.nested(keys, "sides", value, replace(where, top=False, in_sides=True))
        if steps is None or not sides:
            return None
        return Sides(sides, steps, **at)

    def step_chime(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Chime | None:
        if value.value not in ("soft", None):
            self.problem(value, f"chime must be 'soft', not {value.value!r}")
            return None
        return Chime("soft", **at)

    def step_section(
        self, value: Node, keys: dict[str, tuple[Node, Node]], at: dict[str, int], where: _Where
    ) -> Section | None:
        title = self.text(value, "section")
        if not where.top:
            self.problem(value, "a section can only start at the top level of steps, not inside repeat or sides")
            return None
        return Section(title, **at) if title else None

    def nested(
        self, keys: dict[str, tuple[Node, Node]], action: str, value: Node, where: _Where
    ) -> tuple[Step, ...] | None:
        if "steps" not in keys:
            self.problem(value, f"{action} needs nested steps: (indented under it)")
            return None
        steps = self.steps(keys["steps"][1], where)
        return steps or None

    # -- routines -------------------------------------------------------------------------

    def routine(self, root: Node, resolve: Resolver | None, stack: tuple[Path, ...]) -> Routine | None:
        keys = self.check_keys(root, ROUTINE_KEYS, "a routine")
        title = self.required_text(root, keys, "title")
        summary = self.optional_text(keys, "summary")
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
        routine = Routine(self.path.stem, self.path, title, tuple(entries), summary, music)
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
                    value = self.value(found["length"][1], units.parse_duration, "length")
                    length = value if isinstance(value, float) else None
            elif options.value is not None:
                self.problem(options, "routine entry options must be a mapping such as {length: 2m}")
        if name_node.kind != "scalar" or not isinstance(name_node.value, str) or not name_node.value.strip():
            self.problem(name_node, "a routine entry must name a technique")
            return None
        name = name_node.value.strip()
        target = resolve(name, self.path) if resolve else None
        if target is None:
            self.problem(name_node, f"no technique named {name!r}{_suggest(name, _known_names(self.path, resolve))}")
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


def _longest_seconds(steps: tuple[Step, ...]) -> float:
    """An upper bound of how long steps can last, without unrolling them."""
    total = 0.0
    for step in steps:
        if isinstance(step, Say):
            total += max(len(t.split()) for t in step.texts) * 0.6 + 2.0
        elif isinstance(step, (Pause, Hold)):
            total += step.seconds.hi
        elif isinstance(step, Breathe):
            total += step.cycles.hi * step.pattern.cycle
        elif isinstance(step, Repeat):
            total += step.times.hi * _longest_seconds(step.steps)
        elif isinstance(step, Sides):
            total += len(step.sides) * (_longest_seconds(step.steps) + 3.0)
        elif isinstance(step, Chime):
            total += 3.0
        if total > 10 * units.MAX_SESSION_SECONDS:
            break
    return total


def _entry_seconds(entry: Entry) -> float:
    if entry.length is not None:
        return entry.length
    if isinstance(entry.item, Script):
        return _longest_seconds(entry.item.steps)
    return sum(_entry_seconds(e) for e in entry.item.entries)


def _starts_with_speech(step: Step) -> bool:
    if isinstance(step, Say):
        return True
    if isinstance(step, (Repeat, Sides)):
        first = [s for s in step.steps if not isinstance(s, Chime)]
        return bool(first) and _starts_with_speech(first[0])
    return False


def _node_at(step: Section) -> Node:
    return Node(step.title, step.line, step.col)


def _kind(node: Node) -> str:
    return {"seq": "a list", "map": "a mapping"}.get(node.kind, repr(node.value))


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _known_names(path: Path, resolve: Resolver | None) -> list[str]:
    lister = getattr(resolve, "names", None)
    return list(lister()) if callable(lister) else []
