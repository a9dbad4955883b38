"""/ask and /fact: slash commands with autocomplete ranked by the core's matcher."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.reply import Reply
from bot.client import SurveyBot
from bot.exts.render import CHOICE_MAX, CHOICES_MAX, clip, lang_of_locale, unknown_fact_text
from bot.knowledge.model import Fact, KnowledgeBase
from bot.text.normalise import detect_lang

log = logging.getLogger(__name__)


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
    ranked = answerer.index.rank_typed(typed, CHOICES_MAX)
    return [f for f in (kb.fact(c.fact_id) for c in ranked) if f is not None]


def _choice_lang(typed: str, interaction: discord.Interaction) -> str:
    return detect_lang(typed) if typed.strip() else lang_of_locale(interaction.locale)


class Ask(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question about My Number health insurance cards.")
    @app_commands.describe(question="Your question, in English or Japanese", private="Only you see the answer (default: everyone in the channel)")
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        def compute() -> Reply:
            return self.bot.service.answerer.ask(question)

        await self.bot.respond(interaction, compute, ephemeral=private, record=True)

    @ask.autocomplete("question")
    async def ask_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        lang = _choice_lang(current, interaction)
        answerer = self.bot.service.answerer
        # rank no more than a question may hold: this runs on the event loop (see _ranked_facts)
        typed = current.strip()[: answerer.max_chars]
        if typed:
            texts = [text for _fid, text in answerer.index.complete(typed, lang, CHOICES_MAX)]
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
