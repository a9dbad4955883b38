"""Safe YAML reading that keeps line numbers and refuses what a knowledge file never needs.

PyYAML's loaders silently keep the last of two duplicate keys and expand aliases. Here a
subclass of PyYAML's composer (on libyaml's parser when PyYAML has it) counts values and
nesting as the node graph is composed and refuses an alias the moment it is met, so a hostile
file costs at most the limits. The composed nodes are then converted into plain dicts and
lists of `Scalar`s, refusing tags, anchors, merge keys, keys that are not text, duplicate
keys and mappings with too many keys, in the order they appear. Every value's position is
kept in a table from its path, so every problem names its file, line and column.

A file with several problems reports one: an alias, too many values or collections nested too
deeply as soon as they are met; else a syntax error, a second document or a repeated anchor
anywhere in the file; else the first problem found while converting.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError

# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python
# one; both give the same events and marks. The composer on top is always PyYAML's Python one,
# so that it can count and refuse as it goes.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The tags PyYAML's safe resolver gives, and what we call each kind in messages.
_KINDS = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:map": "mapping",
    "tag:yaml.org,2002:seq": "list",
}
_MERGE = "tag:yaml.org,2002:merge"
_ALIAS = "uses a YAML alias (*name); anchors and aliases are not allowed in knowledge files"
_ANCHOR = "uses a YAML anchor (&name); anchors and aliases are not allowed in knowledge files"


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken file from costing unbounded time or memory."""

    max_file_bytes: int = 1_000_000
    max_depth: int = 20
    max_nodes: int = 200_000
    max_mapping_keys: int = 1_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a knowledge file, phrased so a moderator can fix it."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # dotted path of the field, "" for the whole file
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        field_part = f" {self.path}:" if self.path else ""
        return f"{where}:{field_part} {self.message}"


@dataclass(slots=True)
class Scalar:
    """A scalar with the type YAML resolved for it, kept so validation can say what it found."""

    value: Any
    kind: str  # text, integer, number, boolean, null, date
    raw: str
    line: int
    column: int


class Located:
    """Positions of the values of a read document, by field path.

    The position of a mapping entry is that of its key (where a moderator looks); of a list
    item, where the item starts. A path that does not exist falls back to the nearest enclosing
    one that does; (0, 0) when the document is empty."""

    __slots__ = ("positions",)

    def __init__(self, positions: dict[tuple[Any, ...], tuple[int, int]] | None = None) -> None:
        self.positions = positions if positions is not None else {}

    def at(self, path: tuple[Any, ...]) -> tuple[int, int]:
        while path and path not in self.positions:
            path = path[:-1]
        return self.positions.get(path, (0, 0))


class YamlError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def format_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_bytes(path: Path, display: str, limits: Limits = Limits(), root: Path | None = None) -> bytes:
    """The bytes of one file, or YamlError with the one reason it cannot be read: a link out of
    `root`, not a regular file, over the size limit, unreadable."""
    if root is not None:
        try:
            Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
        except ValueError:
            raise YamlError(Problem(display, 0, 0, "", "is a link to a file outside the knowledge folder; refusing to read it")) from None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # a named pipe or device would block the reader (and the reload lock) indefinitely
            raise YamlError(Problem(display, 0, 0, "", "is not a regular file (a pipe, device or socket?); refusing to read it"))
        if info.st_size > limits.max_file_bytes:
            raise YamlError(Problem(display, 0, 0, "", f"is {info.st_size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes"))
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        raise YamlError(Problem(display, 0, 0, "", "disappeared while it was being read")) from None
    except OSError as exc:
        raise YamlError(Problem(display, 0, 0, "", f"cannot be read: {exc.strerror or exc}")) from None
    if len(data) > limits.max_file_bytes:
        raise YamlError(Problem(display, 0, 0, "", f"is over the limit of {limits.max_file_bytes:,} bytes"))
    return data


def decode(data: bytes, display: str) -> str:
    """UTF-8 text, or YamlError pointing at the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(Problem(display, line, 0, "", f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")) from None


def read_yaml(path: Path, display: str, limits: Limits = Limits(), root: Path | None = None, digest: Any = None) -> tuple[Any, Located]:
    """Read one YAML file into plain values (scalars as `Scalar`) and their positions.

    `digest`, a hashlib object, is fed the very bytes that were parsed (so a version label can
    never describe other content than what was loaded, even if the file changes meanwhile).
    Raises YamlError with a single, precise problem when the file cannot be read at all.
    """
    data = read_bytes(path, display, limits, root)
    if digest is not None:
        digest.update(display.encode() + b"\0" + data + b"\0")
    return parse_yaml_text(decode(data, display), display, limits)


class _Counting(Composer):
    """PyYAML's composer, counting values and nesting as it composes and refusing aliases."""

    limits: Limits
    display: str

    def start_counting(self, display: str, limits: Limits) -> None:
        self.anchors = {}  # the C parser's __init__ does not run the composer's
        self.display = display
        self.limits = limits
        self.nodes = 0
        self.depth = 0  # of the collection being composed; the document's own is 0
        self.anchored: dict[int, Any] = {}  # id(node) -> node, for each node that had an anchor

    def _refuse(self, mark: Any, message: str) -> YamlError:
        return YamlError(Problem(self.display, mark.line + 1, mark.column + 1, "", message))

    def compose_node(self, parent: Any, index: Any) -> Any:
        return self._compose(self.get_event())

    def _compose(self, event: Any) -> Any:
        """The node that starts with `event`, its children composed as their events come."""
        cls = event.__class__
        if cls is yaml.AliasEvent:  # refused before it could be expanded
            raise self._refuse(event.start_mark, _ALIAS)
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self._refuse(event.start_mark, f"has more than {self.limits.max_nodes:,} values")
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:  # worded as PyYAML's composer does
            raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence", self.anchors[anchor].start_mark, "second occurrence", event.start_mark)
        tag = event.tag
        if cls is yaml.ScalarEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, None, event.style)
            if anchor is not None:
                self.anchors[anchor] = self.anchored[id(node)] = node
            return node
        if self.depth > self.limits.max_depth:
            raise self._refuse(event.start_mark, f"is nested more than {self.limits.max_depth} levels deep")
        kind = yaml.MappingNode if cls is yaml.MappingStartEvent else yaml.SequenceNode
        if tag is None or tag == "!":
            tag = self.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None)
        if anchor is not None:
            self.anchors[anchor] = self.anchored[id(node)] = node
        self.depth += 1
        children = []
        child = self.get_event()
        while child.__class__ is not yaml.MappingEndEvent and child.__class__ is not yaml.SequenceEndEvent:
            children.append(self._compose(child))
            child = self.get_event()
        self.depth -= 1
        node.value = list(zip(children[::2], children[1::2], strict=True)) if kind is yaml.MappingNode else children
        return node


