"""Safe YAML reading that keeps line numbers and refuses what a knowledge file never needs.

PyYAML's loaders silently keep the last of two duplicate keys and, unless told otherwise,
expand aliases without limit. We compose the node graph ourselves (composition constructs no
Python objects) and convert it, so every value keeps its position and every problem can be
reported with its file, line and column.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one;
# both give the same nodes, marks and errors.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Tags that PyYAML's safe resolver produces for plain scalars and collections.
_STR = "tag:yaml.org,2002:str"
_KNOWN_TAGS = {
    _STR: "text",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:map": "mapping",
    "tag:yaml.org,2002:seq": "list",
}


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


@dataclass
class Scalar:
    """A scalar with the type YAML resolved for it, kept so validation can say what it found."""

    value: Any
    kind: str  # text, integer, number, boolean, null, date
    raw: str
    line: int
    column: int


@dataclass
class Located:
    """Positions of every value in a converted document, by field path."""

    positions: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)

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


def read_yaml(path: Path, display: str, limits: Limits = Limits(), root: Path | None = None, digest: Any = None) -> tuple[Any, Located]:
    """Read one YAML file into plain values (scalars as `Scalar`) and their positions.

    `digest`, a hashlib object, is fed the very bytes that were parsed (so a version label can
    never describe other content than what was loaded, even if the file changes meanwhile).
    Raises YamlError with a single, precise problem when the file cannot be read at all.
    """
    if root is not None:
        try:
            real = Path(os.path.realpath(path))
            real.relative_to(os.path.realpath(root))
        except ValueError:
            raise YamlError(Problem(display, 0, 0, "", "is a link to a file outside the knowledge folder; refusing to read it")) from None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # a named pipe or device would block the reader (and the reload lock) indefinitely
            raise YamlError(Problem(display, 0, 0, "", "is not a regular file (a pipe, device or socket?); refusing to read it"))
        size = info.st_size
        if size > limits.max_file_bytes:
            raise YamlError(Problem(display, 0, 0, "", f"is {size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes"))
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        raise YamlError(Problem(display, 0, 0, "", "disappeared while it was being read")) from None
    except OSError as exc:
        raise YamlError(Problem(display, 0, 0, "", f"cannot be read: {exc.strerror or exc}")) from None
    if len(data) > limits.max_file_bytes:
        raise YamlError(Problem(display, 0, 0, "", f"is over the limit of {limits.max_file_bytes:,} bytes"))
    if digest is not None:
        digest.update(display.encode() + b"\0" + data + b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(Problem(display, line, 0, "", f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")) from None
    return parse_yaml_text(text, display, limits)


def parse_yaml_text(text: str, display: str, limits: Limits = Limits()) -> tuple[Any, Located]:
    text = text.removeprefix("\ufeff")
    _prescan(text, display, limits)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "YAML syntax error"
        if exc.context:
            what = f"{exc.context}: {what}"
        raise YamlError(Problem(display, line, col, "", f"YAML syntax error: {what}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(display, 0, 0, "", f"YAML error: {exc}")) from None
    except RecursionError:
        raise YamlError(Problem(display, 0, 0, "", f"is nested too deeply (limit {limits.max_depth} levels)")) from None
    finally:
        loader.dispose()
    located = Located()
    if node is None:
        return None, located
    converter = _Converter(display, limits, located)
    return converter.convert(node, (), 0), located


def _prescan(text: str, display: str, limits: Limits) -> None:
    """Walk the parser's event stream (constant memory) and stop at the first value over the
    limits, before any node graph is built: composing a 1 MB file of tiny values first would
    cost seconds and hundreds of megabytes only to refuse it afterwards."""
    loader = _Loader(text)
    depth = nodes = 0
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise YamlError(Problem(display, mark.line + 1, mark.column + 1, "", "uses a YAML alias (*name); anchors and aliases are not allowed in knowledge files"))
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                nodes += 1
                if nodes > limits.max_nodes:
                    mark = event.start_mark
                    raise YamlError(Problem(display, mark.line + 1, mark.column + 1, "", f"has more than {limits.max_nodes:,} values"))
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limits.max_depth + 1:
                    mark = event.start_mark
                    raise YamlError(Problem(display, mark.line + 1, mark.column + 1, "", f"is nested more than {limits.max_depth} levels deep"))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return  # syntax errors are reported, with their position, by the real parse that follows
    finally:
        loader.dispose()


class _Converter:
    def __init__(self, display: str, limits: Limits, located: Located) -> None:
        self.display = display
        self.limits = limits
        self.located = located
        self.seen: set[int] = set()
        self.count = 0

    def _fail(self, node: yaml.Node, path: tuple[Any, ...], message: str) -> YamlError:
        mark = node.start_mark
        return YamlError(Problem(self.display, mark.line + 1, mark.column + 1, format_path(path), message))

    def convert(self, node: yaml.Node, path: tuple[Any, ...], depth: int) -> Any:
        # A node reached twice is an alias: knowledge files never need them, and refusing them
        # makes "billion laughs" documents cost nothing.
        if id(node) in self.seen:
            raise self._fail(node, path, "uses a YAML alias (*name); anchors and aliases are not allowed in knowledge files")
        self.seen.add(id(node))
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise self._fail(node, path, f"has more than {self.limits.max_nodes:,} values")
        if depth > self.limits.max_depth:
            raise self._fail(node, path, f"is nested more than {self.limits.max_depth} levels deep")
        if node.tag not in _KNOWN_TAGS:
            raise self._fail(node, path, f"uses the YAML tag {node.tag!r}; tags are not allowed in knowledge files")
        mark = node.start_mark
        self.located.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            if len(node.value) > self.limits.max_mapping_keys:
                raise self._fail(node, path, f"has {len(node.value):,} keys, over the limit of {self.limits.max_mapping_keys:,}")
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._fail(key_node, path, "uses a YAML merge key (<<); not allowed in knowledge files")
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._fail(key_node, path, "has a key that is not plain text")
                key = key_node.value
                if key in result:
                    first = self.located.positions.get(path + (key,), (0, 0))
                    raise self._fail(key_node, path + (key,), f"duplicate key {key!r} (first defined on line {first[0]}); YAML would silently keep only the last one")
                result[key] = None  # reserve the key before descending, for the duplicate check
                kmark = key_node.start_mark
                self.located.positions[path + (key,)] = (kmark.line + 1, kmark.column + 1)
                result[key] = self.convert(value_node, path + (key,), depth + 1)
                # keep the key's own position: it is where a moderator looks
                self.located.positions[path + (key,)] = (kmark.line + 1, kmark.column + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        kind = _KNOWN_TAGS[node.tag]
        raw = node.value
        value: Any = raw
        if kind == "integer":
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
