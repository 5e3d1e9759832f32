"""The base of the script loader: reporting problems at their node, and reading small values.

A ``Reader`` collects every problem of one file instead of stopping at the first. Errors are
about meaning (the script cannot be played as written); warnings are advice about style (it
plays, but a listener may be served better), and ``validate --strict`` makes them errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from voiceguide.errors import Problem, did_you_mean
from voiceguide.yamlnodes import Node

MAX_TEXT_CHARS = 1000
PLACEHOLDERS = ("side", "other_side")
WARNING = "warning: "  # the prefix that marks a Problem as advice


def is_warning(problem: Problem) -> bool:
    return problem.message.startswith(WARNING)


def as_error(problem: Problem) -> Problem:
    """A warning turned into an error (``validate --strict``)."""
    if not is_warning(problem):
        return problem
    message = problem.message[len(WARNING) :]
    return Problem(problem.path, problem.line, problem.col, f"{message} (a warning, an error under --strict)")


class Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    # -- reporting -----------------------------------------------------------------------

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.where, node.line, node.col, message))

    def warn(self, node: Node, message: str) -> None:
        self.warnings.append(Problem(self.where, node.line, node.col, WARNING + message))

    def check_keys(self, node: Node, allowed: Iterable[str], what: str) -> dict[str, tuple[Node, Node]]:
        allowed = tuple(allowed)
        found: dict[str, tuple[Node, Node]] = {}
        for key, value in node.items():
            name = key.value if isinstance(key.value, str) else str(key.value)
            if name not in allowed:
                self.problem(key, f"unknown key {name!r} in {what}{did_you_mean(name, allowed)}")
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

    def flag(self, node: Node, what: str) -> bool:
        if not isinstance(node.value, bool):
            self.problem(node, f"{what} must be true or false, not {node.value!r}")
            return False
        return node.value


def kind(node: Node) -> str:
    return {"seq": "a list", "map": "a mapping"}.get(node.kind, repr(node.value))
