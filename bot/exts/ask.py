"""/ask and /fact: slash commands with autocomplete ranked by the core's matcher, and the
"did you mean" buttons under suggestions, whose click answers with the chosen fact."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.reply import Reply
from bot.app import BUTTON_LABEL_MAX, CHOICE_MAX, CHOICES_MAX, CUSTOM_ID_MAX, clip, lang_of_locale, unknown_fact_text
from bot.client import SurveyBot
from bot.knowledge.model import Fact, KnowledgeBase
from bot.search.complete import complete, rank_typed
from bot.text.normalise import detect_lang

log = logging.getLogger(__name__)


class SuggestionButton(discord.ui.DynamicItem[discord.ui.Button], template=r"suggest:(?P<lang>en|ja):(?P<fact_id>[A-Za-z0-9_.-]{1,80})"):
    """A "did you mean" choice. The fact and language live in the custom id, so a click
    is answered even after a restart, and no view has to be kept in memory per message."""

    def __init__(self, fact_id: str, lang: str, question: str, number: int = 0) -> None:
        text = f"{number}. {question}" if number else question
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label=clip(" ".join(text.split()), BUTTON_LABEL_MAX) or fact_id[:BUTTON_LABEL_MAX],
                custom_id=f"suggest:{lang}:{fact_id}",
            )
        )
        self.fact_id = fact_id
        self.lang = lang

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /) -> SuggestionButton:
        button = item if isinstance(item, discord.ui.Button) else None
        return cls(match["fact_id"], match["lang"], button.label if button and button.label else match["fact_id"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: SurveyBot = interaction.client  # type: ignore[assignment]
        ephemeral = bool(interaction.message and interaction.message.flags.ephemeral)

        def compute() -> Reply | str:
            answerer = bot.service.answerer
            fact = answerer.kb.fact(self.fact_id)
            if fact is None:  # removed by a reload since the buttons were sent
                return unknown_fact_text(self.fact_id, self.lang)
            return answerer.fact_reply(fact, self.lang, question="")

        try:
            # the click answers the question that got the suggestions: counted like an /ask
            await bot.respond(interaction, compute, ephemeral=ephemeral, record=True)
        except Exception:
            # discord.py only logs errors in dynamic items; the user still deserves an answer
            log.exception("error answering suggestion button %s", self.custom_id)
            await bot.apologise(interaction, self.lang)


def suggestion_buttons(reply: Reply) -> list[discord.ui.Item[Any]]:
    items: list[discord.ui.Item[Any]] = []
    for number, s in enumerate(reply.suggestions[:3], 1):
        if len(f"suggest:{reply.lang}:{s.fact_id}") <= CUSTOM_ID_MAX and SuggestionButton.__discord_ui_compiled_template__.fullmatch(
            f"suggest:{reply.lang}:{s.fact_id}"
        ):
            items.append(SuggestionButton(s.fact_id, reply.lang, s.question, number))
        else:
            log.warning("fact id %r cannot be put in a button's custom id; no button for it", s.fact_id)
    return items


def _phrasing(fact: Fact, lang: str) -> str:
    phrasings = fact.questions.get(lang) or fact.questions.get("en") or fact.questions.get("ja") or (fact.id,)
    return phrasings[0]


def _ranked_facts(bot: SurveyBot, typed: str, lang: str) -> list[Fact]:
    """Facts for what has been typed so far, best first, by the same matcher /ask uses."""
    answerer = bot.service.answerer
    kb: KnowledgeBase = answerer.kb
    # this runs on the event loop, and Discord sends up to 6,000 characters: rank no more than
    # a question may hold (/ask declines longer ones), which bounds the time to a few ms
    typed = typed.strip()[: answerer.max_chars]
    if not typed:
        return list(kb.facts)
    ranked = rank_typed(answerer.index, typed, CHOICES_MAX)
    return [f for f in (kb.fact(c.fact_id) for c in ranked) if f is not None]


def _choice_lang(typed: str, interaction: discord.Interaction) -> str:
    return detect_lang(typed) if typed.strip() else lang_of_locale(interaction.locale)


class Ask(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SuggestionButton)
        self.bot.renderer.add_buttons(suggestion_buttons)

    async def cog_unload(self) -> None:
        self.bot.renderer.remove_buttons(suggestion_buttons)
        self.bot.remove_dynamic_items(SuggestionButton)

    @app_commands.command(name="ask", description="Ask a question about My Number health insurance cards.")
    @app_commands.describe(question="Your question, in English or Japanese", private="Only you see the answer (default: everyone in the channel)")
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        key = (interaction.channel_id, interaction.user.id)

        def compute() -> Reply:
            # the same conversation as chat: a follow-up with /ask reads against the last question here
            return self.bot.conversations.ask(self.bot.service.answerer, key, question)

        await self.bot.respond(interaction, compute, ephemeral=private, record=True)

    @ask.autocomplete("question")
    async def ask_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        lang = _choice_lang(current, interaction)
        answerer = self.bot.service.answerer
        # rank no more than a question may hold: this runs on the event loop (see _ranked_facts)
        typed = current.strip()[: answerer.max_chars]
        if typed:
            texts = [text for _fid, text in complete(answerer.index, typed, lang, CHOICES_MAX)]
        else:
            texts = [_phrasing(fact, lang) for fact in answerer.kb.facts[:CHOICES_MAX]]
        choices = []
        for text in dict.fromkeys(clip(t, CHOICE_MAX) for t in texts):
            choices.append(app_commands.Choice(name=text, value=text))
        return choices[:CHOICES_MAX]

    @app_commands.command(name="fact", description="Show one fact with all its figures and sources.")
    @app_commands.describe(fact="Start typing a question or topic, then pick the fact", private="Only you see the fact (default: everyone in the channel)")
    async def fact(self, interaction: discord.Interaction, fact: str, private: bool = False) -> None:
        lang = lang_of_locale(interaction.locale)
        fact_id = fact.strip()

        def compute() -> Reply | str:
            answerer = self.bot.service.answerer
            found = answerer.kb.fact(fact_id)
            if found is None:
                return unknown_fact_text(fact_id, lang)
            return answerer.fact_reply(found, lang, question="", all_figures=True)

        await self.bot.respond(interaction, compute, ephemeral=private)

    @fact.autocomplete("fact")
    async def fact_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        lang = lang_of_locale(interaction.locale)
        choices = []
        for found in _ranked_facts(self.bot, current, _choice_lang(current, interaction))[:CHOICES_MAX]:
            if len(found.id) > CHOICE_MAX:
                continue  # a value cannot be cut: it must name the fact exactly
            choices.append(app_commands.Choice(name=clip(_phrasing(found, lang), CHOICE_MAX), value=found.id))
        return choices


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Ask(bot))
