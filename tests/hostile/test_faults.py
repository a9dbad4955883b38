"""Faults through the loopback stand-in: the gateway drops, REST answers 429 and 500, the
database is locked or read-only. The bot keeps answering, respects rate limits without a
storm of retries, retries server errors a bounded number of times and then logs, and keeps
every write it accepted until the database takes it.

(Disk full and SIGTERM need a process of their own: tests/hostile/test_shutdown.py.)
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.app import apology_text
from bot.service import KnowledgeService
from bot.storage import Storage
from tests.support import files
from tests.support.discord_standin import RestCall
from tests.support.live_bot import Live, is_reply_to, running_bot

DIGITS_Q = "How many digits does the My Number have?"
USAGE_Q = "What is the usage rate of the My Number health insurance card?"


def _posts_to(live: Live, channel: int, start: int = 0) -> list[RestCall]:
    return [c for c in live.stand_in.calls[start:] if c.method == "POST" and c.path == f"/channels/{channel}/messages"]


async def _ask(live: Live, channel: int, question: str = DIGITS_Q, user: int = 1) -> dict:
    return await live.stand_in.send_message(channel, live.user(user), live.mention(question), mention_bot=True)


async def _answered(live: Live, sent: dict, timeout: float = 10.0) -> RestCall:
    call = await live.stand_in.wait_for_call(lambda c: is_reply_to(sent["id"])(c) and c.status == 200, timeout=timeout)
    assert call.embeds, call.json
    return call


# ---------------------------------------------------------------- the gateway


async def test_the_gateway_closing_again_and_again_loses_no_question(live: Live) -> None:
    s = live.stand_in
    pending = []
    for round_no, code in enumerate((4000, 1001, 4008, 4009, 1011, 4000)):
        pending.append(await _ask(live, live.general, user=round_no))
        await s.drop_gateway(code=code)
        pending.append(await _ask(live, live.general, user=100 + round_no))  # sent while it is away: replayed on resume
        await s.wait_ready(timeout=15)
    for sent in pending:
        await _answered(live, sent, timeout=15)
    replies = [c.replies_to for c in _posts_to(live, live.general)]
    assert sorted(replies) == sorted(p["id"] for p in pending)  # each answered exactly once
    assert s.resumes == 6 and s.connections == 7


async def test_a_lost_session_means_a_fresh_login_and_answers_go_on(live: Live) -> None:
    s = live.stand_in
    s._session_id = "forgotten"  # as after a long outage: RESUME is refused, the bot must IDENTIFY again
    await s.drop_gateway()
    await s.wait_ready(timeout=20)
    assert s.resumes == 0 and s.connections >= 3  # refused resume, then a new session
    await _answered(live, await _ask(live, live.general))


# ---------------------------------------------------------------- REST 429


async def test_a_429_is_waited_out_and_retried_once(live: Live) -> None:
    s = live.stand_in
    start = len(s.calls)
    s.inject_rate_limit("POST", f"/channels/{live.general}/messages", retry_after=0.5, times=1)
    sent = await _ask(live, live.general)
    answer = await _answered(live, sent)
    limited, retried = _posts_to(live, live.general, start)
    assert (limited.status, retried.status) == (429, 200) and retried is answer
    assert retried.received - limited.received >= 0.5


async def test_a_rate_limited_route_gets_no_storm_of_retries(live: Live) -> None:
    s = live.stand_in
    retry_after, window = 0.3, 1.0
    start = len(s.calls)
    fault = s.inject_rate_limit("POST", f"/channels/{live.general}/messages", retry_after=retry_after, times=None)
    sent = [await _ask(live, live.general, user=i) for i in range(10)]
    await asyncio.sleep(window)
    s.faults.remove(fault)
    for message in sent:
        await _answered(live, message, timeout=15)
    limited = [c for c in _posts_to(live, live.general, start) if c.status == 429]
    # one request at a time per route, each after the wait Discord asked for: ten waiting
    # answers cost at most one request per retry_after, not ten
    assert 1 <= len(limited) <= math.ceil(window / retry_after) + 1, [round(c.received - limited[0].received, 2) for c in limited]
    gaps = [b.received - a.received for a, b in zip(limited, limited[1:], strict=False)]
    assert all(gap >= retry_after * 0.95 for gap in gaps), gaps
    assert len([c for c in _posts_to(live, live.general, start) if c.status == 200]) == 10


async def test_a_global_rate_limit_holds_every_route(live: Live) -> None:
    s = live.stand_in
    start = len(s.calls)
    s.inject_rate_limit("POST", f"/channels/{live.general}/messages", retry_after=0.6, is_global=True, times=1)
    first = await _ask(live, live.general)
    limited = await s.wait_for_call(lambda c: c.status == 429, start=start)
    other = await _ask(live, live.answers, USAGE_Q)  # another route, asked while the limit holds
    await _answered(live, first)
    await _answered(live, other)
    during = [c for c in s.calls[start:] if limited.received < c.received < limited.received + 0.55]
    assert during == [], [(c.method, c.path) for c in during]


async def test_a_429_that_never_ends_costs_a_bounded_number_of_requests_then_a_log(live: Live, caplog) -> None:
    s = live.stand_in
    caplog.set_level(logging.WARNING)
    start = len(s.calls)
    fault = s.inject_rate_limit("POST", f"/channels/{live.general}/messages", retry_after=0.1, times=None)
    sent = await _ask(live, live.general)
    await asyncio.sleep(2.0)
    s.faults.remove(fault)
    tries = _posts_to(live, live.general, start)
    # discord.py tries the reply 5 times, the apology 5 times, and then gives up: never a loop
    assert len(tries) == 10 and all(c.status == 429 for c in tries)
    assert any(r.name == "bot.exts.chat" and r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
    assert any("could not send the apology" in r.getMessage() for r in caplog.records)
    await asyncio.sleep(0.3)
    assert len(_posts_to(live, live.general, start)) == 10  # and nothing more afterwards
    await _answered(live, await _ask(live, live.general))  # the bot carries on
    assert sent["id"] not in [c.replies_to for c in _posts_to(live, live.general, start) if c.status == 200]


async def test_a_429_on_an_interaction_is_retried_within_its_3_seconds(live: Live) -> None:
    s = live.stand_in
    s.inject_rate_limit("POST", "/interactions/*/callback", retry_after=0.5, times=1)
    interaction = await s.send_slash(live.general, live.user(1), "ask", {"question": DIGITS_Q})
    mine = f"/interactions/{interaction['id']}/"
    await s.wait_for_call(lambda c: c.path.startswith(mine) and c.status == 200, timeout=5)
    calls = [c for c in s.calls if c.path.startswith(mine)]
    assert [c.status for c in calls] == [429, 200] and "12" in calls[-1].embeds[0]["title"]
    assert s.expired_interactions == 0


# ---------------------------------------------------------------- REST 500


async def test_a_500_once_is_retried_after_a_second(live: Live) -> None:
    s = live.stand_in
    start = len(s.calls)
    s.inject_fault("POST", f"/channels/{live.general}/messages", status=500, times=1)
    await _answered(live, await _ask(live, live.general))
    failed, retried = _posts_to(live, live.general, start)
    assert (failed.status, retried.status) == (500, 200)
    assert retried.received - failed.received >= 1.0


async def test_500s_are_retried_five_times_then_logged_while_other_channels_are_answered(live: Live, caplog) -> None:
    """The one slow test (about 25 s): discord.py waits 1, 3, 5, 7 and 9 s between its tries."""
    s = live.stand_in
    caplog.set_level(logging.WARNING)
    start = len(s.calls)
    s.inject_fault("POST", f"/channels/{live.general}/messages", status=500, times=5)
    failing = await _ask(live, live.general)
    # meanwhile the bot answers elsewhere, promptly, and /ask too
    for i in range(5):
        await asyncio.sleep(2.0)
        await _answered(live, await _ask(live, live.answers, USAGE_Q, user=10 + i), timeout=2.0)
    apology = await s.wait_for_call(lambda c: is_reply_to(failing["id"])(c) and c.status == 200, timeout=30)
    tries = _posts_to(live, live.general, start)
    assert [c.status for c in tries] == [500] * 5 + [200]
    gaps = [round(b.received - a.received, 1) for a, b in zip(tries, tries[1:], strict=False)]
    assert all(gap >= want for gap, want in zip(gaps, (1, 3, 5, 7, 9), strict=True)), gaps
    assert apology.json["content"] == apology_text("en")  # the asker is told, not left waiting
    errors = [r for r in caplog.records if r.name == "bot.exts.chat" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info and "500" in str(errors[0].exc_info[1])


# ---------------------------------------------------------------- the database


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    store = Storage(tmp_path / "data" / "bot.sqlite3", retry_seconds=0.1, busy_timeout=0.1)
    yield store
    store.close(timeout=2.0)


def _outcomes(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM outcome_counts").fetchone()[0])
    finally:
        conn.close()


async def _ask_many(live: Live, n: int, first_user: int = 0) -> None:
    sent = [
        await _ask(live, live.general if i % 2 else live.answers, DIGITS_Q if i % 3 else "what is the weather on mars", user=first_user + i) for i in range(n)
    ]
    for message in sent:
        await live.stand_in.wait_for_call(is_reply_to(message["id"]), timeout=10)


async def test_a_locked_database_does_not_stop_answers_and_loses_no_record(loaded_service: KnowledgeService, storage: Storage) -> None:
    async with running_bot(loaded_service, storage=storage) as live:
        await _ask_many(live, 4)
        assert await storage.flush_async(5)
        blocker = sqlite3.connect(storage.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            await _ask_many(live, 12, first_user=100)  # answered while nothing can be written
            await _problem_reported(storage)
            assert storage.status.pending >= 12 and "locked" in (storage.status.problem or "")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert await storage.flush_async(5)
        assert storage.status.problem is None
    assert _outcomes(storage.path) == 16


async def _problem_reported(storage: Storage, timeout: float = 3.0) -> None:
    """Until the writer has tried, waited out the busy timeout and reported the fault."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while storage.status.problem is None and loop.time() < deadline:
        await asyncio.sleep(0.05)


async def test_a_read_only_database_does_not_stop_answers_and_loses_no_record(loaded_service: KnowledgeService, tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    with Storage(path) as earlier:  # a database from an earlier run
        earlier.record_audit("operator", "first start")
    storage = Storage(path, retry_seconds=0.1, busy_timeout=0.1)
    with ExitStack() as read_only:
        read_only.enter_context(files.read_only(path, folder_too=True))  # the bot starts on a database it cannot write to
        async with running_bot(loaded_service, storage=storage) as live:
            await _ask_many(live, 10)  # answered though nothing can be written
            await _problem_reported(storage)
            assert storage.status.pending >= 10 and "read-only" in (storage.status.problem or "")
            read_only.close()  # writable again, while the bot runs
            assert await storage.flush_async(5)
            assert storage.status.problem is None
            await _ask_many(live, 2, first_user=50)
    assert _outcomes(path) == 12
