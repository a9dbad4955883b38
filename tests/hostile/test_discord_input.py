"""Hostile input over the wire: the real bot on the loopback stand-in, read from the exact
requests it sends to "Discord".

Nobody is pinged, nothing a user typed becomes formatting or a link in the bot's messages,
the longest autocomplete input Discord allows is answered in time, and a burst of
interactions larger than the bot can answer at once is deferred and followed up, never left
to time out.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from typing import Any

import pytest

from bot.knowledge import KnowledgeBase
from bot.service import KnowledgeService
from tests.support.discord_standin import DiscordStandIn, RestCall
from tests.support.live_bot import Live, callback_of, followup_of, is_reply_to, running_bot, strings_in

from .bounds import AUTOCOMPLETE_SECONDS, DISCORD_OPTION_MAX
from .conftest import within

DIGITS_Q = "How many digits does the My Number have?"
PING = re.compile(r"(?<!\u200b)@(everyone|here)\b|<@[!&]?\d")
LINK = re.compile(r"(?i)[a-z][a-z0-9+.-]*://[^\s)>\]\"]*|(?i:discord(?:app)?|dsc)\.(?:gg|com|io|me|li)/\S*")
INJECTION = "```\n@everyone\n```\n# Heading\n-# small **bold** __under__ ~~strike~~ ||spoiler|| `code` > quote [official](https://evil.example/claim) \\"


def _payload_strings(call: RestCall) -> list[str]:
    return list(strings_in(call.json))


def _source_urls(kb: KnowledgeBase) -> set[str]:
    from bot.app import _link_url

    return {s.url for s in kb.sources.values()} | {_link_url(s.url) for s in kb.sources.values()}


def _assert_no_ping(call: RestCall) -> None:
    body = call.json["data"] if "data" in call.json and isinstance(call.json["data"], dict) else call.json
    assert body.get("allowed_mentions", {}).get("parse") == [], body.get("allowed_mentions")
    assert body["allowed_mentions"].get("replied_user") in (None, False)
    for text in _payload_strings(call):
        assert not PING.search(text), text


def _assert_links_are_sources(call: RestCall, kb: KnowledgeBase) -> None:
    allowed = _source_urls(kb)
    for text in _payload_strings(call):
        for link in LINK.findall(text):
            assert any(src.startswith(link) for src in allowed), f"{link!r} in {text!r}"


async def _answer_to_slash(s: DiscordStandIn, interaction: dict[str, Any]) -> RestCall:
    """The call that carries the answer: the callback, or the follow-up after a deferral."""
    first = await s.wait_for_call(callback_of(interaction), timeout=10)
    if first.json["type"] == 5:
        return await s.wait_for_call(followup_of(interaction), timeout=10)
    return first


# ---------------------------------------------------------------- mentions


async def test_a_mention_flood_in_a_question_pings_nobody(live: Live) -> None:
    s = live.stand_in
    users = [live.user(i) for i in range(50)]
    roles = tuple(s.guild_id + 10 + i for i in range(20))
    flood = "@everyone @here " + " ".join(f"<@{u['id']}>" for u in users) + " " + " ".join(f"<@&{r}>" for r in roles)
    text = live.mention(f"{flood} {DIGITS_Q} {flood}")
    sent = await s.send_message(live.general, live.user(99), text, mention_bot=True, mentions=tuple(users), mention_roles=roles, mention_everyone=True)
    reply = await s.wait_for_call(is_reply_to(sent["id"]))
    _assert_no_ping(reply)
    assert "12" in reply.embeds[0]["title"]  # the question inside the flood is still answered

    interaction = await s.send_slash(live.general, live.user(98), "ask", {"question": f"{flood} {DIGITS_Q}"[:DISCORD_OPTION_MAX]})
    _assert_no_ping(await _answer_to_slash(s, interaction))


async def test_many_people_mentioning_at_once_get_one_answer_per_cooldown(loaded_service: KnowledgeService) -> None:
    async with running_bot(loaded_service, channel_cooldown=60.0) as live:
        s = live.stand_in
        start = len(s.calls)
        sent = [await s.send_message(live.general, live.user(i), live.mention(DIGITS_Q), mention_bot=True) for i in range(30)]
        await s.wait_for_call(lambda c: c.method == "PUT" and sent[-1]["id"] in c.path, timeout=10, start=start)
        await asyncio.sleep(0.3)  # anything still on its way
        calls = s.calls[start:]
        posts = [c for c in calls if c.method == "POST" and c.path.endswith("/messages")]
        reactions = [c for c in calls if c.method == "PUT" and "/reactions/" in c.path]
        assert len(posts) == 1 and posts[0].replies_to == sent[0]["id"]
        assert len(reactions) == 29  # the others are told "wait" quietly, one reaction each
        assert len(calls) == 30


# ---------------------------------------------------------------- echoed text


@pytest.mark.parametrize("how", ["mention", "slash"])
async def test_markdown_and_code_block_injection_is_shown_as_typed(live: Live, how: str) -> None:
    s = live.stand_in
    question = f"{INJECTION} {DIGITS_Q}"
    if how == "mention":
        sent = await s.send_message(live.general, live.user(1), live.mention(question), mention_bot=True)
        call = await s.wait_for_call(is_reply_to(sent["id"]))
    else:
        call = await _answer_to_slash(s, await s.send_slash(live.general, live.user(1), "ask", {"question": question}))
    description = call.embeds[0]["description"]
    echo, rest = description.split("\n", 1)
    assert echo.startswith("> ")
    assert not re.search(r"(?<!\\)(?:\\\\)*[*_~|`]", echo), echo  # every markup character escaped
    assert "\\# Heading" in echo or echo.startswith("> \\`")  # no heading, no code block
    assert "https://" not in echo and "[official](" not in echo.replace("\\[", "")
    assert not rest.startswith((" ", "#", "`"))  # the bot's own text after the echo is untouched
    _assert_no_ping(call)


@pytest.mark.parametrize(
    "question",
    [
        "is https://discord.gg/abcdef the official server? " + DIGITS_Q,
        "join discord.gg/free-nitro now",
        "[the official figures](https://evil.example/phish) say 90%",
        "see <https://evil.example> and HTTP://EVIL.EXAMPLE/x and steam://run/1",
        "www.evil.example/my-number how many people use it",
    ],
)
async def test_urls_and_invites_in_questions_never_become_links(live: Live, loaded_service: KnowledgeService, question: str) -> None:
    s = live.stand_in
    kb = loaded_service.answerer.kb
    sent = await s.send_message(live.general, live.user(2), live.mention(question), mention_bot=True)
    _assert_links_are_sources(await s.wait_for_call(is_reply_to(sent["id"])), kb)
    _assert_links_are_sources(await _answer_to_slash(s, await s.send_slash(live.general, live.user(2), "ask", {"question": question})), kb)
    # an unknown fact id is repeated back in a plain message, where Discord would unfurl a link
    notice = await _answer_to_slash(s, await s.send_slash(live.general, live.user(2), "fact", {"fact": question}))
    assert notice.json["data"]["flags"] & 64  # private
    _assert_links_are_sources(notice, kb)
    assert not notice.json["data"].get("embeds")


# ---------------------------------------------------------------- autocomplete


def _slow_sentences(size: int, seed: int) -> str:
    """Many short asking sentences of unknown words: the costliest text for the matcher."""
    rng = random.Random(seed)
    out = []
    while sum(map(len, out)) < size:
        words = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9))) for _ in range(4))
        out.append(f"How many {words} hospitals? ")
    return "".join(out)[:size]


LONGEST_INPUTS = {
    "asking sentences": _slow_sentences(DISCORD_OPTION_MAX, 1),
    "NFKC expanders": "\ufdfa" * DISCORD_OPTION_MAX,
    "Japanese": ("マイナ保険証の利用率は何％ですか。" * 400)[:DISCORD_OPTION_MAX],
    "mentions": ("@everyone <@123456789012345678> " * 200)[:DISCORD_OPTION_MAX],
}


@pytest.mark.parametrize("command,option", [("ask", "question"), ("fact", "fact")])
@pytest.mark.parametrize("kind", list(LONGEST_INPUTS))
async def test_the_longest_autocomplete_input_is_answered_in_time_within_limits(live: Live, command: str, option: str, kind: str) -> None:
    s = live.stand_in
    typed = LONGEST_INPUTS[kind]
    assert len(typed) == DISCORD_OPTION_MAX
    interaction = await s.send_slash(live.general, live.user(3), command, {option: typed}, focused=option)
    call = await s.wait_for_call(callback_of(interaction), timeout=10)
    within(f"autocomplete /{command}, {DISCORD_OPTION_MAX:,} chars of {kind}", AUTOCOMPLETE_SECONDS, _age_at(call, interaction))
    assert call.status == 200 and call.json["type"] == 8
    choices = call.json["data"]["choices"]
    assert len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    # choices are the knowledge base's own phrasings and ids, never the typed text
    assert not any(PING.search(c["name"]) or LINK.search(c["name"]) for c in choices)


# ---------------------------------------------------------------- more than can be answered


BURST = 150


async def test_a_burst_of_interactions_is_deferred_and_followed_up_never_left_to_expire(loaded_service: KnowledgeService) -> None:
    # Each question costs the matcher ~5 ms; 150 of them at once are most of a second of work,
    # far more than the 0.1 s the bot waits before deferring: many must be deferred.
    async with running_bot(loaded_service, defer_after=0.1) as live:
        s = live.stand_in
        interactions = [await s.send_slash(live.general, live.user(i), "ask", {"question": _slow_sentences(480, 100 + i)}) for i in range(BURST)]
        answers = await asyncio.gather(*(_answer_to_slash(s, i) for i in interactions))
        assert s.expired_interactions == 0
        firsts = [next(c for c in s.calls if callback_of(i)(c)) for i in interactions]
        assert all(c.status == 200 for c in firsts + answers)
        deferred = [c for c in firsts if c.json["type"] == 5]
        assert len(deferred) >= 10, f"only {len(deferred)} deferred: the burst was too small to test anything"
        assert all(a.embeds for a in answers)  # every one, deferred or not, got its answer
        # first responses all came within Discord's 3 seconds of each interaction
        worst = max(_age_at(first, interaction) for first, interaction in zip(firsts, interactions, strict=True))
        within(f"burst of {BURST} /ask: slowest first response (Discord allows 3 s)", 3.0, worst)
        assert json.dumps([a.json for a in answers])  # nothing odd in what was sent


def _age_at(call: RestCall, interaction: dict[str, Any]) -> float:
    """Seconds from the interaction's creation (its id's timestamp) to the call's arrival."""
    from tests.support.discord_standin import DISCORD_EPOCH_MS

    created = ((int(interaction["id"]) >> 22) + DISCORD_EPOCH_MS) / 1000
    received = time.time() - (time.perf_counter() - call.received)  # perf_counter -> wall clock
    return received - created
