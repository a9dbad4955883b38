"""Fixtures for the Discord front end: the real bot, the real knowledge base, a simcord guild.

simcord runs discord.py's own HTTP and gateway parsing against an in-memory Discord, so
these tests go through the library's real code paths; nothing of discord is mocked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import simcord

from bot.client import SurveyBot
from bot.config import ChatSettings, Config, DiscordSettings
from bot.service import KnowledgeService


class ManualClock:
    """Seconds that pass only when a test says so: cooldowns without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Guild:
    env: simcord.Env
    bot: SurveyBot
    general: simcord.ChannelHandle  # mentions only
    answers: simcord.ChannelHandle  # an answer channel
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    clock: ManualClock
    sent: list = field(default_factory=list)

    def bot_messages(self, channel: simcord.ChannelHandle) -> list:
        return [m for m in channel.history() if m.author.id == self.bot.user.id]

    def message_posts(self) -> list[simcord.HttpLogEntry]:
        return [r for r in self.env.http_requests if r.method == "POST" and r.path.endswith("/messages")]


@pytest.fixture
def make_guild(loaded_service: KnowledgeService) -> Callable[..., object]:
    """An async context factory: `async with make_guild(...) as g:` a running bot in a guild."""

    class _Ctx:
        def __init__(
            self,
            service: KnowledgeService | None = None,
            user_cooldown: float = 0.0,
            channel_cooldown: float = 0.0,
            **run_options: object,
        ) -> None:
            self.service = service or loaded_service
            # the question length limit is the service's (built from chat.max_question_chars by the CLI)
            self.chat = ChatSettings(user_cooldown_seconds=user_cooldown, channel_cooldown_seconds=channel_cooldown)
            self.run_options = run_options

        async def __aenter__(self) -> Guild:
            clock = ManualClock()
            # answer channel ids are only known once simcord made the channels: the config is
            # completed below, before any message is sent
            config = Config(discord=DiscordSettings(answer_channel_ids=(1,)), chat=self.chat)
            bot = SurveyBot(config, self.service, clock=clock)
            self._run = simcord.run(bot, **self.run_options)
            env = await self._run.__aenter__()
            guild = env.create_guild("Survey fans")
            general = guild.create_text_channel("general")
            answers = guild.create_text_channel("ask-here")
            bot.config = Config(discord=DiscordSettings(answer_channel_ids=(answers.id,)), chat=self.chat)
            alice = guild.add_member(env.create_user("alice"))
            bob = guild.add_member(env.create_user("bob"))
            await bot.tree.sync()
            return Guild(env, bot, general, answers, alice, bob, clock)

        async def __aexit__(self, *exc: object) -> None:
            await self._run.__aexit__(*exc)

    return _Ctx


def mention(g: Guild, text: str) -> str:
    return f"<@{g.bot.user.id}> {text}"


def unloaded_service(tmp_path: Path) -> KnowledgeService:
    """A service whose knowledge base was never loaded: every question raises inside the bot."""
    return KnowledgeService(tmp_path / "nothing-here")


__all__ = ["AsyncIterator", "Guild", "ManualClock", "mention", "unloaded_service"]


SUGGEST_CANDIDATES = (
    "Why is the My Number card so unpopular with the public?",
    "how many hospitals said no benifit for them selves",
    "do patiants think the card is usefull",
    "can it stop dubble prescriptions",
    "What happens if I don't register my My Number card as a health insurance card?",
    "can it stop dubble prescriptons or bad drug mixes?",
    "hokensho?",  # one word is a topic, not a question: "did you mean" by rule
)


@pytest.fixture(scope="session")
def suggest_question(loaded_service: KnowledgeService) -> str:
    """A question the core answers with "did you mean" (chosen from the shipped knowledge as it is now)."""
    for question in SUGGEST_CANDIDATES:
        if loaded_service.answerer.ask(question).kind == "suggest":
            return question
    raise AssertionError("none of the candidate questions gets suggestions any more; add one that does")
