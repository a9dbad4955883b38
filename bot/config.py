"""Settings: `load_config(path)` reads the YAML file into a frozen object that is passed down.

The sections are pydantic dataclasses: pydantic checks every value against its declared type,
unknown keys are refused, and they stay plain frozen dataclasses for the code that reads them.
Each kind of value carries the one-line message an operator reads when it is wrong, and every
problem names the file, line and column it is at. Nothing reads configuration at import time.
The Discord token never comes from a file: only from the DISCORD_TOKEN environment variable
(`token_from_env`), as a SecretStr that prints as stars.
"""

from __future__ import annotations

import os
from dataclasses import field, fields, replace
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    ConfigDict,
    Field,
    PlainValidator,
    SecretStr,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from bot.knowledge import Limits, default_knowledge_path

TOKEN_ENV = "DISCORD_TOKEN"
MAX_CONFIG_BYTES = 100_000


class ConfigError(Exception):
    """A problem with the configuration, phrased as one line an operator can act on."""


# ---- the kinds of values, each with its message -----------------------------------------------


def _single(expected: str) -> WrapValidator:
    """Refuse a list or mapping where one value belongs, and replace pydantic's message for a
    bad value with `expected` (what the file says there is added to the message)."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, (list, dict)):
            raise PydanticCustomError("setting", "expected a single value, found a {kind}", {"kind": "list" if isinstance(value, list) else "mapping"})
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("setting", expected, {"show_found": True}) from None

    return WrapValidator(check)


def _id_list(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """An empty value is an empty list; each item's own problem is reported at its index."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise PydanticCustomError("setting", "expected a list of ids, like [123456789012345678]")
    return handler(value)


def _path(value: Any, info: ValidationInfo) -> Path:
    """A file or folder; relative to the config file's folder when read from one."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a path")
    path = Path(value)
    base = (info.context or {}).get("base")
    return (base / path).resolve() if base is not None and not path.is_absolute() else path


Count = Annotated[int, Strict(), Field(ge=0), _single("expected a whole number >= 0")]
Seconds = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False), _single("expected a number of seconds >= 0")]
Switch = Annotated[bool, Strict(), _single("expected true or false")]
DiscordId = Annotated[int, Strict(), Field(gt=0), _single("expected a numeric Discord id")]
DiscordIds = Annotated[tuple[DiscordId, ...], WrapValidator(_id_list)]
FilePath = Annotated[Path, PlainValidator(_path), _single("expected a file or folder path")]


def _shards(value: Any) -> int | str | None:
    if value is None or value == "auto" or (type(value) is int and value >= 1):
        return value  # type: ignore[no-any-return]
    raise PydanticCustomError("setting", "expected auto, a number of shards (1 or more) or null", {"show_found": True})


ShardCount = Annotated[int | str | None, PlainValidator(_shards)]

_SETTINGS = ConfigDict(extra="forbid")


# ---- the sections -----------------------------------------------------------------------------


@dataclass(frozen=True, config=_SETTINGS)
class DiscordSettings:
    guild_ids: DiscordIds = ()  # guilds whose slash commands are synced instantly
    answer_channel_ids: DiscordIds = ()  # channels answered without a mention
    moderator_role_ids: DiscordIds = ()  # roles allowed to run moderator commands
    mod_log_channel_id: Count | None = None  # reloads, errors and edits are reported here
    owner_ids: DiscordIds = ()  # may use owner-only text commands (sync); empty: the application owner
    shard_count: ShardCount = None  # gateway shards in this process: None (one connection), "auto" or a number


@dataclass(frozen=True, config=_SETTINGS)
class ChatSettings:
    user_cooldown_seconds: Seconds = 10.0
    channel_cooldown_seconds: Seconds = 2.0
    max_question_chars: Count = 500


@dataclass(frozen=True, config=_SETTINGS)
class KnowledgeSettings:
    path: FilePath = field(default_factory=default_knowledge_path)
    watch: Switch = True  # reload automatically when a knowledge file changes
    # In the file these are the section's own keys (max_file_bytes, max_depth, ...): the fields of
    # bot.knowledge's Limits, which defines them and their defaults (see _knowledge_limits).
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True, config=_SETTINGS)
class StorageSettings:
    path: FilePath = Path("data/bot.sqlite3")
    retention_days: Count = 180  # unanswered questions and votes older than this are deleted


@dataclass(frozen=True, config=_SETTINGS)
class Config:
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    source: Path | None = None  # the file it was read from


_SECTIONS: dict[str, type] = {"discord": DiscordSettings, "chat": ChatSettings, "knowledge": KnowledgeSettings, "storage": StorageSettings}
_LIMIT_KEYS = tuple(f.name for f in fields(Limits))
_COUNT: TypeAdapter[int] = TypeAdapter(Count)
_CONFIG: TypeAdapter[Config] = TypeAdapter(Config)


def _keys(section: str) -> list[str]:
    """The keys a section accepts in the file."""
    names = [f.name for f in fields(_SECTIONS[section])]
    return [n for n in names if n != "limits"] + list(_LIMIT_KEYS) if section == "knowledge" else names


# ---- reading the file -------------------------------------------------------------------------

_Spot = tuple[int, int, str | None]  # line, column (1-based), the scalar's text as written


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a settings file may not use."""


