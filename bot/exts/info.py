"""/topics, /sources and /about: what the bot knows, read from the live knowledge base."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import about_embed, lang_of_locale, sources_embed, topics_embed
from bot.client import SurveyBot


class Info(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot

    async def _send(self, interaction: discord.Interaction, embed: discord.Embed, private: bool) -> None:
        await interaction.response.send_message(embed=embed, ephemeral=private, allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="topics", description="List what the bot can answer, grouped by topic.")
    @app_commands.describe(private="Only you see the list (default: only you)")
    async def topics(self, interaction: discord.Interaction, private: bool = True) -> None:
        await self._send(interaction, topics_embed(self.bot.service.answerer.kb, lang_of_locale(interaction.locale)), private)

    @app_commands.command(name="sources", description="List every source with its link and date.")
    @app_commands.describe(private="Only you see the list (default: only you)")
    async def sources(self, interaction: discord.Interaction, private: bool = True) -> None:
        await self._send(interaction, sources_embed(self.bot.service.answerer.kb, lang_of_locale(interaction.locale)), private)

    @app_commands.command(name="about", description="What this bot is, its knowledge version and fact count.")
    @app_commands.describe(private="Only you see it (default: only you)")
    async def about(self, interaction: discord.Interaction, private: bool = True) -> None:
        await self._send(interaction, about_embed(self.bot.service.answerer.kb, lang_of_locale(interaction.locale)), private)


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Info(bot))
