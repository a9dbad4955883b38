"""/privacy show and /privacy delete: what the bot keeps about you, and deleting it.

Any member can use them, in a server or in a DM with the bot; every reply is private and in
the language of the person's Discord client. The person is the one who used the command or
clicked the button: nothing in a custom id says whose data it is, so a button can only ever
act for whoever clicks it.

Deleting always takes two steps: /privacy delete (or the "Delete my data" button under
/privacy show) shows what will go, with a confirm and a cancel button; only the confirm
button deletes. A required "confirm" option was the alternative, but it would delete without
the person first seeing how much goes. The deletion is queued on the storage's writer like
every other write: when the database is busy the person is told it is queued, and gets a
private follow-up once it has been done.

The buttons are `DynamicItem`s, so a confirmation still works after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import COLOUR, FIELD_VALUE_MAX, escape_user_text, fit_embed, join_within, lang_of_locale
from bot.client import SurveyBot
from bot.messages import message
from bot.storage import Deletion, PendingDeletion, PersonalData, StorageError, personal_data_async, request_deletion

log = logging.getLogger(__name__)

SELF_ACTOR = "the member themselves (via /privacy)"  # the audit entry's actor: never the name or id
CONFIRM_WAIT = 2.0  # seconds a confirm click waits for the deletion before saying it is queued
FOLLOWUP_WAIT = 14 * 60.0  # Discord accepts follow-ups for 15 minutes after an interaction
QUESTION_SHOWN = 160  # characters of each listed question


# ---------------------------------------------------------------- rendering


def privacy_embed(data: PersonalData, lang: str) -> discord.Embed:
    """What is kept about one person: counts, their newest unanswered questions, retention, what is never kept."""
    embed = discord.Embed(title=message("privacy.title", lang), colour=COLOUR["info"])
    retention = message("privacy.retention", lang, days=data.retention_days) if data.retention_days > 0 else message("privacy.retention_none", lang)
    embed.description = "\n\n".join((message("privacy.counts", lang, questions=data.questions, votes=data.votes), retention, message("privacy.how", lang)))
    if data.newest:
        lines = [f"`{_day(q.asked_at)}` {escape_user_text(q.question, QUESTION_SHOWN)}" for q in data.newest]
        embed.add_field(
            name=message("privacy.newest", lang, n=len(data.newest), total=data.questions),
            value=join_within(lines, FIELD_VALUE_MAX),
            inline=False,
        )
    embed.add_field(name=message("privacy.never.title", lang), value=message("privacy.never", lang), inline=False)
    return fit_embed(embed)


def deletion_text(result: Deletion, lang: str) -> str:
    if result.nothing:
        return message("privacy.nothing", lang)
    return message("privacy.deleted", lang, questions=result.questions, votes=result.votes)


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


# ---------------------------------------------------------------- the buttons


class PrivacyButton(discord.ui.DynamicItem[discord.ui.Button], template=r"privacy:(?P<step>ask|confirm|cancel)"):
    """ "Delete my data" (ask), then "Yes, delete it all" (confirm) or "Cancel"."""

    STYLES = {"ask": discord.ButtonStyle.danger, "confirm": discord.ButtonStyle.danger, "cancel": discord.ButtonStyle.secondary}
    LABELS = {"ask": "privacy.delete.button", "confirm": "privacy.confirm.button", "cancel": "privacy.cancel.button"}

    def __init__(self, step: str, lang: str = "en") -> None:
        super().__init__(discord.ui.Button(style=self.STYLES[step], label=message(self.LABELS[step], lang), custom_id=f"privacy:{step}"))
        self.step = step

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /) -> PrivacyButton:
        return cls(match["step"], lang_of_locale(interaction.locale))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        cog = interaction.client.get_cog("Privacy")  # type: ignore[attr-defined]
        lang = lang_of_locale(interaction.locale)
        if not isinstance(cog, Privacy):  # the extension was unloaded after the message was sent
            await interaction.response.send_message(message("privacy.failed", lang), ephemeral=True)
            return
        if self.step == "ask":
            await cog.ask_to_confirm(interaction, lang)
        elif self.step == "confirm":
            await cog.delete(interaction, lang)
        else:
            await interaction.response.edit_message(content=message("privacy.cancelled", lang), embed=None, view=None)


# ---------------------------------------------------------------- the cog


class Privacy(commands.Cog):
    privacy = app_commands.Group(
        name="privacy",
        description="See or delete what this bot keeps about you.",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),  # servers and DMs with the bot
    )

    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot
        self._waiting: set[asyncio.Task[None]] = set()  # follow-ups for deletions that were queued

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PrivacyButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PrivacyButton)
        for task in self._waiting:
            task.cancel()  # the deletions stay queued; only the follow-up message is given up

    @privacy.command(name="show", description="See what this bot keeps about you (only you see the reply).")
    async def show(self, interaction: discord.Interaction) -> None:
        lang = lang_of_locale(interaction.locale)
        data = await self._read(interaction, lang)
        if data is None:
            return
        view = _view(PrivacyButton("ask", lang))
        await interaction.followup.send(embed=privacy_embed(data, lang), view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @privacy.command(name="delete", description="Delete the questions and votes this bot keeps about you (asks first).")
    async def delete_command(self, interaction: discord.Interaction) -> None:
        await self.ask_to_confirm(interaction, lang_of_locale(interaction.locale))

    async def ask_to_confirm(self, interaction: discord.Interaction, lang: str) -> None:
        """A private message with what will be deleted, and the confirm and cancel buttons."""
        data = await self._read(interaction, lang)
        if data is None:
            return
        text = message("privacy.confirm", lang, questions=data.questions, votes=data.votes)
        view = _view(PrivacyButton("confirm", lang), PrivacyButton("cancel", lang))
        await interaction.followup.send(text, view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    async def delete(self, interaction: discord.Interaction, lang: str) -> None:
        """The confirm button: queue the deletion; report it when done, or say it is queued and follow up."""
        storage = self.bot.storage
        if storage is None:
            await interaction.response.edit_message(content=message("privacy.no_storage", lang), view=None)
            return
        pending = request_deletion(storage, interaction.user.id, SELF_ACTOR)
        if pending is None:
            await interaction.response.edit_message(content=message("privacy.failed", lang), view=None)
            return
        result = await pending.wait_async(CONFIRM_WAIT)
        if pending.settled:
            await interaction.response.edit_message(content=self._outcome(pending, result, lang), view=None)
            return
        await interaction.response.edit_message(content=message("privacy.queued", lang), view=None)
        task = asyncio.create_task(self._follow_up(interaction, pending, lang))
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _follow_up(self, interaction: discord.Interaction, pending: PendingDeletion, lang: str) -> None:
        result = await pending.wait_async(FOLLOWUP_WAIT)
        text = self._outcome(pending, result, lang) if pending.settled else message("privacy.still_queued", lang)
        try:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            # the interaction token may have expired; the deletion itself is done or still queued
            log.warning("could not tell a member that their deletion finished: %s", exc)

    @staticmethod
    def _outcome(pending: PendingDeletion, result: Deletion | None, lang: str) -> str:
        if result is None:  # the database refused the write: its transaction changed nothing
            log.error("a member's deletion was refused by the database: %s", pending.refused)
            return message("privacy.failed", lang)
        return deletion_text(result, lang)

    async def _read(self, interaction: discord.Interaction, lang: str) -> PersonalData | None:
        """Defer (the read may wait for queued writes), then read; None once the person has been told why not."""
        storage = self.bot.storage
        if storage is None:
            await interaction.response.send_message(message("privacy.no_storage", lang), ephemeral=True)
            return None
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            return await personal_data_async(storage, interaction.user.id)
        except StorageError as exc:
            log.warning("could not read a member's data for /privacy: %s", exc)
            await interaction.followup.send(message("privacy.failed", lang), ephemeral=True)
            return None


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Privacy(bot))
