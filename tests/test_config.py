"""Settings: the example file loads, every problem is one line with file:line:column, the token is
a secret, and the knowledge limits are bot.knowledge's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ChatSettings, Config, ConfigError, DiscordSettings, KnowledgeSettings, load_config, token_from_env
from bot.knowledge import Limits, default_knowledge_path

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_example_file_loads_with_paths_relative_to_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text((ROOT / "config.example.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    config = load_config(path)
    assert config.source == path
    assert config.knowledge.path == (tmp_path / "knowledge").resolve() and config.knowledge.watch is True
    assert config.storage.path == (tmp_path / "data" / "bot.sqlite3").resolve() and config.storage.retention_days == 180
    assert config.chat == ChatSettings() and config.discord == DiscordSettings()
    assert config.knowledge.limits == Limits()  # the example states the loader's own defaults


def test_an_empty_file_gives_the_defaults_and_the_project_knowledge(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "# nothing set\n"))
    assert config.knowledge.path == default_knowledge_path() and config.chat.user_cooldown_seconds == 10.0
    assert load_config(_write(tmp_path, "chat:\n")).chat == ChatSettings()


def test_values_are_read_with_their_types(tmp_path: Path) -> None:
    config = load_config(
        _write(
            tmp_path,
            "discord:\n  guild_ids: [123456789012345678]\n  answer_channel_ids:\n  mod_log_channel_id: 42\n"
            "chat:\n  user_cooldown_seconds: 0\n  channel_cooldown_seconds: 1.5\n"
            "knowledge:\n  path: /srv/kb\n  watch: false\n  max_depth: 3\n",
        )
    )
    assert config.discord.guild_ids == (123456789012345678,) and config.discord.answer_channel_ids == () and config.discord.mod_log_channel_id == 42
    assert config.chat.user_cooldown_seconds == 0.0 and isinstance(config.chat.user_cooldown_seconds, float) and config.chat.channel_cooldown_seconds == 1.5
    assert config.knowledge.path == Path("/srv/kb") and config.knowledge.watch is False
    assert config.knowledge.limits == dataclasses.replace(Limits(), max_depth=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "chat:\n  user_cooldown_secs: 5\n",
            ":2:3: unknown key 'chat.user_cooldown_secs'; expected one of: user_cooldown_seconds, channel_cooldown_seconds, max_question_chars",
        ),
        ("chat:\n  user_cooldown_seconds: -5\n", ":2:3: chat.user_cooldown_seconds: expected a number of seconds >= 0, found '-5'"),
        ("chat:\n  max_question_chars: lots\n", ":2:3: chat.max_question_chars: expected a whole number >= 0, found 'lots'"),
        ("chat:\n  max_question_chars: 5.5\n", ":2:3: chat.max_question_chars: expected a whole number >= 0, found '5.5'"),
        ("chat:\n  max_question_chars: [1]\n", ":2:3: chat.max_question_chars: expected a single value, found a list"),
        ("discord:\n  guild_ids: [1, -2]\n", ":2:18: discord.guild_ids[1]: expected a numeric Discord id, found '-2'"),
        ("discord:\n  owner_ids: [true]\n", ":2:15: discord.owner_ids[0]: expected a numeric Discord id, found 'true'"),
        ("discord:\n  guild_ids: 5\n", ":2:3: discord.guild_ids: expected a list of ids, like [123456789012345678]"),
        ("knowledge:\n  watch: maybe\n", ":2:3: knowledge.watch: expected true or false, found 'maybe'"),
        ("knowledge:\n  path: ''\n", ":2:3: knowledge.path: expected a file or folder path, found ''"),
        ("knowledge:\n  max_nodes: -1\n", ":2:3: knowledge.max_nodes: expected a whole number >= 0, found '-1'"),
        (
            "knowledge:\n  limits: {max_depth: 3}\n",
            ":2:3: unknown key 'knowledge.limits'; expected one of: path, watch, max_file_bytes, max_depth, max_nodes, max_mapping_keys",
        ),
        ("chats:\n  x: 1\n", ":1:1: unknown section 'chats'; expected one of: discord, chat, knowledge, storage"),
        ("chat: 5\n", ":1:1: chat: expected a mapping of settings"),
    ],
)
def test_each_problem_is_one_line_with_its_position(tmp_path: Path, text: str, expected: str) -> None:
    assert _problem(tmp_path, text) == f"{tmp_path / 'config.yaml'}{expected}"


def test_the_problem_nearest_the_top_is_named(tmp_path: Path) -> None:
    assert ":2:3: chat.user_cooldown_seconds" in _problem(tmp_path, "chat:\n  user_cooldown_seconds: x\n  max_question_chars: y\n")


def test_yaml_problems_name_their_position(tmp_path: Path) -> None:
    assert _problem(tmp_path, "discord:\n  guild_ids: [1, 2\n").startswith(f"config file {tmp_path / 'config.yaml'}:3:1: YAML syntax error")
    assert _problem(tmp_path, "chat:\n  max_question_chars: 5\n  max_question_chars: 6\n").endswith(":3:3: has the key 'max_question_chars' twice")
    assert _problem(tmp_path, "chat:\n  a: &x 1\n  b: *x\n").endswith(":3:6: uses a YAML alias (*name); not allowed in the config file")
    assert "expected sections discord, chat, knowledge, storage" in _problem(tmp_path, "[1, 2]\n")
    (tmp_path / "config.yaml").write_bytes(b"chat:\n  max_question_chars: \xff\n")
    with pytest.raises(ConfigError, match="is not valid UTF-8"):
        load_config(tmp_path / "config.yaml")


def test_a_missing_file_or_a_folder_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent.yaml not found; copy config.example.yaml"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        load_config(tmp_path)


def test_a_bad_value_ends_a_command_with_one_line_and_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "storage:\n  retention_days: soon\n")
    assert main(["stats", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {path}:2:3: storage.retention_days: expected a whole number >= 0, found 'soon'\n"


def test_the_token_is_a_secret_from_the_environment() -> None:
    token = token_from_env({"DISCORD_TOKEN": "  MTIz.abc  "})
    assert token.get_secret_value() == "MTIz.abc"
    assert "MTIz" not in str(token) + repr(token) + f"{token}"
    for environ in ({}, {"DISCORD_TOKEN": "   "}):
        with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
            token_from_env(environ)


def test_settings_are_frozen_dataclasses_checked_when_built_in_code() -> None:
    config = Config(discord=DiscordSettings(guild_ids=(5,)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.chat = ChatSettings()  # type: ignore[misc]
    changed = dataclasses.replace(config, chat=dataclasses.replace(config.chat, max_question_chars=60))
    assert changed.chat.max_question_chars == 60 and changed.discord.guild_ids == (5,)
    with pytest.raises(ValueError):
        ChatSettings(max_question_chars=-1)
    assert KnowledgeSettings().limits == Limits()
