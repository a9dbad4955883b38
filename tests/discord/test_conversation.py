"""Conversations in Discord: follow-ups from the same person in the same channel, two-part
questions as one message with an embed per fact, and figures as questions, through discord.py's
real event and HTTP code (simcord)."""

from __future__ import annotations

from dataclasses import replace

from bot.answer.reply import Reply
from bot.answer.two_part import answer_alone
from bot.app import EMBED_TOTAL_MAX, reply_embeds
from bot.service import KnowledgeService
from tests.discord.conftest import mention
from tests.discord.test_app import assert_within_limits
from tests.discord.test_chat import CHATTER, embed_text
from tests.support.live_bot import is_reply_to, running_bot, strings_in

USAGE_Q = "What is the usage rate of the My Number card these days?"
TWO_PART_Q = "usage rate and registrations please"


async def test_a_follow_up_in_a_channel_is_answered_in_context(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, USAGE_Q))
        await g.alice.send(g.general, mention(g, "and 2024?"))
        replies = g.bot_messages(g.general)
        assert len(replies) == 2
        follow_up = embed_text(replies[1].embeds[0])
        assert "18.52%" in follow_up and "November 2024" in follow_up  # the usage rate's 2024 figures
        assert replies[1].embeds[0].description.startswith("> and 2024?")
        # in an answer channel, without a mention, the same
        await g.alice.send(g.answers, USAGE_Q)
        await g.alice.send(g.answers, "source?")
        answers = g.bot_messages(g.answers)
        assert len(answers) == 2 and "Sources of that answer:" in answers[1].embeds[0].description


async def test_chatter_after_an_answer_in_an_answer_channel_gets_nothing(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.send(g.answers, USAGE_Q)
        for line in CHATTER:
            await g.alice.send(g.answers, line)
        assert len(g.bot_messages(g.answers)) == 1  # the answer only: chatter is not read as a follow-up
        await g.alice.send(g.answers, "and in 2024?")
        assert len(g.bot_messages(g.answers)) == 2  # a message that starts like a follow-up is one


async def test_the_fragment_from_someone_else_or_after_the_window_is_declined(make_guild, loaded_service: KnowledgeService) -> None:
    assert loaded_service.answerer.ask("source?").kind == "decline"  # the premise: alone, it is declined
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, USAGE_Q))
        await g.bob.send(g.general, mention(g, "source?"))  # bob asked nothing before
        await g.alice.send(g.answers, mention(g, "source?"))  # alice, but in another channel
        g.clock.advance(301)
        await g.alice.send(g.general, mention(g, "source?"))  # alice, too late
        replies = g.bot_messages(g.general) + g.bot_messages(g.answers)
        declined = [m for m in replies if m.embeds[0].title == "No sourced answer"]
        assert len(replies) == 4 and len(declined) == 3


async def test_a_two_part_question_is_one_message_with_an_embed_per_fact(make_guild, loaded_service: KnowledgeService) -> None:
    expected = answer_alone(loaded_service.answerer, TWO_PART_Q)
    assert set(expected.fact_ids) == {"usage-rate", "registrations"}
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, TWO_PART_Q))
        replies = g.bot_messages(g.general)
        assert len(replies) == 1 and len(replies[0].embeds) == 2
        first, second = replies[0].embeds
        assert "47.26%" in first.title and "87.3 million" in second.title
        assert "japantimes.co.jp" in first.fields[-1].value and "japantimes.co.jp" in second.fields[-1].value
        assert first.description.startswith("> usage rate and registrations") and not second.description.startswith(">")
        # with /ask too
        result = await g.alice.slash(g.general, "ask", question=TWO_PART_Q)
        assert len(result.response.embeds) == 2


PARTLY_Q = "since when can people cancel the insurance registration, and roughly how many have cancelled so far?"


async def test_a_question_partly_declined_answers_the_other_part(make_guild, loaded_service: KnowledgeService) -> None:
    assert loaded_service.answerer.ask(PARTLY_Q).kind == "decline"  # the premise: as one question it is declined
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, PARTLY_Q))
        (embed,) = g.bot_messages(g.general)[0].embeds
        assert "28 October 2024" in embed.title and "no sourced figure" in embed.description


def test_an_embed_per_fact_stays_within_the_message_limit(answerer) -> None:
    reply = answer_alone(answerer, TWO_PART_Q)
    huge = tuple(replace(part, sentence="x" * 5000, figures=part.figures * 20) for part in reply.parts)
    embeds = reply_embeds(replace(reply, parts=huge))
    assert len(embeds) == 2
    for embed in embeds:
        assert_within_limits(embed)
        assert embed.fields[-1].name.startswith("Source")  # the sources survive the cut
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL_MAX


async def test_ask_follows_up_in_the_same_channel(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.slash(g.general, "ask", question=USAGE_Q)
        result = await g.alice.slash(g.general, "ask", question="in Japanese please")
        embed = result.response.embeds[0]
        assert "47.26%" in embed.title and "利用率" in embed.description
        other = await g.bob.slash(g.general, "ask", question="in Japanese please")
        assert other.response.embeds[0].title == "No sourced answer"


async def test_about_gives_the_newest_figure(make_guild) -> None:
    async with make_guild() as g:
        about = await g.alice.slash(g.general, "about", private=False)
        values = {f.name: f.value for f in about.response.embeds[0].fields}
        assert values["Newest figure"] == "18 December 2025"


async def test_a_figure_question_gets_the_fact_holding_the_figure(make_guild, loaded_service: KnowledgeService) -> None:
    reply: Reply = loaded_service.answerer.ask("what is 29.6%?")
    assert reply.fact_id == "hospitals-using-system"
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, "what is 29.6%?"))
        embed = g.bot_messages(g.general)[0].embeds[0]
        assert "29.6%" in embed.title
        await g.alice.send(g.general, mention(g, "what is 55.5%?"))
        assert "55.5%" in g.bot_messages(g.general)[1].embeds[0].description  # a figure no fact holds: declined, saying which


async def test_over_real_sockets_a_follow_up_and_a_two_part_question(loaded_service: KnowledgeService) -> None:
    """The same through the loopback stand-in (tests/support/live_bot.py): the real client over HTTP and websocket."""
    async with running_bot(loaded_service) as live:
        s = live.stand_in
        first = await s.send_message(live.general, live.alice, live.mention(USAGE_Q), mention_bot=True)
        await s.wait_for_call(is_reply_to(first["id"]))
        follow_up = await s.send_message(live.general, live.alice, live.mention("and 2024?"), mention_bot=True)
        call = await s.wait_for_call(is_reply_to(follow_up["id"]))
        assert "18.52%" in "\n".join(strings_in(call.embeds))
        other = await s.send_message(live.general, live.user(1), live.mention("and 2024?"), mention_bot=True)
        call = await s.wait_for_call(is_reply_to(other["id"]))
        assert "18.52%" not in "\n".join(strings_in(call.embeds))  # another member's fragment has no context
        both = await s.send_message(live.general, live.alice, live.mention(TWO_PART_Q), mention_bot=True)
        call = await s.wait_for_call(is_reply_to(both["id"]))
        assert len(call.embeds) == 2 and "47.26%" in call.embeds[0]["title"] and "87.3 million" in call.embeds[1]["title"]
