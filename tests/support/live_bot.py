"""The real bot logged in to the loopback Discord stand-in, and what tests ask of its REST calls.

One harness for every test that goes over real sockets (tests/discord, tests/hostile): start a
`DiscordStandIn` on 127.0.0.1, point discord.py at it, start `SurveyBot`, wait for READY, and
stop both (closing the bot's storage) on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.client import EXTENSIONS, SurveyBot
from bot.config import ChatSettings, Config, DiscordSettings
from bot.service import KnowledgeService
from bot.storage import Storage
from tests.support.discord_standin import DiscordStandIn, RestCall

ALICE_ID = 4242


@dataclass
class Live:
    stand_in: DiscordStandIn
    bot: SurveyBot
    general: int  # the stand-in's first channel: mentions only
    second: int  # its second channel: an answer channel unless the test's config says otherwise

    @property
    def answers(self) -> int:
        return self.second

    @property
    def alice(self) -> dict[str, Any]:
        return self.stand_in.user(ALICE_ID, "alice")

    def mention(self, text: str) -> str:
        return f"<@{self.stand_in.bot_id}> {text}"

    def user(self, n: int, name: str | None = None) -> dict[str, Any]:
        return self.stand_in.user(700_000_000_000_000_000 + n, name or f"member{n}")


def answer_channel_config(user_cooldown: float = 0.0, channel_cooldown: float = 0.0, max_question_chars: int = 500) -> Callable[[int, int], Config]:
    """The default set-up: the second channel answers questions without a mention."""

    def make(general: int, second: int) -> Config:
        chat = ChatSettings(user_cooldown_seconds=user_cooldown, channel_cooldown_seconds=channel_cooldown, max_question_chars=max_question_chars)
        return Config(discord=DiscordSettings(answer_channel_ids=(second,)), chat=chat)

    return make


@contextlib.asynccontextmanager
async def running_bot(
    service: KnowledgeService,
    *,
    config: Callable[[int, int], Config] | None = None,
    defer_after: float = 2.0,
    storage: Storage | None = None,
    user_cooldown: float = 0.0,
    channel_cooldown: float = 0.0,
    extensions: Sequence[str] = EXTENSIONS,
    watch_knowledge: bool = False,
    stand_in: DiscordStandIn | None = None,
) -> AsyncIterator[Live]:
    """The real bot logged in to a stand-in on 127.0.0.1; both stopped (and storage closed) after.

    `config` builds the bot's Config from the stand-in's two channel ids; by default the second
    is an answer channel, with the given cooldowns and the service's question length limit.
    """
    stand_in = stand_in or DiscordStandIn()
    make_config = config or answer_channel_config(user_cooldown, channel_cooldown, service.max_chars)
    await stand_in.start()
    try:
        with stand_in.patch_discord():
            general, second = stand_in.channel_ids
            bot = SurveyBot(
                make_config(general, second), service, defer_after=defer_after, storage=storage, extensions=extensions, watch_knowledge=watch_knowledge
            )
            bot._connection.guild_ready_timeout = 0.05  # the stand-in sends GUILD_CREATE at once
            task = asyncio.create_task(bot.start(stand_in.token))
            try:
                await stand_in.wait_ready()
                await asyncio.wait_for(bot.wait_until_ready(), 5)
                yield Live(stand_in, bot, general, second)
            finally:
                if not bot.is_closed():
                    await bot.close()
                await asyncio.wait_for(task, 15)
    finally:
        await stand_in.stop()


# ---------------------------------------------------------------- the stand-in's REST log


def is_reply_to(message_id: str) -> Callable[[RestCall], bool]:
    return lambda c: c.method == "POST" and c.path.endswith("/messages") and c.replies_to == message_id


def callback_of(interaction: dict[str, Any]) -> Callable[[RestCall], bool]:
    return lambda c: c.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"


def followup_of(interaction: dict[str, Any]) -> Callable[[RestCall], bool]:
    return lambda c: c.method == "POST" and c.path.startswith(f"/webhooks/{interaction['application_id']}/{interaction['token']}")


def strings_in(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON payload (content, embed parts, button labels...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
