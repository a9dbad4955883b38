"""Owner-only text commands: `!sync` (or `@Bot sync`, which works without the Message
Content intent) registers the slash commands, exactly as `python -m bot sync` does."""

from __future__ import annotations

import logging

from discord.ext import commands

from bot.client import SurveyBot

log = logging.getLogger(__name__)


class Owner(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot

    @commands.command(name="sync")
    @commands.is_owner()
    async def sync(self, ctx: commands.Context) -> None:
        """Register the slash commands with Discord (owner only)."""
        async with ctx.typing():
            lines = await self.bot.sync_app_commands()
        log.info("slash commands synced by %s: %s", ctx.author.id, "; ".join(lines))
        await ctx.reply("\n".join(lines)[:2000], mention_author=False)


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Owner(bot))
