"""Answers in chat channels, through discord.py's real event and HTTP code (simcord)."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.app import apology_text
from bot.service import KnowledgeService
from tests.discord.conftest import mention, unloaded_service

USAGE_Q = "What is the usage rate of the My Number health insurance card?"
DIGITS_Q = "How many digits does the My Number have?"
CHATTER = ["good morning everyone", "what time is the meeting?", "haha nice", "ok thanks, see you later", "did anyone watch the game last night?"]


def embed_text(embed) -> str:
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    return "\n".join(parts)


async def test_a_mention_gets_a_reply_with_the_figure_and_the_source(make_guild, loaded_service: KnowledgeService) -> None:
    async with make_guild() as g:
        asked = await g.alice.send(g.general, mention(g, USAGE_Q))
        replies = g.bot_messages(g.general)
        assert len(replies) == 1
        reply = replies[0]
        assert reply.reference is not None and reply.reference.message_id == asked.id  # message.reply: the asker sees the link
        expected = loaded_service.answerer.ask(USAGE_Q)
        embed = reply.embeds[0]
        assert embed.title == expected.headline  # the figure, prominent
        assert expected.figures[0].value in embed.title
        fact = loaded_service.answerer.kb.fact(expected.fact_id)
        url = loaded_service.answerer.kb.sources[fact.source].url
        assert url in embed.fields[-1].value
        assert expected.figures[0].as_of in embed_text(embed)


async def test_a_question_in_an_answer_channel_is_answered_without_a_mention(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.send(g.answers, DIGITS_Q)
        replies = g.bot_messages(g.answers)
        assert len(replies) == 1
        assert "12" in replies[0].embeds[0].title


async def test_chatter_in_an_answer_channel_gets_no_reply(make_guild, loaded_service: KnowledgeService) -> None:
    # the premise: the core's strict policy does not answer these
    assert all(loaded_service.answerer.ask(line, strict=True).kind != "answer" for line in CHATTER)
    async with make_guild() as g:
        for line in CHATTER:
            await g.alice.send(g.answers, line)
        assert g.bot_messages(g.answers) == []
        assert g.message_posts() == []


async def test_an_unsure_question_in_an_answer_channel_gets_no_suggestions(make_guild, suggest_question: str) -> None:
    async with make_guild() as g:
        await g.alice.send(g.answers, suggest_question)
        assert g.bot_messages(g.answers) == []
        # mentioned, the same question gets the "did you mean" reply
        await g.alice.send(g.answers, mention(g, suggest_question))
        assert len(g.bot_messages(g.answers)) == 1


async def test_without_a_mention_outside_answer_channels_nothing_happens(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.send(g.general, DIGITS_Q)
        assert g.bot_messages(g.general) == []


async def test_everyone_role_and_user_mentions_in_a_question_ping_nobody(make_guild) -> None:
    async with make_guild() as g:
        role = g.env.guild.create_role("staff", mentionable=True)
        text = f"@everyone @here <@&{role.id}> {g.bob.mention} {DIGITS_Q}"
        await g.alice.send(g.general, mention(g, text))
        posts = g.message_posts()
        assert len(posts) == 1
        assert posts[0].json["allowed_mentions"] == {"parse": [], "replied_user": False}
        reply = g.bot_messages(g.general)[0]
        assert not reply.mention_everyone
        assert reply.mentions == [] and reply.role_mentions == []
        echo = reply.embeds[0].description
        assert "@everyone" not in echo and "@\u200beveryone" in echo


async def test_markdown_in_the_question_is_escaped_in_the_echo(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, "**How many** digits does the My Number have? ||spoiler|| `code`"))
        echo = g.bot_messages(g.general)[0].embeds[0].description
        assert echo.startswith("> \\*\\*How many\\*\\*")
        assert "\\|\\|spoiler\\|\\|" in echo and "\\`code\\`" in echo


async def test_an_over_long_question_is_declined_politely(make_guild, loaded_service: KnowledgeService) -> None:
    assert loaded_service.max_chars == 500
    async with make_guild() as g:
        long_question = "How many digits does the My Number have? " + "Please explain in detail. " * 30
        assert len(long_question) > 500
        await g.alice.send(g.general, mention(g, long_question))
        embed = g.bot_messages(g.general)[0].embeds[0]
        assert "too long" in embed.description
        assert "limit 500" in embed.description
        assert len(embed.description) < 1000  # the long text is not echoed in full


async def test_per_user_cooldown_is_answered_quietly_and_expires(make_guild) -> None:
    async with make_guild(user_cooldown=10, channel_cooldown=0) as g:
        await g.alice.send(g.general, mention(g, DIGITS_Q))
        second = await g.alice.send(g.general, mention(g, USAGE_Q))
        assert len(g.bot_messages(g.general)) == 1
        # quietly: a reaction on the message, no extra message in the channel
        reactions = [r for r in g.env.http_requests if r.method == "PUT" and "/reactions/" in r.path]
        assert len(reactions) == 1 and str(second.id) in reactions[0].path
        # another user is not held up by alice's pause
        await g.bob.send(g.general, mention(g, USAGE_Q))
        assert len(g.bot_messages(g.general)) == 2
        g.clock.advance(10.5)
        await g.alice.send(g.general, mention(g, USAGE_Q))
        assert len(g.bot_messages(g.general)) == 3


async def test_per_channel_cooldown_holds_everyone_in_that_channel_only(make_guild) -> None:
    async with make_guild(user_cooldown=0, channel_cooldown=2) as g:
        await g.alice.send(g.general, mention(g, DIGITS_Q))
        await g.bob.send(g.general, mention(g, DIGITS_Q))
        assert len(g.bot_messages(g.general)) == 1
        await g.bob.send(g.answers, DIGITS_Q)  # another channel
        assert len(g.bot_messages(g.answers)) == 1
        g.clock.advance(2.1)
        await g.bob.send(g.general, mention(g, DIGITS_Q))
        assert len(g.bot_messages(g.general)) == 2


async def test_chatter_does_not_use_up_the_cooldown(make_guild) -> None:
    async with make_guild(user_cooldown=10, channel_cooldown=2) as g:
        await g.alice.send(g.answers, "haha nice")
        await g.alice.send(g.answers, DIGITS_Q)
        assert len(g.bot_messages(g.answers)) == 1


async def test_bot_authors_are_ignored(make_guild) -> None:
    async with make_guild() as g:
        other_bot = g.env.guild.add_member(g.env.create_user("otherbot", bot=True))
        await other_bot.send(g.general, mention(g, DIGITS_Q))
        await other_bot.send(g.answers, DIGITS_Q)
        assert g.message_posts() == []


async def test_a_handler_error_becomes_an_apology_and_a_logged_traceback(make_guild, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="bot.exts.chat")
    async with make_guild(service=unloaded_service(tmp_path)) as g:
        await g.alice.send(g.general, mention(g, DIGITS_Q))
        replies = g.bot_messages(g.general)
        assert [m.content for m in replies] == [apology_text("en")]
        assert "Traceback" not in replies[0].content
        await g.alice.send(g.general, mention(g, "マイナンバーは何桁？"))
        assert g.bot_messages(g.general)[-1].content == apology_text("ja")
    logged = [r for r in caplog.records if r.name == "bot.exts.chat"]
    assert logged and logged[0].exc_info is not None
    assert "knowledge base not loaded" in str(logged[0].exc_info[1])


async def test_a_did_you_mean_button_answers_when_clicked(make_guild, suggest_question: str, loaded_service: KnowledgeService) -> None:
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, suggest_question))
        offer = g.bot_messages(g.general)[0]
        suggested = loaded_service.answerer.ask(suggest_question).suggestions
        buttons = [c for row in offer.components for c in row.children]
        assert 1 <= len(buttons) <= 3
        assert [b.custom_id for b in buttons] == [f"suggest:en:{s.fact_id}" for s in suggested[:3]]
        result = await g.bob.click(offer, custom_id=buttons[0].custom_id)
        assert result.response is not None and not result.ephemeral
        answer = result.response.embeds[0]
        expected = loaded_service.answerer.fact_reply(loaded_service.answerer.kb.fact(suggested[0].fact_id), "en")
        assert answer.title == (expected.headline or "Answer")
        assert expected.sentence in answer.description


async def test_a_text_command_by_mention_is_not_answered_as_a_question(make_guild) -> None:
    async with make_guild() as g:
        g.bot.owner_ids = {g.alice.id}
        await g.alice.send(g.general, mention(g, "sync"))
        replies = g.bot_messages(g.general)
        assert len(replies) == 1
        assert replies[0].embeds == [] and "synced" in replies[0].content


async def test_a_direct_message_is_answered_like_a_mention(make_guild) -> None:
    async with make_guild() as g:
        await g.alice.user.send_dm(DIGITS_Q)
        replies = [m for m in g.alice.user.dm_channel.history() if m.author.id == g.bot.user.id]
        assert len(replies) == 1 and "12" in replies[0].embeds[0].title


async def test_a_reload_is_seen_by_the_next_question_without_a_restart(make_guild, mini_dir: Path) -> None:
    service = KnowledgeService(mini_dir)
    assert service.reload().ok
    question = "How many digits does the My Number have?"
    async with make_guild(service=service) as g:
        await g.alice.send(g.general, mention(g, question))
        assert g.bot_messages(g.general)[-1].embeds[0].title != "12 digits"  # not in the small knowledge base
        (mini_dir / "digits.yaml").write_text(DIGITS_FACT, encoding="utf-8")
        result = service.reload()
        assert result.ok and result.diff.added == ("my-number-digits",)
        await g.alice.send(g.general, mention(g, question))
        assert g.bot_messages(g.general)[-1].embeds[0].title == "12 digits"


DIGITS_FACT = """\
topic:
  id: numbers
  title: {en: "Numbers", ja: "番号"}
facts:
  - id: my-number-digits
    questions:
      en: ["How many digits does the My Number have?"]
      ja: ["マイナンバーは何桁？"]
    answer:
      en: "The My Number has 12 digits."
      ja: "マイナンバーは12桁です。"
    figures:
      - value: 12
        unit: digits
        counts: {en: "digits in a My Number", ja: "マイナンバーの桁数"}
        as_of: "2023-12-03"
    source: test-source
"""


def test_an_answer_at_the_exact_end_of_a_pause_starts_a_new_pause() -> None:
    from bot.client import ChatCooldowns

    now = [1000.0]
    cooldowns = ChatCooldowns(10, 0, lambda: now[0])
    cooldowns.record(1, 7)
    now[0] += 10
    assert cooldowns.retry_after(1, 7) == 0
    cooldowns.record(1, 7)
    now[0] += 0.5
    assert cooldowns.retry_after(1, 7) == 9.5
    assert cooldowns.retry_after(2, 7) == 0  # another user, and the channel pause is off
