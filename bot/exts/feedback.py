"""👍 and 👎 under answers: one vote per person per answer message, a second click changes it.

The buttons are `DynamicItem`s whose custom id carries the vote and the fact
(`vote:up:usage-rate`), so a click is understood after a restart and no view is kept in
memory per message. The answer is identified by the message the buttons sit on, the voter by
their user id, which `Storage` keeps only as a salted hash; the database's key (answer,
voter) is what makes a second vote replace the first.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord.ext import commands

from bot.answer.reply import Reply
from bot.app import lang_of_locale
from bot.client import SurveyBot
from bot.messages import message
from bot.storage import StorageError

log = logging.getLogger(__name__)

VOTE_ID_RE = r"vote:(?P<value>up|down):(?P<fact_id>[A-Za-z0-9_.-]{1,80})"
EMOJI = {True: "👍", False: "👎"}
PREVIOUS_VOTE_WAIT = 1.5  # seconds; past this the click is acknowledged without comparing to an earlier vote


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=VOTE_ID_RE):
    def __init__(self, fact_id: str, up: bool) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji=EMOJI[up],
                custom_id=f"vote:{'up' if up else 'down'}:{fact_id}",
            )
        )
        self.fact_id = fact_id
        self.up = up

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /) -> VoteButton:
        return cls(match["fact_id"], match["value"] == "up")

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: SurveyBot = interaction.client  # type: ignore[assignment]
        lang = lang_of_locale(interaction.locale)
        storage = bot.storage
        if storage is None or interaction.message is None:
            await bot.tell(interaction, message("vote.failed", lang))
            return
        answer_id, user_id = interaction.message.id, interaction.user.id
        previous = await _previous_vote(storage, answer_id, user_id)
        if not storage.record_vote(answer_id, self.fact_id, user_id, self.up):
            await bot.tell(interaction, message("vote.failed", lang))
            return
        emoji = EMOJI[self.up]
        if previous is None:
            key = "unknown"
        elif previous == 0:
            key = "new"
        elif (previous > 0) == self.up:
            key = "same"
        else:
            key = "changed"
        await bot.tell(interaction, message(f"vote.{key}", lang, emoji=emoji, old=EMOJI[not self.up]))


async def _previous_vote(storage: Any, answer_id: int, user_id: int) -> int | None:
    """The vote this person already has on this answer (1, -1, 0), or None if the database
    cannot say in time; only the wording of the acknowledgement depends on it."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(storage.vote_of, answer_id, user_id), PREVIOUS_VOTE_WAIT)
    except (StorageError, TimeoutError):
        return None


def _fits(fact_id: str) -> bool:
    return VoteButton.__discord_ui_compiled_template__.fullmatch(f"vote:down:{fact_id}") is not None


class Feedback(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot

    def vote_buttons(self, reply: Reply) -> list[discord.ui.Item[Any]]:
        """👍 and 👎 for an answer, when votes can be stored; nothing for suggestions and declines."""
        if self.bot.storage is None or reply.kind != "answer" or not reply.fact_id:
            return []
        if not _fits(reply.fact_id):
            log.warning("fact id %r cannot be put in a vote button's custom id; no vote buttons for it", reply.fact_id)
            return []
        return [VoteButton(reply.fact_id, True), VoteButton(reply.fact_id, False)]

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)
        self.bot.renderer.add_buttons(self.vote_buttons)

    async def cog_unload(self) -> None:
        self.bot.renderer.remove_buttons(self.vote_buttons)
        self.bot.remove_dynamic_items(VoteButton)


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Feedback(bot))
