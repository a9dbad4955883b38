"""Settings: `load_config(path)` reads the YAML file into a frozen object that is passed down.

Nothing reads configuration at import time. The Discord token never comes from a file: only
from the DISCORD_TOKEN environment variable (`token_from_env`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.knowledge.yamlsafe import Limits, Scalar, YamlError, format_path, read_yaml

TOKEN_ENV = "DISCORD_TOKEN"


class ConfigError(Exception):
    """A problem with the configuration, phrased as one line an operator can act on."""


@dataclass(frozen=True)
class DiscordSettings:
    guild_ids: tuple[int, ...] = ()  # guilds whose slash commands are synced instantly
    answer_channel_ids: tuple[int, ...] = ()  # channels answered without a mention
    moderator_role_ids: tuple[int, ...] = ()  # roles allowed to run moderator commands
    mod_log_channel_id: int | None = None  # reloads, errors and edits are reported here
    owner_ids: tuple[int, ...] = ()  # may use owner-only text commands (sync); empty: the application owner
    shard_count: int | str | None = None  # gateway shards in this process: None (one connection), "auto" or a number


@dataclass(frozen=True)
class ChatSettings:
    user_cooldown_seconds: float = 10.0
    channel_cooldown_seconds: float = 2.0
    max_question_chars: int = 500


@dataclass(frozen=True)
class KnowledgeSettings:
    path: Path = Path("knowledge")
    watch: bool = True  # reload automatically when a knowledge file changes
    max_file_bytes: int = 1_000_000
    max_depth: int = 20
    max_nodes: int = 200_000
    max_mapping_keys: int = 1_000

    @property
    def limits(self) -> Limits:
        return Limits(self.max_file_bytes, self.max_depth, self.max_nodes, self.max_mapping_keys)


@dataclass(frozen=True)
class StorageSettings:
    path: Path = Path("data/bot.sqlite3")
    retention_days: int = 180  # unanswered questions and votes older than this are deleted


@dataclass(frozen=True)
class Config:
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    chat: ChatSettings = field(default_factory=ChatSettings)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    source: Path | None = None  # the file it was read from


_SECTIONS = {"discord": DiscordSettings, "chat": ChatSettings, "knowledge": KnowledgeSettings, "storage": StorageSettings}


def _convert(value: Any, annotation: str, where: str) -> Any:
    """Check one setting against its declared type; raise ConfigError naming the key."""

    def scalar() -> Scalar:
        if not isinstance(value, Scalar):
            raise ConfigError(f"{where}: expected a single value, found a {'list' if isinstance(value, list) else 'mapping'}")
        return value

    if annotation.startswith("tuple[int"):
        if isinstance(value, Scalar) and value.kind == "null":
            return ()
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list of ids, like [123456789012345678]")
        out = []
        for i, item in enumerate(value):
            if not (isinstance(item, Scalar) and item.kind == "integer" and isinstance(item.value, int) and item.value > 0):
                raise ConfigError(f"{where}[{i}]: expected a numeric Discord id, found {getattr(item, 'raw', item)!r}")
            out.append(item.value)
        return tuple(out)
    s = scalar()
    if annotation == "int | str | None":  # discord.shard_count
        if s.kind == "null" or s.value == "auto" or (s.kind == "integer" and isinstance(s.value, int) and s.value >= 1):
            return None if s.kind == "null" else s.value
        raise ConfigError(f"{where}: expected auto, a number of shards (1 or more) or null, found {s.raw!r}")
    if annotation == "int | None":
        if s.kind == "null":
            return None
        annotation = "int"
    if annotation == "int":
        if s.kind != "integer" or not isinstance(s.value, int) or s.value < 0:
            raise ConfigError(f"{where}: expected a whole number >= 0, found {s.raw!r}")
        return s.value
    if annotation == "float":
        if s.kind not in {"integer", "number"} or not isinstance(s.value, (int, float)) or s.value < 0:
            raise ConfigError(f"{where}: expected a number of seconds >= 0, found {s.raw!r}")
        return float(s.value)
    if annotation == "bool":
        if s.kind != "boolean":
            raise ConfigError(f"{where}: expected true or false, found {s.raw!r}")
        return bool(s.value)
    if annotation == "Path":
        if s.kind != "text" or not str(s.value).strip():
            raise ConfigError(f"{where}: expected a file or folder path, found {s.raw!r}")
        return Path(str(s.value))
    raise AssertionError(annotation)


def load_config(path: Path | str) -> Config:
    """Read and check a config file. Relative paths in it are resolved against the file's folder."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found; copy config.example.yaml to {path} and edit it")
    if path.is_dir():
        raise ConfigError(f"config file {path} is a folder, not a file")
    try:
        doc, _ = read_yaml(path, str(path), Limits(max_file_bytes=100_000))
    except YamlError as exc:
        raise ConfigError(f"config file {exc.problem}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"config file {path}: expected sections {', '.join(_SECTIONS)} at the top level")
    sections: dict[str, Any] = {}
    for name, value in doc.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section {name!r}; expected one of: {', '.join(_SECTIONS)}")
        cls = _SECTIONS[name]
        if isinstance(value, Scalar) and value.kind == "null":
            value = {}
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {name}: expected a mapping of settings")
        known = {f.name: f for f in fields(cls)}
        kwargs = {}
        for key, raw in value.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown key {format_path((name, key))!r}; expected one of: {', '.join(known)}")
            kwargs[key] = _convert(raw, str(known[key].type), f"{path}: {name}.{key}")
        for key in ("path",):
            if key in kwargs and not kwargs[key].is_absolute():
                kwargs[key] = (path.parent / kwargs[key]).resolve()
        sections[name] = cls(**kwargs)
    if "knowledge" not in sections:
        from bot.knowledge import default_knowledge_path

        sections["knowledge"] = KnowledgeSettings(path=default_knowledge_path())
    return Config(**sections, source=path)


def token_from_env(environ: dict[str, str] | None = None) -> str:
    """The bot token from the environment; ConfigError if it is missing. Never logged."""
    environ = dict(os.environ) if environ is None else environ
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ConfigError(f"the environment variable {TOKEN_ENV} is not set; put the bot token there (never in a file in the repository)")
    return token
