"""`discord.shard_count`: the bot runs as an AutoShardedBot, one gateway connection per shard,
in one process; it answers in a server of each shard, and cooldowns and storage are shared."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.client import ShardedSurveyBot, SurveyBot, make_bot
from bot.config import ChatSettings, Config, ConfigError, DiscordSettings, load_config
from bot.service import KnowledgeService
from bot.storage import Storage
from tests.support.standin_servers import Channel, ServersStandIn, make_server, shard_of

EVERY = (1 << 50) - 1
GUILD_A = 900_000_000_000_004_000
GUILD_B = GUILD_A + (1 << 22)  # the next shard of two
CHANNEL_A, CHANNEL_B = 900_000_000_000_004_010, 900_000_000_000_004_110
DIGITS_Q = "How many digits does the My Number have?"


def two_servers() -> list:
    assert {shard_of(GUILD_A, 2), shard_of(GUILD_B, 2)} == {0, 1}
    return [
        make_server(GUILD_A, "Shard zero", [Channel(CHANNEL_A, "ask-a")], everyone=EVERY, bot_role=EVERY),
        make_server(GUILD_B, "Shard one", [Channel(CHANNEL_B, "ask-b")], everyone=EVERY, bot_role=EVERY),
    ]


async def no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py pauses 5 s before each further shard identifies (Discord's limit); the stand-in has none."""


@pytest.mark.parametrize(("text", "expected"), [("auto", "auto"), ("2", 2), ("null", None)])
def test_shard_count_setting(tmp_path: Path, text: str, expected: object) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"discord:\n  shard_count: {text}\n", encoding="utf-8")
    assert load_config(path).discord.shard_count == expected


@pytest.mark.parametrize("text", ["0", "-1", "many", "true", "[2]"])
def test_a_bad_shard_count_is_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"discord:\n  shard_count: {text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="shard_count") as raised:
        load_config(path)
    assert "\n" not in str(raised.value)


def test_no_sharding_by_default(loaded_service: KnowledgeService) -> None:
    assert type(make_bot(Config(), loaded_service)) is SurveyBot


@pytest.mark.parametrize("shard_count", [2, "auto"])
async def test_two_shards_answer_in_a_server_of_each(loaded_service: KnowledgeService, tmp_path: Path, shard_count: int | str) -> None:
    stand_in = ServersStandIn(servers=two_servers(), recommended_shards=2)
    await stand_in.start()
    storage = Storage(tmp_path / "bot.sqlite3")
    chat = ChatSettings(user_cooldown_seconds=60, channel_cooldown_seconds=0)
    bot = make_bot(Config(discord=DiscordSettings(shard_count=shard_count), chat=chat), loaded_service, storage=storage)
    assert isinstance(bot, ShardedSurveyBot)
    try:
        with stand_in.patch_discord():
            bot._connection.guild_ready_timeout = 0.05
            bot.before_identify_hook = no_identify_wait  # type: ignore[method-assign]
            task = asyncio.create_task(bot.start(stand_in.token))
            try:
                await stand_in.wait_ready()
                await asyncio.wait_for(bot.wait_until_ready(), 10)
                assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
                assert {n: stand_in.shard_identifies[n]["shard"] for n in (0, 1)} == {0: [0, 2], 1: [1, 2]}
                assert bot.get_guild(GUILD_A).shard_id != bot.get_guild(GUILD_B).shard_id

                first, second = stand_in.user(1001, "ann"), stand_in.user(1002, "ben")
                for server_id, channel_id, user in ((GUILD_A, CHANNEL_A, first), (GUILD_B, CHANNEL_B, second)):
                    sent = await stand_in.send_message_in(server_id, channel_id, user, f"<@{stand_in.bot_id}> {DIGITS_Q}", mention_bot=True)
                    reply = await stand_in.wait_for_call(lambda c, sent=sent: c.replies_to == sent["id"])
                    assert reply.path == f"/channels/{channel_id}/messages" and "12" in reply.embeds[0]["title"]

                # one set of cooldowns for all shards: ann, just answered on shard 0, waits on shard 1 too
                sent = await stand_in.send_message_in(GUILD_B, CHANNEL_B, first, f"<@{stand_in.bot_id}> {DIGITS_Q}", mention_bot=True)
                reaction = await stand_in.wait_for_call(lambda c: c.method == "PUT" and f"/messages/{sent['id']}/reactions/" in c.path)
                assert reaction.path.startswith(f"/channels/{CHANNEL_B}/")
            finally:
                await bot.close()
                await asyncio.wait_for(task, 5)
    finally:
        await stand_in.stop()
    # one database for all shards: both answers counted
    assert Storage(tmp_path / "bot.sqlite3").stats().answered == 2
    if shard_count == "auto":  # the count Discord advises
        assert stand_in.calls_to("GET", "/gateway/bot")
