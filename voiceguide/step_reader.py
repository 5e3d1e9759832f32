"""Reading the steps of a technique: one method per action, each reporting at its line.

The checks here are of two kinds. Errors are about meaning (a value that cannot be played);
warnings are about style (``section`` without words after it, a pacer faster than calm).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from voiceguide import units
from voiceguide.reader import Reader, kind
from voiceguide.script import Breathe, Chime, Hold, Pause, Repeat, Say, Section, Sides, Step
from voiceguide.yamlnodes import Node

DEFAULT_BREATH_CYCLES = 4
ACTIONS = ("say", "pause", "hold", "breathe", "repeat", "sides", "chime", "section")
OPTIONS = {
    "say": ("detail", "brief", "alone"),
    "pause": ("detail",),
    "hold": ("breathe", "countdown", "pace"),
    "breathe": ("cycles", "for", "detail"),
    "repeat": ("steps",),
    "sides": ("steps", "part", "switch"),
}
ALL_OPTIONS = tuple(sorted({o for opts in OPTIONS.values() for o in opts}))


@dataclass(frozen=True)
class Where:
    """Where a step sits: at the top level, inside sides, inside a repeat."""

    top: bool = True
    in_sides: bool = False
    in_repeat: bool = False


TOP = Where()
Keys = dict[str, tuple[Node, Node]]


class StepReader(Reader):
    def steps(self, node: Node, where: Where) -> tuple[Step, ...]:
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
        self.check_sections(out)
        return tuple(out)

    def check_sections(self, steps: list[Step]) -> None:
        for i, step in enumerate(steps):
            if not isinstance(step, Section):
                continue
            following = [s for s in steps[i + 1 :] if not isinstance(s, Chime)]
            if not following or not _starts_with_speech(following[0]):
                self.warn(
                    Node(step.title, step.line, step.col),
                    f"section {step.title!r} should begin with a say step, so that a listener "
                    "with eyes closed hears what to do",
                )

    def step(self, node: Node, where: Where) -> Step | None:
        if node.kind != "map":
            self.problem(node, f"a step must be a mapping such as 'say: ...', not {kind(node)}")
            return None
        keys = self.check_keys(node, ACTIONS + ALL_OPTIONS, "a step")
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

    def say_texts(self, value: Node, what: str, where: Where) -> tuple[str, ...] | None:
        if value.kind == "seq":
            if not value.elements():
                self.problem(value, f"{what} has an empty list; give at least one text")
                return None
            if not where.in_repeat and len(value.elements()) > 1:
                self.problem(
                    value, "a list of texts takes turns across repeats; put this say inside a repeat, or give one text"
                )
                return None
            texts = [self.text(n, what, sides=where.in_sides) for n in value.elements()]
        else:
            texts = [self.text(value, what, sides=where.in_sides)]
        if any(t is None for t in texts):
            return None
        return tuple(t for t in texts if t)

    def step_say(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Say | None:
        texts = self.say_texts(value, "say", where)
        detail = self.flag(keys["detail"][1], "detail") if "detail" in keys else False
        brief: tuple[str, ...] = ()
        if "brief" in keys:
            if detail:
                self.problem(keys["brief"][0], "give either detail: true (brief guidance drops it) or brief:, not both")
                return None
            found = self.say_texts(keys["brief"][1], "brief", where)
            if found is None:
                return None
            brief = found
        alone = self.flag(keys["alone"][1], "alone") if "alone" in keys else False
        if texts is None:
            return None
        return Say(texts, detail=detail, brief=brief, alone=alone, **at)

    def step_pause(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Pause | None:
        span = self.value(value, units.parse_duration_span, "pause")
        detail = self.flag(keys["detail"][1], "detail") if "detail" in keys else False
        return Pause(span, detail=detail, **at) if isinstance(span, units.Span) else None

    def step_hold(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Hold | None:
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
                self.warn(keys["pace"][1], "pace: ticks closer than 1 second apart are not a calm pace")
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

    def step_breathe(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Breathe | None:
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
        detail = self.flag(keys["detail"][1], "detail") if "detail" in keys else False
        return Breathe(pattern, cycles, detail=detail, **at)

    def step_repeat(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Repeat | None:
        times = self.value(value, lambda v: units.parse_count_span(v, "repeat"), "repeat")
        steps = self.nested(keys, "repeat", value, replace(where, top=False, in_repeat=True))
        if not isinstance(times, units.Span) or steps is None:
            return None
        return Repeat(times, steps, **at)

    def step_sides(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Sides | None:
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
        part = self.text(keys["part"][1], "part") or "" if "part" in keys else ""
        switch = self.text(keys["switch"][1], "switch", sides=True) or "" if "switch" in keys else ""
        steps = self.nested(keys, "sides", value, replace(where, top=False, in_sides=True))
        if steps is None or not sides:
            return None
        return Sides(sides, steps, part=part, switch=switch, **at)

    def step_chime(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Chime | None:
        if value.value not in ("soft", None):
            self.problem(value, f"chime must be 'soft', not {value.value!r}")
            return None
        return Chime("soft", **at)

    def step_section(self, value: Node, keys: Keys, at: dict[str, int], where: Where) -> Section | None:
        title = self.text(value, "section")
        if not where.top:
            self.problem(value, "a section can only start at the top level of steps, not inside repeat or sides")
            return None
        return Section(title, **at) if title else None

    def nested(self, keys: Keys, action: str, value: Node, where: Where) -> tuple[Step, ...] | None:
        if "steps" not in keys:
            self.problem(value, f"{action} needs nested steps: (indented under it)")
            return None
        steps = self.steps(keys["steps"][1], where)
        return steps or None


def longest_seconds(steps: tuple[Step, ...]) -> float:
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
            total += step.times.hi * longest_seconds(step.steps)
        elif isinstance(step, Sides):
            total += len(step.sides) * (longest_seconds(step.steps) + 3.0)
        elif isinstance(step, Chime):
            total += 3.0
        if total > 10 * units.MAX_SESSION_SECONDS:
            break
    return total


def _starts_with_speech(step: Step) -> bool:
    if isinstance(step, Say):
        return True
    if isinstance(step, (Repeat, Sides)):
        first = [s for s in step.steps if not isinstance(s, Chime)]
        return bool(first) and _starts_with_speech(first[0])
    return False
