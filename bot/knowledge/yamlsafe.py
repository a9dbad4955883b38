"""Safe YAML reading that keeps line numbers and refuses what a knowledge file never needs.

PyYAML's loaders silently keep the last of two duplicate keys and, unless told otherwise,
expand aliases without limit. We read the parser's event stream ourselves, once, and build
plain values from it as the events arrive (no node graph, no Python object a tag asks for):
every value keeps its position, every limit is enforced before anything over it is built, and
every problem is reported with its file, line and column.

When a file has several problems, the one reported is, as it always was: an alias, too many
values, or lists and mappings nested too deeply, wherever they are (refused at once, before
more is read); else the first syntax error, second document or repeated anchor; else the first
problem with a value (a tag, a merge key, a key that is not text, a repeated key, a scalar
nested too deeply), except that a mapping with too many keys is named before anything inside
it. After the first problem with a value nothing more is built: the rest of the stream is only
read for what would take precedence.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any, NoReturn

import yaml

# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one;
# both give the same events, marks and syntax errors.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What PyYAML's safe resolver produces, and what we call each kind in messages.
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
_PLAIN = (True, False)  # the `implicit` of a plain scalar without a tag
_COLUMN = (1 << 32) - 1  # a packed position is line << 32 | column

_Scalar = yaml.ScalarEvent
_MappingStart = yaml.MappingStartEvent
_SequenceStart = yaml.SequenceStartEvent
_MappingEnd = yaml.MappingEndEvent
_SequenceEnd = yaml.SequenceEndEvent

_ALIAS = "uses a YAML alias (*name); anchors and aliases are not allowed in knowledge files"
_MERGE_KEY = "uses a YAML merge key (<<); not allowed in knowledge files"
_NOT_TEXT_KEY = "has a key that is not plain text"


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


class _Mapping(dict[str, Any]):
    """A mapping as read: a plain dict that also knows where it starts and where each key is
    (`key_at[i]` is the position of its i-th key, packed as line << 32 | column)."""

    __slots__ = ("line", "column", "key_at")

    line: int
    column: int
    key_at: list[int]


class _Sequence(list[Any]):
    """A list as read: a plain list that also knows where it starts."""

    __slots__ = ("line", "column")

    line: int
    column: int


class Located:
    """Positions of the values of a document read here, by field path.

    The position of a path is that of its value; for a mapping entry it is that of the key,
    which is where a moderator looks. A path that does not exist falls back to the nearest
    enclosing one that does; (0, 0) when the document is empty. The positions are read from
    the document itself, so it must not be changed afterwards.
    """

    __slots__ = ("_root",)

    def __init__(self, root: Any = None) -> None:
        self._root = root

    def at(self, path: tuple[Any, ...]) -> tuple[int, int]:
        node = self._root
        if node is None:
            return (0, 0)
        where = (node.line, node.column)
        for part in path:
            if isinstance(node, _Mapping):
                if part not in node:
                    break
                packed = node.key_at[_index(node, part)]
                where, node = (packed >> 32, packed & _COLUMN), node[part]
            elif isinstance(node, _Sequence) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
                where = (node.line, node.column)
            else:
                break
        return where


def _index(mapping: dict[Any, Any], key: Any) -> int:
    """Where `key` (which must be there) comes in the mapping's order."""
    for i, name in enumerate(mapping):
        if name == key:
            return i
    raise KeyError(key)


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


def parse_yaml_text(text: str, display: str, limits: Limits = Limits()) -> tuple[Any, Located]:
    try:
        loader = _Loader(text.removeprefix("\ufeff"))
    except yaml.YAMLError as exc:  # the pure-Python reader checks the characters up front
        raise _syntax_error(exc, display) from None
    try:
        root = _Reader(loader, display, limits).read()
    finally:
        loader.dispose()
    return root, Located(root)


def _syntax_error(exc: yaml.YAMLError, display: str) -> YamlError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "YAML syntax error"
        if exc.context:
            what = f"{exc.context}: {what}"
        return YamlError(Problem(display, line, col, "", f"YAML syntax error: {what}"))
    return YamlError(Problem(display, 0, 0, "", f"YAML error: {exc}"))


