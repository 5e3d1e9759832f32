"""Safe YAML reading that keeps the line and column of every value.

PyYAML's composer turns text into a node graph without constructing any Python object, so
no tag can run code. This module walks that graph into small frozen values that remember
where they came from. It refuses what a technique script never needs: tags, anchors used
as bombs, duplicate keys, several documents, deep nesting, huge files and non-UTF-8 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from voiceguide.errors import ScriptError

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 20_000  # after alias expansion: a "billion laughs" file stops here
MAX_DEPTH = 40

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


@dataclass(frozen=True)
class Node:
    """A YAML value with its 1-based position. ``value`` is a str, int, float, bool, None,
    a tuple of Nodes (a sequence) or a tuple of (key Node, value Node) pairs (a mapping)."""

    value: object
    line: int
    col: int
    kind: str = "scalar"  # "scalar", "seq" or "map"

    def items(self) -> tuple[tuple[Node, Node], ...]:
        assert self.kind == "map"
        return self.value  # type: ignore[return-value]

    def elements(self) -> tuple[Node, ...]:
        assert self.kind == "seq"
        return self.value  # type: ignore[return-value]


def read_text(path: Path) -> str:
    """The file's text, or a ScriptError for sizes, binary content and invalid UTF-8."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScriptError.at(where, 1, 1, f"file is {size:,} bytes; the limit is 1 MB")
        data = path.read_bytes()
    except IsADirectoryError:
        raise ScriptError.at(where, 1, 1, "is a folder, not a script file") from None
    except OSError as exc:
        raise ScriptError.at(where, 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScriptError.at(where, 1, 1, f"file is {len(data):,} bytes; the limit is 1 MB")
    if b"\x00" in data:
        line, col = _position(data, data.index(b"\x00"))
        raise ScriptError.at(where, line, col, "this is a binary file, not a YAML text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        raise ScriptError.at(
            where, line, col, f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8"
        ) from None
    if not text.strip():
        raise ScriptError.at(where, 1, 1, "file is empty; a script needs at least a title and steps")
    return text


def parse(text: str, where: str) -> Node:
    """Compose ``text`` safely and return its root node."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ScriptError.at(where, line, col, _yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise ScriptError.at(where, 1, 1, f"YAML error: {exc}") from None
    except RecursionError:
        raise ScriptError.at(where, 1, 1, "the YAML is nested too deeply") from None
    if root is None:
        raise ScriptError.at(where, 1, 1, "file is empty; a script needs at least a title and steps")
    walker = _Walker(where)
    return walker.walk(root, 0)


def load(path: Path) -> Node:
    return parse(read_text(path), str(path))


class _Walker:
    def __init__(self, where: str) -> None:
        self.where = where
        self.count = 0

    def fail(self, node: yaml.Node, message: str) -> ScriptError:
        return ScriptError.at(self.where, node.start_mark.line + 1, node.start_mark.column + 1, message)

    def walk(self, node: yaml.Node, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"the YAML expands to more than {MAX_NODES:,} values (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise self.fail(node, "the YAML is nested too deeply")
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self.fail(node, f"YAML tag {_short_tag(node.tag)} is not allowed in scripts")
            return Node(_scalar(node), line, col, "scalar")
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(node, f"YAML tag {_short_tag(node.tag)} is not allowed in scripts")
            return Node(tuple(self.walk(n, depth + 1) for n in node.value), line, col, "seq")
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.fail(node, f"YAML tag {_short_tag(node.tag)} is not allowed in scripts")
            pairs: list[tuple[Node, Node]] = []
            seen: dict[object, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail(key_node, "merge keys (<<) are not supported in scripts")
                key = self.walk(key_node, depth + 1)
                if key.kind != "scalar":
                    raise self.fail(key_node, "a key must be a plain word, not a list or mapping")
                marker = key.value if not isinstance(key.value, str) else key.value.strip()
                if marker in seen:
                    raise self.fail(key_node, f"duplicate key {key.value!r} (first given on line {seen[marker]})")
                seen[marker] = key.line
                pairs.append((key, self.walk(value_node, depth + 1)))
            return Node(tuple(pairs), line, col, "map")
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover - PyYAML has no others


def _scalar(node: yaml.ScalarNode) -> object:
    text = node.value
    tag = node.tag
    if tag == _STR:
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:int":
        cleaned = text.replace("_", "")
        try:
            if cleaned.startswith(("0x", "-0x", "+0x")):
                return int(cleaned, 16)
            if cleaned.startswith(("0o", "-0o", "+0o")):
                return int(cleaned, 8)
            if ":" in cleaned:  # YAML 1.1 sexagesimal: 1:30 is not an int a script means
                return text
            return int(cleaned)
        except ValueError:
            return text
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return text


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or exc.context or "syntax error").strip()
    if "'\\t'" in problem or "\\t" in problem:
        return "tab character in the YAML; indent with spaces, not tabs"
    if "expected a single document" in problem or "but found another document" in problem:
        return "the file holds more than one YAML document; a script is one document"
    if exc.context and exc.problem:
        return f"YAML syntax error: {exc.problem} ({exc.context})"
    return f"YAML syntax error: {problem}"


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    start = before.rfind(b"\n") + 1
    col = len(before[start:].decode("utf-8", errors="replace")) + 1
    return line, col
