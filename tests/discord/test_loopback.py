"""End to end over real sockets: the real client logs in over HTTP, connects its websocket to
the stand-in on 127.0.0.1, receives READY and GUILD_CREATE, then events; we read its REST calls."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.app import apology_text
from bot.service import KnowledgeService
from tests.support.discord_standin import DiscordStandIn, RestCall
from tests.support.live_bot import Live, is_reply_to, running_bot

DIGITS_Q = "How many digits does the My Number have?"
USAGE_Q = "What is the usage rate of the My Number health insurance card?"


@pytest.fixture
async def live(loaded_service: KnowledgeService) -> AsyncIterator[Live]:
    async with running_bot(loaded_service) as running:
        yield running


async def no_call_for(stand_in: DiscordStandIn, predicate, seconds: float = 0.3) -> None:
    start = len(stand_in.calls)
    with pytest.raises(TimeoutError):
        await stand_in.wait_for_call(predicate, timeout=seconds, start=start)


async def test_login_connect_ready_and_a_mention_gets_a_sourced_reply(live: Live, loaded_service: KnowledgeService) -> None:
    s = live.stand_in
    assert [c.path for c in s.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    assert s.identify is not None and s.identify["token"] == s.token
    assert live.bot.get_guild(s.guild_id) is not None
    sent = await s.send_message(live.general, live.alice, live.mention(USAGE_Q), mention_bot=True)
    call = await s.wait_for_call(is_reply_to(sent["id"]))
    assert call.path == f"/channels/{live.general}/messages"
    assert call.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    embed = call.embeds[0]
    expected = loaded_service.answerer.ask(USAGE_Q)
    assert embed["title"] == expected.headline
    fact = loaded_service.answerer.kb.fact(expected.fact_id)
    assert loaded_service.answerer.kb.sources[fact.source].url in embed["fields"][-1]["value"]


async def test_answer_channel_answers_questions_and_ignores_chatter(live: Live) -> None:
    s = live.stand_in
    question = await s.send_message(live.answers, live.alice, DIGITS_Q)
    call = await s.wait_for_call(is_reply_to(question["id"]))
    assert "12" in call.embeds[0]["title"]
    chatter = await s.send_message(live.answers, live.alice, "good morning everyone")
    await no_call_for(s, is_reply_to(chatter["id"]))


async def test_mentioning_the_bots_own_role_counts_as_a_mention(live: Live) -> None:
    # people often pick the bot's role from the @ menu instead of the bot
    s = live.stand_in
    assert live.bot.get_guild(s.guild_id).self_role.id == s.bot_role_id
    sent = await s.send_message(live.general, live.alice, f"<@&{s.bot_role_id}> {DIGITS_Q}", mention_roles=(s.bot_role_id,))
    call = await s.wait_for_call(is_reply_to(sent["id"]))
    assert "12" in call.embeds[0]["title"]
    assert call.embeds[0]["description"].startswith(f"> {DIGITS_Q}")  # the role markup is not part of the question


async def test_bot_authors_get_nothing(live: Live) -> None:
    s = live.stand_in
    other = s.user(777, "otherbot", bot=True)
    sent = await s.send_message(live.general, other, live.mention(DIGITS_Q), mention_bot=True)
    await no_call_for(s, is_reply_to(sent["id"]))


async def test_slash_ask_is_answered_with_an_embed(live: Live) -> None:
    s = live.stand_in
    interaction = await s.send_slash(live.general, live.alice, "ask", {"question": DIGITS_Q})
    call = await s.wait_for_call(lambda c: c.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback")
    assert call.json["type"] == 4  # a message, sent at once
    assert "12" in call.embeds[0]["title"]
    assert call.json["data"]["allowed_mentions"] == {"parse": []}


async def test_autocomplete_over_the_wire(live: Live) -> None:
    s = live.stand_in
    interaction = await s.send_slash(live.general, live.alice, "ask", {"question": "usage rate"}, focused="question")
    call = await s.wait_for_call(lambda c: c.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback")
    assert call.json["type"] == 8
    choices = call.json["data"]["choices"]
    assert 1 <= len(choices) <= 25 and all(len(c["name"]) <= 100 for c in choices)


async def test_a_suggestion_click_over_the_wire(live: Live, suggest_question: str) -> None:
    s = live.stand_in
    sent = await s.send_message(live.general, live.alice, live.mention(suggest_question), mention_bot=True)
    offer_call = await s.wait_for_call(is_reply_to(sent["id"]))
    button = offer_call.json["components"][0]["components"][0]
    offer = s.message_payload(live.general, s.bot_user(), "")
    offer["embeds"], offer["components"] = offer_call.json["embeds"], offer_call.json["components"]
    click = await s.click(live.general, live.alice, offer, button["custom_id"])
    call = await s.wait_for_call(lambda c: c.path == f"/interactions/{click['id']}/{click['token']}/callback")
    assert call.json["type"] == 4
    assert call.embeds[0]["fields"]


async def test_slow_work_is_deferred_then_followed_up(loaded_service: KnowledgeService) -> None:
    async with running_bot(loaded_service, defer_after=0.0) as live:  # "slow": any work at all
        s = live.stand_in
        interaction = await s.send_slash(live.general, live.alice, "ask", {"question": DIGITS_Q})
        deferred = await s.wait_for_call(lambda c: c.path.startswith(f"/interactions/{interaction['id']}/"))
        assert deferred.json["type"] == 5  # "thinking…"
        followup = await s.wait_for_call(lambda c: c.method == "POST" and c.path.startswith(f"/webhooks/{s.application_id}/{interaction['token']}"))
        assert "12" in followup.embeds[0]["title"]


async def test_a_failed_reply_turns_into_an_apology_and_the_bot_carries_on(live: Live, caplog) -> None:
    s = live.stand_in
    caplog.set_level(logging.ERROR, logger="bot.exts.chat")
    s.inject_fault("POST", f"/channels/{live.general}/messages", status=403, times=1, body={"message": "Missing Permissions", "code": 50013})
    sent = await s.send_message(live.general, live.alice, live.mention(DIGITS_Q), mention_bot=True)
    apology = await s.wait_for_call(lambda c: c.status == 200 and is_reply_to(sent["id"])(c))
    assert apology.json["content"] == apology_text("en")
    assert any(r.exc_info for r in caplog.records if r.name == "bot.exts.chat")
    again = await s.send_message(live.general, live.alice, live.mention(DIGITS_Q), mention_bot=True)
    call = await s.wait_for_call(is_reply_to(again["id"]))
    assert call.status == 200 and call.embeds


async def test_the_gateway_drops_and_the_bot_resumes_without_losing_events(live: Live) -> None:
    s = live.stand_in
    await s.drop_gateway()
    sent = await s.send_message(live.general, live.alice, live.mention(DIGITS_Q), mention_bot=True)  # while away: replayed on RESUME
    call = await s.wait_for_call(is_reply_to(sent["id"]), timeout=15)
    assert call.embeds and s.resumes == 1 and s.connections == 2


async def test_the_token_never_reaches_the_logs(loaded_service: KnowledgeService, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(loaded_service) as live:
        s = live.stand_in
        sent = await s.send_message(live.general, live.alice, live.mention(DIGITS_Q), mention_bot=True)
        await s.wait_for_call(is_reply_to(sent["id"]))
        await s.drop_gateway()  # RESUME sends the token again
        await s.wait_ready()
        token = s.token
    text = "\n".join(r.getMessage() + " " + str(r.args) for r in caplog.records)
    assert "logging in using static token" in text  # the logs were captured at all
    assert token not in text


def test_rest_call_helpers() -> None:
    call = RestCall("POST", "/channels/1/messages", {}, {"message_reference": {"message_id": 5}, "embeds": [{"title": "t"}]}, 0.0)
    assert call.replies_to == "5" and call.embeds == [{"title": "t"}]
    callback = RestCall("POST", "/interactions/1/x/callback", {}, {"type": 4, "data": {"embeds": [{"title": "u"}]}}, 0.0)
    assert callback.replies_to is None and callback.embeds == [{"title": "u"}]
