"""Shared pieces of the hostile-input and fault suite: the fixed hypothesis profile, a meter
for time and peak memory, the worst cases seen (printed after the run), and a real bot
connected to the loopback Discord stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

from bot.client import EXTENSIONS, SurveyBot
from bot.config import ChatSettings, Config, DiscordSettings
from bot.knowledge import default_knowledge_path
from bot.service import KnowledgeService
from bot.storage import Storage
from tests.support.discord_standin import DiscordStandIn, RestCall

T = TypeVar("T")

# Fixed, so every run tries the same inputs (a failure always reproduces) and the suite's time
# stays flat; no example database, so runs do not depend on each other.
settings.register_profile(
    "hostile",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,  # time is bounded by our own, stated bounds (tests/hostile/bounds.py)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
HOSTILE = settings.get_profile("hostile")

# name -> (worst seconds, the bound it is held to), printed at the end of the run
WORST: dict[str, tuple[float, float]] = {}
PEAKS: dict[str, tuple[int, int]] = {}  # name -> (peak bytes, bound)


def timed(name: str, bound: float, fn: Callable[[], T]) -> T:
    """Run fn, remember the worst time under `name`, and fail if it took longer than `bound`."""
    start = time.perf_counter()
    result = fn()
    within(name, bound, time.perf_counter() - start)
    return result


def within(name: str, bound: float, seconds: float) -> None:
    """Remember a measured duration as the worst under `name` if it is, and hold it to `bound`."""
    worst, _ = WORST.get(name, (0.0, bound))
    WORST[name] = (max(worst, seconds), bound)
    assert seconds <= bound, f"{name}: {seconds:.3f} s, over the bound of {bound} s"


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Peak bytes allocated by Python inside the block (tracemalloc), put in the yielded list."""
    out: list[int] = []
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield out
    finally:
        out.append(max(0, tracemalloc.get_traced_memory()[1] - base))
        if not was_tracing:
            tracemalloc.stop()


def record_peak(name: str, peak: int, bound: int) -> None:
    PEAKS[name] = (max(peak, PEAKS.get(name, (0, bound))[0]), bound)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if not WORST and not PEAKS:
        return
    terminalreporter.write_sep("-", "hostile input: worst cases seen (bound)")
    for name, (worst, bound) in sorted(WORST.items()):
        terminalreporter.write_line(f"{name:<58} {worst * 1000:9.1f} ms   (bound {bound * 1000:,.0f} ms)")
    for name, (peak, bound) in sorted(PEAKS.items()):
        terminalreporter.write_line(f"{name:<58} {peak / 1e6:9.2f} MB   (bound {bound / 1e6:,.0f} MB)")


# ---------------------------------------------------------------- the live bot


@pytest.fixture(scope="session")
def hostile_service() -> KnowledgeService:
    service = KnowledgeService(default_knowledge_path(), max_chars=500)
    result = service.reload()
    assert result.ok, result.problems
    return service


@dataclass
class Live:
    stand_in: DiscordStandIn
    bot: SurveyBot
    general: int  # mentions only
    answers: int  # an answer channel

    def mention(self, text: str) -> str:
        return f"<@{self.stand_in.bot_id}> {text}"

    def user(self, n: int, name: str | None = None) -> dict[str, Any]:
        return self.stand_in.user(700_000_000_000_000_000 + n, name or f"member{n}")


@contextlib.asynccontextmanager
async def running_bot(
    service: KnowledgeService,
    *,
    defer_after: float = 2.0,
    storage: Storage | None = None,
    user_cooldown: float = 0.0,
    channel_cooldown: float = 0.0,
    extensions: Sequence[str] = EXTENSIONS,
    stand_in: DiscordStandIn | None = None,
) -> AsyncIterator[Live]:
    """The real bot logged in to a stand-in on 127.0.0.1; both stopped (and storage closed) after."""
    stand_in = stand_in or DiscordStandIn()
    await stand_in.start()
    try:
        with stand_in.patch_discord():
            general, answers = stand_in.channel_ids
            chat = ChatSettings(user_cooldown_seconds=user_cooldown, channel_cooldown_seconds=channel_cooldown, max_question_chars=service.max_chars)
            config = Config(discord=DiscordSettings(answer_channel_ids=(answers,)), chat=chat)
            bot = SurveyBot(config, service, defer_after=defer_after, storage=storage, extensions=extensions)
            bot._connection.guild_ready_timeout = 0.05  # the stand-in sends GUILD_CREATE at once
            task = asyncio.create_task(bot.start(stand_in.token))
            try:
                await stand_in.wait_ready()
                await asyncio.wait_for(bot.wait_until_ready(), 5)
                yield Live(stand_in, bot, general, answers)
            finally:
                if not bot.is_closed():
                    await bot.close()
                await asyncio.wait_for(task, 15)
    finally:
        await stand_in.stop()


@pytest.fixture
async def live(hostile_service: KnowledgeService) -> AsyncIterator[Live]:
    async with running_bot(hostile_service) as running:
        yield running


def is_reply_to(message_id: str) -> Callable[[RestCall], bool]:
    return lambda c: c.method == "POST" and c.path.endswith("/messages") and c.replies_to == message_id


def callback_of(interaction: dict[str, Any]) -> Callable[[RestCall], bool]:
    return lambda c: c.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"


def followup_of(stand_in: DiscordStandIn, interaction: dict[str, Any]) -> Callable[[RestCall], bool]:
    return lambda c: c.method == "POST" and c.path.startswith(f"/webhooks/{stand_in.application_id}/{interaction['token']}")


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
