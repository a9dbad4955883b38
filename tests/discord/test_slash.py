"""Slash commands, autocomplete, buttons and the owner's sync command, through simcord."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import discord
import pytest

from bot.app import answer_embed, apology_text
from bot.knowledge import default_knowledge_path
from bot.service import KnowledgeService
from tests.discord.conftest import mention, unloaded_service
from tests.discord.test_app import assert_within_limits

DIGITS_Q = "How many digits does the My Number have?"


async def test_ask_returns_the_answer_embed_for_everyone(make_guild, loaded_service: KnowledgeService) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "ask", question=DIGITS_Q)
        assert result.acknowledged and not result.ephemeral
        embed = result.response.embeds[0]
        expected = loaded_service.answerer.ask(DIGITS_Q)
        assert embed.title == expected.headline and "12" in embed.title
        assert expected.sentence in embed.description
        assert embed.description.startswith(f"> {DIGITS_Q}")  # the question is echoed: Discord does not show it
        fact = loaded_service.answerer.kb.fact(expected.fact_id)
        assert loaded_service.answerer.kb.sources[fact.source].url in embed.fields[-1].value
        assert_within_limits(embed)


async def test_ask_private_answers_ephemerally(make_guild) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "ask", question=DIGITS_Q, private=True)
        assert result.ephemeral and result.response.ephemeral
        assert "12" in result.response.embeds[0].title


async def test_ask_in_japanese_answers_in_japanese(make_guild) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "ask", question="マイナンバーは何桁ですか？")
        embed = result.response.embeds[0]
        assert "桁" in embed.title
        assert embed.fields[-1].name == "出典"


async def test_ask_suggestion_buttons_answer_privately_when_asked_privately(make_guild, suggest_question: str) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "ask", question=suggest_question, private=True)
        offer = result.response
        assert offer.ephemeral
        buttons = [c for row in offer.components for c in row["components"]]
        assert 1 <= len(buttons) <= 3 and all(b["custom_id"].startswith("suggest:en:") for b in buttons)
        clicked = await g.alice.click(offer, custom_id=buttons[0]["custom_id"])
        assert clicked.ephemeral
        assert clicked.response.embeds[0].fields  # figures and source of the suggested fact


async def test_ask_autocomplete_offers_at_most_25_relevant_questions(make_guild, loaded_service: KnowledgeService) -> None:
    async with make_guild() as g:
        choices = await g.alice.autocomplete(g.general, "ask", "question", "usage rate")
        assert 1 <= len(choices) <= 25
        usage = loaded_service.answerer.kb.fact("usage-rate")
        assert choices[0]["name"] in usage.questions["en"]  # the best match first
        assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
        # picking a choice asks exactly that question, which the core answers
        result = await g.alice.slash(g.general, "ask", question=choices[0]["value"])
        assert result.response.embeds[0].title == loaded_service.answerer.ask(choices[0]["value"]).headline


async def test_ask_autocomplete_follows_the_typed_language(make_guild, loaded_service: KnowledgeService) -> None:
    async with make_guild() as g:
        choices = await g.alice.autocomplete(g.general, "ask", "question", "利用率")
        assert choices
        japanese = {q for f in loaded_service.answerer.kb.facts for q in f.questions.get("ja", ())}
        assert all(c["name"] in japanese for c in choices)


async def test_ask_autocomplete_while_typing_a_word(make_guild) -> None:
    async with make_guild() as g:
        choices = await g.alice.autocomplete(g.general, "ask", "question", "how many digi")
        assert choices and "digits" in choices[0]["name"]


async def test_fact_autocomplete_and_fact_show_every_figure(make_guild, loaded_service: KnowledgeService) -> None:
    async with make_guild() as g:
        choices = await g.alice.autocomplete(g.general, "fact", "fact", "usage rate")
        assert choices[0]["value"] == "usage-rate"
        everything = await g.alice.autocomplete(g.general, "fact", "fact", "")
        assert len(everything) == min(25, len(loaded_service.answerer.kb.facts))
        result = await g.alice.slash(g.general, "fact", fact="usage-rate")
        embed = result.response.embeds[0]
        fact = loaded_service.answerer.kb.fact("usage-rate")
        figure_fields = embed.fields[:-1]
        assert len(figure_fields) == len(fact.figures)


async def test_fact_with_an_unknown_id_says_so_privately(make_guild) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "fact", fact="**nope** @everyone")
        assert result.ephemeral
        assert "no fact called" in result.response.content
        assert "@everyone" not in result.response.content


async def test_topics_sources_about(make_guild, loaded_service: KnowledgeService) -> None:
    kb = loaded_service.answerer.kb
    async with make_guild() as g:
        topics = (await g.alice.slash(g.general, "topics")).response.embeds[0]
        assert [f.name for f in topics.fields] == [t.title.en for t in kb.topics if any(f.topic == t.id for f in kb.facts)]
        sources = (await g.alice.slash(g.general, "sources")).response.embeds[0]
        for src in kb.sources.values():
            assert any(src.url in f.value for f in sources.fields)
        about = await g.alice.slash(g.general, "about", private=False)
        assert not about.ephemeral
        values = {f.name: f.value for f in about.response.embeds[0].fields}
        assert values["Facts"] == str(len(kb.facts)) and values["Knowledge version"] == kb.version


async def test_ask_error_becomes_a_private_apology(make_guild, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="bot.client")
    async with make_guild(service=unloaded_service(tmp_path)) as g:
        result = await g.alice.slash(g.general, "ask", question=DIGITS_Q)
        assert result.ephemeral
        assert result.response.content == apology_text("en")
        captured = g.env.errors  # simcord saw the same error the tree handled
        assert len(captured) == 1 and "knowledge base not loaded" in str(captured[0])
    assert any(r.exc_info for r in caplog.records if r.name == "bot.client")


async def test_owner_text_command_syncs_and_others_are_refused(make_guild) -> None:
    async with make_guild() as g:
        g.bot.owner_ids = {g.alice.id}
        before = len([r for r in g.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")])
        await g.bob.send(g.general, mention(g, "sync"))
        assert "Only the bot's owner" in g.bot_messages(g.general)[-1].content
        assert [type(e).__name__ for e in g.env.errors] == ["NotOwner"]  # refused, as expected
        await g.alice.send(g.general, mention(g, "sync"))
        assert "global: 8 command(s) synced" in g.bot_messages(g.general)[-1].content
        puts = [r for r in g.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
        assert len(puts) == before + 1
        assert sorted(c["name"] for c in puts[-1].json) == ["about", "ask", "chart", "fact", "kb", "privacy", "sources", "topics"]


async def test_sync_goes_to_configured_guilds(make_guild) -> None:
    async with make_guild() as g:
        from dataclasses import replace

        g.bot.config = replace(g.bot.config, discord=replace(g.bot.config.discord, guild_ids=(g.env.guild.id,)))
        lines = await g.bot.sync_app_commands()
        assert lines[0].startswith(f"guild {g.env.guild.id}: 8 command(s)")
        assert any(r.method == "PUT" and r.path.endswith(f"/guilds/{g.env.guild.id}/commands") for r in g.env.http_requests)


def test_command_texts_fit_discord_limits(loaded_service: KnowledgeService) -> None:
    from bot.client import SurveyBot
    from bot.config import Config

    bot = SurveyBot(Config(), loaded_service)

    async def load() -> list[dict]:
        await bot.setup_hook()
        return [c.to_dict(bot.tree) for c in bot.tree.get_commands()]

    import asyncio

    commands = asyncio.run(load())
    assert {c["name"] for c in commands} == {"ask", "fact", "topics", "sources", "about", "chart", "kb", "privacy"}
    for cmd in commands:
        assert 1 <= len(cmd["name"]) <= 32 and 1 <= len(cmd["description"]) <= 100
        for opt in cmd.get("options", []):
            assert 1 <= len(opt["description"]) <= 100 and opt["description"] != "…", (cmd["name"], opt["name"])


# ---------------------------------------------------------------- a larger knowledge base


@pytest.fixture
def big_service(tmp_path: Path) -> KnowledgeService:
    """The shipped knowledge plus 40 generated facts with long phrasings and many figures."""
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    lines = ["topic:", "  id: generated", '  title: {en: "Generated card facts", ja: "生成された事実"}', "facts:"]
    first_source = _first_source_id(default_knowledge_path())
    for i, word in enumerate(_WORDS):
        long_q = f"card registration question about {word} " + f"explained at length, {word} by {word}, " * 3
        lines += [
            f"  - id: generated-{i}",
            "    questions:",
            f'      en: ["{long_q.strip()}", "card registration and {word}"]',
            f'      ja: ["カード登録と{word}"]',
            "    answer:",
            f'      en: "A generated answer about card registration and {word}."',
            f'      ja: "カード登録と{word}についての回答。"',
            "    figures:",
        ]
        for k in range(12):
            lines += [
                f"      - value: {k + 1}",
                "        unit: percent",
                f'        counts: {{en: "share {k}", ja: "割合{k}"}}',
                f'        as_of: "2023-12-{k + 1:02d}"',
            ]
        lines.append(f"    source: {first_source}")
    (folder / "generated.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    service = KnowledgeService(folder, max_chars=500)
    result = service.reload()
    assert result.ok, "\n".join(str(p) for p in result.problems)
    return service


_WORDS = (
    "apple banana cherry damson elder fig grape hazel iris juniper kiwi lemon mango nectar olive peach quince "
    "raisin sloe tamarind ugli vanilla walnut yam zucchini acorn birch cedar dogwood elm spruce gorse holly ivy "
    "jasmine kelp larch sycamore nettle oak pine"
).split()


def _first_source_id(folder: Path) -> str:
    from bot.knowledge import load_knowledge

    kb = load_knowledge([folder]).kb
    assert kb is not None
    return next(iter(kb.sources))


async def test_autocomplete_caps_at_25_and_100_characters_on_a_large_knowledge_base(make_guild, big_service: KnowledgeService) -> None:
    async with make_guild(service=big_service) as g:
        for typed in ("", "card registration question", "card"):
            for command, option in (("ask", "question"), ("fact", "fact")):
                choices = await g.alice.autocomplete(g.general, command, option, typed)
                assert len(choices) == 25, (command, typed)
                assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
        result = await g.alice.slash(g.general, "fact", fact="generated-3")
        embed = result.response.embeds[0]
        assert_within_limits(embed)
        # /fact asks for every figure: all 12 shown, then the source
        assert len(embed.fields) == 13 and not any(f.name == "…" for f in embed.fields)
        assert embed.fields[-1].name == "Source"
        # an answer to a question shows the first 10 and sums up the rest
        fact = big_service.answerer.kb.fact("generated-3")
        assert fact is not None and len(fact.figures) == 12
        answer = answer_embed(big_service.answerer.fact_reply(fact, "en", "generated question"))
        assert_within_limits(answer)
        assert "2 more figure(s)" in answer.fields[-2].value and answer.fields[-1].name == "Source"


def test_dynamic_item_template_accepts_every_fact_id(loaded_service: KnowledgeService) -> None:
    from bot.exts.ask import SuggestionButton

    for fact in loaded_service.answerer.kb.facts:
        assert SuggestionButton.__discord_ui_compiled_template__.fullmatch(f"suggest:en:{fact.id}"), fact.id
    assert isinstance(SuggestionButton("x", "en", "q").item, discord.ui.Button)