class _NoAliases(yaml.SafeLoader):
    """A settings file is small and written by hand: an alias (*name) is refused, not expanded."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(None, None, "uses a YAML alias (*name); not allowed in the config file", event.start_mark)
        return super().compose_node(parent, index)


class _Reader:
    """Plain values from a YAML file, and where each value is (by its path of keys and indexes).
    Refuses what a settings file never needs: aliases, repeated keys, keys that are not text."""

    def __init__(self, text: str, display: str) -> None:
        self.display = display
        self.spots: dict[tuple[Any, ...], _Spot] = {}
        self._loader = _NoAliases(text)

    def read(self) -> Any:
        try:
            node = self._loader.get_single_node()
            return None if node is None else self._value(node, ())
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{self.display}:{mark.line + 1}:{mark.column + 1}" if mark else self.display
            what = exc.problem if isinstance(exc, _Refused) else f"YAML syntax error: {exc.problem or exc}"
            raise ConfigError(f"config file {where}: {what}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {self.display}: YAML error: {exc}") from None
        finally:
            self._loader.dispose()

    def _refuse(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(f"config file {self.display}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: {message}")

    def _value(self, node: yaml.Node, path: tuple[Any, ...], at: yaml.Node | None = None) -> Any:
        """The value of `node`; its spot is where `at` (its key, in a mapping) or it starts."""
        mark = (at or node).start_mark
        self.spots[path] = (mark.line + 1, mark.column + 1, node.value if isinstance(node, yaml.ScalarNode) else None)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._loader.construct_object(key_node)
                if not isinstance(key, str):
                    raise self._refuse(key_node, "has a key that is not plain text")
                if key in out:
                    raise self._refuse(key_node, f"has the key {key!r} twice")
                out[key] = self._value(value_node, (*path, key), at=key_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._value(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._loader.construct_object(node)


def _read(path: Path) -> tuple[Any, dict[tuple[Any, ...], _Spot]]:
    display = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {display}: is {size:,} bytes, over the limit of {MAX_CONFIG_BYTES:,} bytes")
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {display}: is not valid UTF-8 (at byte offset {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"config file {display}: cannot be read: {exc.strerror or exc}") from None
    reader = _Reader(text, display)
    return reader.read(), reader.spots


# ---- checking it ------------------------------------------------------------------------------


def _place(path: Path, spots: dict[tuple[Any, ...], _Spot], where: tuple[Any, ...]) -> str:
    line, column, _raw = spots.get(where) or spots.get(where[:-1]) or (0, 0, None)
    return f"{path}:{line}:{column}" if line else str(path)


def _problem(path: Path, spots: dict[tuple[Any, ...], _Spot], where: tuple[Any, ...], message: str, show_found: bool = False) -> ConfigError:
    """`file:line:column: section.key: message`, and what the file says there when `show_found`."""
    raw = (spots.get(where) or (0, 0, None))[2]
    found = f", found {raw!r}" if show_found and raw is not None else ""
    return ConfigError(f"{_place(path, spots, where)}: {_dotted(where)}: {message}{found}")


def _unknown(path: Path, spots: dict[tuple[Any, ...], _Spot], where: tuple[Any, ...]) -> ConfigError:
    if len(where) == 1:
        return ConfigError(f"{_place(path, spots, where)}: unknown section {where[0]!r}; expected one of: {', '.join(_SECTIONS)}")
    return ConfigError(f"{_place(path, spots, where)}: unknown key {_dotted(where)!r}; expected one of: {', '.join(_keys(str(where[0])))}")


def _dotted(where: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + str(p) for i, p in enumerate(where))


def _error(path: Path, spots: dict[tuple[Any, ...], _Spot], where: tuple[Any, ...], err: Any) -> ConfigError:
    """One of pydantic's errors as one line."""
    if err["type"] == "unexpected_keyword_argument":
        return _unknown(path, spots, where)
    return _problem(path, spots, where, err["msg"], (err.get("ctx") or {}).get("show_found", False))


def _limits(path: Path, spots: dict[tuple[Any, ...], _Spot], section: dict[str, Any]) -> Limits:
    """The knowledge section's max_* keys, taken out of it, as one Limits; each a whole number >= 0."""
    given = {}
    for key in _LIMIT_KEYS:
        if key in section:
            try:
                given[key] = _COUNT.validate_python(section.pop(key))
            except ValidationError as exc:
                raise _error(path, spots, ("knowledge", key), exc.errors()[0]) from None
    return Limits(**given)


def load_config(path: Path | str) -> Config:
    """Read and check a config file. Relative paths in it are resolved against the file's folder.
    Raises ConfigError with one line naming the first problem (the one nearest the top)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found; copy config.example.yaml to {path} and edit it")
    if path.is_dir():
        raise ConfigError(f"config file {path} is a folder, not a file")
    doc, spots = _read(path)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"config file {path}: expected sections {', '.join(_SECTIONS)} at the top level")
    for name, value in doc.items():
        if name not in _SECTIONS:
            raise _unknown(path, spots, (name,))
        if value is None:
            doc[name] = value = {}
        if not isinstance(value, dict):
            raise _problem(path, spots, (name,), "expected a mapping of settings")
        if "limits" in value and name == "knowledge":
            raise _unknown(path, spots, (name, "limits"))
    if "knowledge" in doc:
        doc["knowledge"]["limits"] = _limits(path, spots, doc["knowledge"])
    try:
        config = _CONFIG.validate_python(doc, context={"base": path.parent})
    except ValidationError as exc:
        first = min(exc.errors(), key=lambda err: (spots.get(tuple(err["loc"])) or (0, 0, None))[:2])
        raise _error(path, spots, tuple(first["loc"]), first) from None
    return replace(config, source=path)


def token_from_env(environ: dict[str, str] | None = None) -> SecretStr:
    """The bot token from the environment; ConfigError if it is missing. It prints as stars:
    only `get_secret_value()`, where the client logs in, sees it."""
    environ = dict(os.environ) if environ is None else environ
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ConfigError(f"the environment variable {TOKEN_ENV} is not set; put the bot token there (never in a file in the repository)")
    return SecretStr(token)
