"""Safe YAML reading that keeps line numbers and refuses what a knowledge file never needs.

PyYAML's loaders silently keep the last of two duplicate keys and expand aliases. Here a
subclass of PyYAML's composer, on libyaml's parser when PyYAML has it, composes plain dicts
and lists of `Scalar`s straight from the parser's events (no node graph), counting values and
nesting as they come, so a hostile file costs at most the limits. It refuses aliases, tags,
anchors, merge keys, keys that are not text, repeated keys and mappings with too many keys.
Every value's position is kept in a table by path, so every problem names its file, line and
column.

A file with several problems reports one: an alias, too many values or collections nested too
deeply as soon as they are met; else a syntax error, a second document or a repeated anchor
anywhere in the file; else the first other problem in the file (a mapping with too many keys
before anything inside it).
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
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
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


class _Composing(Composer):
    """PyYAML's composer, made to compose values (dicts, lists and `Scalar`s) instead of nodes.

    It counts values and nesting as they come and refuses an alias, too many values or too
    deep a nesting at once. A problem with a value (a tag, an anchor, a merge key, a key that
    is not text, a repeated key, a scalar nested too deeply, a mapping with too many keys) is
    kept and reported once the whole file has been read, unless a problem the parser or
    composer finds later takes precedence; the first such problem in the file is the one kept,
    except that a mapping with too many keys is named before anything inside it."""

    def start(self, display: str, limits: Limits) -> None:
        self.anchors = {}  # anchor -> where it was first met; the C parser does not set it up
        self.display = display
        self.limits = limits
        self.nodes = 0
        self.positions: dict[tuple[Any, ...], tuple[int, int]] = {}
        self.first_problem: Problem | None = None

    def _refuse(self, mark: Any, message: str) -> YamlError:
        return YamlError(Problem(self.display, mark.line + 1, mark.column + 1, "", message))

    def _note(self, mark: Any, path: tuple[Any, ...], message: str) -> None:
        if self.first_problem is None:
            self.first_problem = Problem(self.display, mark.line + 1, mark.column + 1, format_path(path), message)

    def _count(self, event: Any) -> None:
        """Count a value and note an anchor on it; refuse an alias or one value too many."""
        if event.__class__ is yaml.AliasEvent:  # refused before it could be expanded
            raise self._refuse(event.start_mark, _ALIAS)
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self._refuse(event.start_mark, f"has more than {self.limits.max_nodes:,} values")
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:  # worded as PyYAML's composer words it
                raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence", self.anchors[anchor], "second occurrence", event.start_mark)
            self.anchors[anchor] = event.start_mark

    def _scalar_tag(self, event: Any) -> str:
        tag = event.tag
        if tag is None and not event.implicit[0]:
            return _STR  # quoted or a block: text, as the resolver would say
        if tag is None or tag == "!":
            return self.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-any-return]
        return tag  # type: ignore[no-any-return]

    def get_single_node(self) -> Any:
        """The one document's value (None for an empty stream), as PyYAML's composer reads it."""
        self.get_event()  # the stream's start
        value = None
        if not self.check_event(yaml.StreamEndEvent):
            value = self.compose_document()
        if not self.check_event(yaml.StreamEndEvent):
            raise ComposerError("expected a single document in the stream", None, "but found another document", self.get_event().start_mark)
        self.get_event()
        return value

    def compose_node(self, parent: Any, index: Any) -> Any:
        return self._value(self.get_event(), (), 0, None)

    def _value(self, event: Any, path: tuple[Any, ...], depth: int, at: tuple[int, int] | None) -> Any:
        """The value that starts with `event`; `at` is the position to record for its path (a
        mapping entry's key), else where the value starts."""
        self._count(event)
        mark = event.start_mark
        is_scalar = event.__class__ is yaml.ScalarEvent
        if is_scalar:
            tag = self._scalar_tag(event)
        else:
            if depth > self.limits.max_depth:
                raise self._refuse(mark, f"is nested more than {self.limits.max_depth} levels deep")
            tag = event.tag
            if tag is None or tag == "!":  # what the resolver gives an untagged collection
                tag = _MAP if event.__class__ is yaml.MappingStartEvent else _SEQ
        if tag not in _KINDS:
            self._note(mark, path, f"uses the YAML tag {tag!r}; tags are not allowed in knowledge files")
        if event.anchor is not None:
            self._note(mark, path, _ANCHOR)
        self.positions[path] = at or (mark.line + 1, mark.column + 1)
        if is_scalar:
            if depth > self.limits.max_depth:
                self._note(mark, path, f"is nested more than {self.limits.max_depth} levels deep")
            return _scalar(tag, event.value, mark)
        if event.__class__ is yaml.SequenceStartEvent:
            items: list[Any] = []
            child = self.get_event()
            while child.__class__ is not yaml.SequenceEndEvent:
                items.append(self._value(child, path + (len(items),), depth + 1, None))
                child = self.get_event()
            return items
        return self._mapping(mark, path, depth)

    def _mapping(self, start: Any, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        had_problem = self.first_problem is not None
        result: dict[str, Any] = {}
        keys = 0
        event = self.get_event()
        while event.__class__ is not yaml.MappingEndEvent:
            keys += 1
            key_mark = event.start_mark
            key = None
            if event.__class__ is yaml.ScalarEvent:
                self._count(event)
                if self._scalar_tag(event) == _MERGE:
                    self._note(key_mark, path, "uses a YAML merge key (<<); not allowed in knowledge files")
                elif event.anchor is not None:
                    self._note(key_mark, path, _ANCHOR)
                key = event.value
            else:  # a list or mapping as a key: composed only to count it
                if event.__class__ is not yaml.AliasEvent:
                    self._note(key_mark, path, "has a key that is not plain text")
                self._value(event, path + (None,), depth + 1, None)
            key_path = path + (key,)
            if key is not None and key in result:
                first = self.positions[key_path][0]
                self._note(key_mark, key_path, f"duplicate key {key!r} (first defined on line {first}); YAML would silently keep only the last one")
                self._value(self.get_event(), path + (None,), depth + 1, None)  # counted, not kept
            else:
                value = self._value(self.get_event(), key_path, depth + 1, (key_mark.line + 1, key_mark.column + 1))
                if key is not None:
                    result[key] = value
            event = self.get_event()
        if keys > self.limits.max_mapping_keys and not had_problem:
            # the mapping's own problem, named before anything found inside it
            self.first_problem = Problem(
                self.display, start.line + 1, start.column + 1, format_path(path), f"has {keys:,} keys, over the limit of {self.limits.max_mapping_keys:,}"
            )
        return result


@cache
def _loader_class(base: Any) -> Any:
    # the composing methods first, the parser's own set-up
    return type(f"Knowledge{base.__name__}", (_Composing, base), {"__init__": base.__init__})


def parse_yaml_text(text: str, display: str, limits: Limits = Limits()) -> tuple[Any, Located]:
    try:
        loader = _loader_class(_Loader)(text.removeprefix("\ufeff"))
    except yaml.YAMLError as exc:  # the pure-Python reader checks the characters up front
        raise _syntax_error(exc, display) from None
    loader.start(display, limits)
    try:
        value = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, display) from None
    finally:
        loader.dispose()
    if loader.first_problem is not None:
        raise YamlError(loader.first_problem)
    return value, Located(loader.positions)


def _syntax_error(exc: yaml.YAMLError, display: str) -> YamlError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "YAML syntax error"
        if exc.context:
            what = f"{exc.context}: {what}"
        return YamlError(Problem(display, line, col, "", f"YAML syntax error: {what}"))
    return YamlError(Problem(display, 0, 0, "", f"YAML error: {exc}"))


def _scalar(tag: str, raw: str, mark: Any) -> Scalar:
    kind = _KINDS.get(tag, "text")  # an unknown tag was noted as a problem already
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