@cache
def _loader_class(base: Any) -> Any:
    # the counting composer's methods first, the parser's own set-up
    return type(f"Knowledge{base.__name__}", (_Counting, base), {"__init__": base.__init__})


def parse_yaml_text(text: str, display: str, limits: Limits = Limits()) -> tuple[Any, Located]:
    try:
        loader = _loader_class(_Loader)(text.removeprefix("\ufeff"))
    except yaml.YAMLError as exc:  # the pure-Python reader checks the characters up front
        raise _syntax_error(exc, display) from None
    loader.start_counting(display, limits)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, display) from None
    finally:
        loader.dispose()
    located = Located()
    if node is None:
        return None, located
    return _Converter(display, limits, located, loader.anchored).convert(node, (), 0), located


def _syntax_error(exc: yaml.YAMLError, display: str) -> YamlError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "YAML syntax error"
        if exc.context:
            what = f"{exc.context}: {what}"
        return YamlError(Problem(display, line, col, "", f"YAML syntax error: {what}"))
    return YamlError(Problem(display, 0, 0, "", f"YAML error: {exc}"))


class _Converter:
    """Composed nodes to dicts, lists and `Scalar`s, with the position of each path."""

    def __init__(self, display: str, limits: Limits, located: Located, anchored: dict[int, Any]) -> None:
        self.display = display
        self.limits = limits
        self.positions = located.positions
        self.anchored = anchored

    def _fail(self, node: yaml.Node, path: tuple[Any, ...], message: str) -> YamlError:
        mark = node.start_mark
        return YamlError(Problem(self.display, mark.line + 1, mark.column + 1, format_path(path), message))

    def convert(self, node: yaml.Node, path: tuple[Any, ...], depth: int, at: tuple[int, int] | None = None) -> Any:
        """The value of `node`; `at` is the position to record for its path (a mapping entry's
        key), else where the node starts."""
        tag = node.tag
        if tag not in _KINDS:
            raise self._fail(node, path, f"uses the YAML tag {tag!r}; tags are not allowed in knowledge files")
        if self.anchored and id(node) in self.anchored:
            raise self._fail(node, path, _ANCHOR)
        mark = node.start_mark
        self.positions[path] = at or (mark.line + 1, mark.column + 1)
        if node.__class__ is yaml.ScalarNode:
            if depth > self.limits.max_depth:  # the composer refused deeper collections already
                raise self._fail(node, path, f"is nested more than {self.limits.max_depth} levels deep")
            return _scalar(node)
        if node.__class__ is yaml.SequenceNode:
            return [self.convert(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        return self._mapping(node, path, depth)

    def _mapping(self, node: yaml.MappingNode, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        if len(node.value) > self.limits.max_mapping_keys:
            raise self._fail(node, path, f"has {len(node.value):,} keys, over the limit of {self.limits.max_mapping_keys:,}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise self._fail(key_node, path, "uses a YAML merge key (<<); not allowed in knowledge files")
            if key_node.__class__ is not yaml.ScalarNode:
                raise self._fail(key_node, path, "has a key that is not plain text")
            key = key_node.value
            key_path = path + (key,)
            if key in result:
                first = self.positions[key_path][0]
                raise self._fail(key_node, key_path, f"duplicate key {key!r} (first defined on line {first}); YAML would silently keep only the last one")
            if self.anchored and id(key_node) in self.anchored:
                raise self._fail(key_node, path, _ANCHOR)
            result[key] = self.convert(value_node, key_path, depth + 1, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        return result


def _scalar(node: yaml.ScalarNode) -> Scalar:
    kind = _KINDS[node.tag]
    raw = node.value
    value: Any = raw
    if kind == "text":
        pass
    elif kind == "integer":
        try:
            value = int(raw.replace("_", ""), 0)
        except ValueError:
            value = raw
    elif kind == "number":
        try:
            value = float(raw.replace("_", ""))
        except ValueError:
            value = raw
    elif kind == "boolean":
        value = raw.lower() in {"yes", "true", "on", "y"}
    elif kind == "null":
        value = None
    mark = node.start_mark
    return Scalar(value, kind, raw, mark.line + 1, mark.column + 1)


def plain(value: Any) -> Any:
    """Strip Scalar wrappers (for code that only needs the values)."""
    if isinstance(value, Scalar):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