def _typed(tag: str, raw: str) -> tuple[str | None, Any]:
    """The kind and value of a scalar with this tag; (None, tag) for a tag we do not accept."""
    kind = _KINDS.get(tag)
    if kind is None:
        return None, tag
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
    return kind, value


class _Open:
    """A mapping still open when the first problem with a value was met: if it turns out to
    have too many keys, that is the problem to report instead (it is the mapping's own)."""

    __slots__ = ("keys", "want_key", "line", "column", "path")

    def __init__(self, keys: int, want_key: bool, line: int, column: int, path: tuple[Any, ...]) -> None:
        self.keys = keys
        self.want_key = want_key
        self.line = line
        self.column = column
        self.path = path


_NO_KEY = object()  # the open mapping waits for a key, not for the value of one


class _Reader:
    """One pass over the event stream: the limits, the refusals and the values as they come."""

    def __init__(self, loader: Any, display: str, limits: Limits) -> None:
        self.loader = loader
        self.display = display
        self.limits = limits
        self.nodes = 0  # scalars and collections seen, keys included
        self.anchors: dict[str, Any] = {}  # only to report a repeated anchor as the composer did

    # -- problems

    def _problem(self, mark: Any, path: tuple[Any, ...], message: str) -> Problem:
        return Problem(self.display, mark.line + 1, mark.column + 1, format_path(path), message)

    def _count(self, event: Any, depth: int) -> None:
        """The checks on the stream itself, which come before anything else."""
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise YamlError(self._problem(event.start_mark, (), f"has more than {self.limits.max_nodes:,} values"))
        if depth > self.limits.max_depth and event.__class__ is not _Scalar:
            raise YamlError(self._problem(event.start_mark, (), f"is nested more than {self.limits.max_depth} levels deep"))

    def _repeated_anchor(self, event: Any) -> Problem | None:
        anchor = event.anchor
        first = self.anchors.get(anchor)
        if first is None:
            self.anchors[anchor] = event.start_mark
            return None
        name = "" if _Loader is not yaml.SafeLoader else f" {anchor!r}"
        return self._problem(event.start_mark, (), f"YAML syntax error: found duplicate anchor{name}; first occurrence: second occurrence")

    def _second_document(self, event: Any) -> Problem:
        return self._problem(event.start_mark, (), "YAML syntax error: expected a single document in the stream: but found another document")

    def _key_problem(self, event: Any) -> str | None:
        """What is wrong with a key other than its repetition, if anything."""
        tag = event.tag
        is_scalar = event.__class__ is _Scalar
        if tag is None or tag == "!":
            if not is_scalar:
                return _NOT_TEXT_KEY
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE:
            return _MERGE_KEY
        return None if is_scalar else _NOT_TEXT_KEY

    # -- the pass

    def read(self) -> Any:
        next_event = self.loader.get_event
        resolve = self.loader.resolve
        limits = self.limits
        max_nodes, max_depth, max_keys = limits.max_nodes, limits.max_depth, limits.max_mapping_keys
        plain: dict[str, tuple[str | None, Any]] = {}  # resolution of plain scalars, by text
        top: list[Any] = []  # holds the document's value
        # the containers around the current one: (container, its key positions or None, where
        # the open child is in it); the path of the current container is made of those places
        stack: list[tuple[Any, Any, Any]] = []
        current: Any = top
        key_at: list[int] | None = None  # the current container's key positions, if a mapping
        key: Any = _NO_KEY
        nodes = documents = 0
        # module names as locals: this loop runs once per event
        no_key, new_scalar, new_mapping, new_sequence, kinds = _NO_KEY, Scalar, _Mapping, _Sequence, _KINDS
        scalar_event, mapping_start, sequence_start, mapping_end, sequence_end = _Scalar, _MappingStart, _SequenceStart, _MappingEnd, _SequenceEnd
        # on a problem: (is the event a key, does it open a container, a composer's problem, the
        # first problem with a value (None when a mapping got one key too many))
        failure: tuple[bool, bool, Problem | None, Problem | None]
        while True:
            try:
                event = next_event()
            except yaml.YAMLError as exc:
                raise _syntax_error(exc, self.display) from None
            cls = event.__class__
            if cls is scalar_event:
                nodes += 1
                if nodes > max_nodes:
                    raise YamlError(self._problem(event.start_mark, (), f"has more than {max_nodes:,} values"))
                if event.anchor is not None:
                    repeated = self._repeated_anchor(event)
                    if repeated is not None:
                        failure = (False, False, repeated, None)
                        break
                value = event.value
                mark = event.start_mark
                if key is no_key and key_at is not None:  # a key
                    if len(current) >= max_keys:
                        failure = (True, False, None, None)
                        break
                    if event.tag is not None or value == "<<":
                        wrong = self._key_problem(event)
                        if wrong is not None:
                            failure = (True, False, None, self._problem(mark, self._path(stack), wrong))
                            break
                    if value in current:
                        first = key_at[_index(current, value)] >> 32
                        message = f"duplicate key {value!r} (first defined on line {first}); YAML would silently keep only the last one"
                        failure = (True, False, None, self._problem(mark, self._path(stack) + (value,), message))
                        break
                    key = intern(value)  # the same few names, thousands of times over
                    key_at.append((mark.line + 1) << 32 | (mark.column + 1))
                    continue
                if len(stack) > max_depth:
                    failure = (False, False, None, self._problem(mark, self._child_path(stack, current, key), f"is nested more than {max_depth} levels deep"))
                    break
                tag = event.tag
                if tag is None:
                    if event.implicit[0]:
                        resolved = plain.get(value)
                        if resolved is None:
                            resolved = plain[value] = _typed(resolve(yaml.ScalarNode, value, _PLAIN), value)
                        kind, typed = resolved
                    else:  # quoted or a block: always text
                        kind, typed = "text", value
                else:
                    if tag == "!":
                        tag = resolve(yaml.ScalarNode, value, event.implicit)
                    kind, typed = _typed(tag, value)
                if kind is None:
                    message = f"uses the YAML tag {typed!r}; tags are not allowed in knowledge files"
                    failure = (False, False, None, self._problem(mark, self._child_path(stack, current, key), message))
                    break
                item = new_scalar(typed, kind, value, mark.line + 1, mark.column + 1)
                if key_at is not None:
                    current[key] = item
                    key = no_key
                else:
                    current.append(item)
            elif cls is mapping_end or cls is sequence_end:
                current, key_at, _ = stack.pop()
                key = no_key
            elif cls is mapping_start or cls is sequence_start:
                nodes += 1
                if nodes > max_nodes:
                    raise YamlError(self._problem(event.start_mark, (), f"has more than {max_nodes:,} values"))
                if len(stack) > max_depth:
                    raise YamlError(self._problem(event.start_mark, (), f"is nested more than {max_depth} levels deep"))
                if event.anchor is not None:
                    repeated = self._repeated_anchor(event)
                    if repeated is not None:
                        failure = (False, True, repeated, None)
                        break
                mark = event.start_mark
                if key is no_key and key_at is not None:  # a list or mapping as a key
                    if len(current) >= max_keys:
                        failure = (True, True, None, None)
                    else:
                        failure = (True, True, None, self._problem(mark, self._path(stack), self._key_problem(event) or _NOT_TEXT_KEY))
                    break
                tag = event.tag
                if tag is not None and tag != "!" and tag not in kinds:
                    message = f"uses the YAML tag {tag!r}; tags are not allowed in knowledge files"
                    failure = (False, True, None, self._problem(mark, self._child_path(stack, current, key), message))
                    break
                if cls is mapping_start:
                    new: Any = new_mapping()
                    new_key_at: Any = []
                    new.key_at = new_key_at
                else:
                    new = new_sequence()
                    new_key_at = None
                new.line = mark.line + 1
                new.column = mark.column + 1
                if key_at is not None:
                    current[key] = new
                    stack.append((current, key_at, key))
                else:
                    stack.append((current, None, len(current)))
                    current.append(new)
                current, key_at, key = new, new_key_at, no_key
            elif cls is yaml.AliasEvent:
                raise YamlError(self._problem(event.start_mark, (), _ALIAS))
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    failure = (False, False, self._second_document(event), None)
                    break
            elif cls is yaml.StreamEndEvent:
                return top[0] if top else None
        self.nodes = nodes
        is_key, opens, composing, found = failure
        self._finish(stack, current, key, is_key, opens, composing, found)

    @staticmethod
    def _path(stack: list[tuple[Any, Any, Any]]) -> tuple[Any, ...]:
        """The path of the current container (the first entry is the document's holder)."""
        return tuple(place for _, _, place in stack[1:])

    @classmethod
    def _child_path(cls, stack: list[tuple[Any, Any, Any]], current: Any, key: Any) -> tuple[Any, ...]:
        """The path of the value that comes next in the current container."""
        if not stack:
            return ()  # the document's own value
        return cls._path(stack) + ((key,) if isinstance(current, _Mapping) else (len(current),))

    def _finish(
        self, stack: list[tuple[Any, Any, Any]], current: Any, key: Any, is_key: bool, opens: bool, composing: Problem | None, found: Problem | None
    ) -> NoReturn:
        """Stop building at a problem met in the current event and read the rest of the stream
        for what takes precedence over it; raise the problem to report.

        `composing`: a problem the composer would have met (a repeated anchor, a second
        document), else `found`: the first problem with a value, or None when the current
        mapping just got one key too many. `is_key`: the event is a key of the current mapping;
        `opens`: it starts a list or mapping.
        """
        frames: list[_Open | None] = []
        if composing is None:
            containers = [entry[0] for entry in stack[1:]] + ([current] if stack else [])
            places = [entry[2] for entry in stack[1:]]
            for depth, container in enumerate(containers):
                if not isinstance(container, _Mapping):
                    frames.append(None)
                    continue
                keys = len(container)
                if container is current and (key is not _NO_KEY or is_key):
                    keys += 1  # a key whose value is not in the mapping yet
                frames.append(_Open(keys, not (container is current and is_key), container.line, container.column, tuple(places[:depth])))
        else:
            frames = [None] * len(stack)
        if opens:
            frames.append(None)
        self._drain(frames, composing, found)

    def _drain(self, frames: list[_Open | None], composing: Problem | None, found: Problem | None) -> NoReturn:
        limits = self.limits
        documents_ended = False
        while True:
            try:
                event = self.loader.get_event()
            except yaml.YAMLError as exc:
                if composing is not None:
                    raise YamlError(composing) from None  # the composer stopped before this point
                raise _syntax_error(exc, self.display) from None
            cls = event.__class__
            if cls is _Scalar or cls is _MappingStart or cls is _SequenceStart:
                self._count(event, len(frames))
                if composing is None:
                    if event.anchor is not None and not documents_ended:
                        composing = self._repeated_anchor(event)
                    parent = frames[-1] if frames else None
                    if parent is not None:
                        if parent.want_key:
                            parent.keys += 1
                        parent.want_key = not parent.want_key
                if cls is not _Scalar:
                    frames.append(None)
            elif cls is _MappingEnd or cls is _SequenceEnd:
                frame = frames.pop()
                if frame is not None and frame.keys > limits.max_mapping_keys:
                    message = f"has {frame.keys:,} keys, over the limit of {limits.max_mapping_keys:,}"
                    found = Problem(self.display, frame.line, frame.column, format_path(frame.path), message)
            elif cls is yaml.AliasEvent:
                raise YamlError(self._problem(event.start_mark, (), _ALIAS))
            elif cls is yaml.DocumentEndEvent:
                documents_ended = True
            elif cls is yaml.DocumentStartEvent:
                if composing is None:
                    composing = self._second_document(event)
            elif cls is yaml.StreamEndEvent:
                problem = composing or found
                assert problem is not None
                raise YamlError(problem)


def plain(value: Any) -> Any:
    """Strip Scalar wrappers (for code that only needs the values)."""
    if isinstance(value, Scalar):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
