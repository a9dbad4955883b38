"""Answers in chat: to messages that mention the bot (or DM it), and, in configured answer
channels, to questions without a mention when the core is confident under its stricter
threshold. Ordinary chatter gets nothing.

Reading unmentioned messages needs the privileged Message Content intent; without it
Discord sends those messages with empty text, and they are simply not answered.
"""

from __future__ import annotations

import logging
import time

import discord
from discord.ext import commands

from bot.app import apology_text
from bot.client import SurveyBot
from bot.logs import log_reply
from bot.text.normalise import detect_lang, strip_markup

log = logging.getLogger(__name__)

COOLDOWN_EMOJI = "⏳"


class Chat(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot

    def _addressed(self, message: discord.Message) -> bool:
        """Did the author speak to the bot: a DM, a mention of it, or of its own role?"""
        me = self.bot.user
        if me is None:
            return False
        if message.guild is None:
            return True
        if any(user.id == me.id for user in message.mentions):
            return True
        own_role = message.guild.self_role
        return own_role is not None and own_role in message.role_mentions

    def _in_answer_channel(self, channel: discord.abc.Messageable) -> bool:
        ids = self.bot.config.discord.answer_channel_ids
        return getattr(channel, "id", None) in ids or getattr(channel, "parent_id", None) in ids

    @staticmethod
    def question_text(message: discord.Message) -> str:
        return " ".join(strip_markup(message.content).split())

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None:
            return  # other bots, webhooks and the bot itself
        addressed = self._addressed(message)
        if not addressed and not self._in_answer_channel(message.channel):
            return
        question = self.question_text(message)
        try:
            await self._answer(message, question, addressed)
        except Exception:
            log.exception("error answering message %s in channel %s", message.id, message.channel.id)
            try:
                await message.reply(apology_text(detect_lang(question)), mention_author=False, allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as exc:
                log.warning("could not send the apology for message %s: %s", message.id, exc)

    async def _answer(self, message: discord.Message, question: str, addressed: bool) -> None:
        started = time.perf_counter()
        ctx = await self.bot.get_context(message)
        if ctx.valid:
            return  # a text command such as "@bot sync": the command handles it
        # the same person in the same channel (or DM) is one conversation: follow-ups read in context
        key = (message.channel.id, message.author.id)
        reply, turn = self.bot.conversations.answer(self.bot.service.answerer, key, question, strict=not addressed)
        if not addressed and reply.kind != "answer":
            return  # unprompted: only confident answers, never suggestions or declines
        wait = self.bot.cooldowns.retry_after(message.author.id, message.channel.id)
        if wait > 0:
            if addressed:
                await self._quiet_cooldown(message)
            return
        self.bot.cooldowns.record(message.author.id, message.channel.id)
        if turn is not None:
            self.bot.conversations.remember(key, turn)  # only what was answered becomes the context
        self.bot.record_reply(reply, message.channel.id, message.author.id)
        view = self.bot.renderer.view(reply)
        kwargs: dict = {"embeds": self.bot.renderer.embeds(reply), "mention_author": False, "allowed_mentions": discord.AllowedMentions.none()}
        if view is not None:
            kwargs["view"] = view
        await message.reply(**kwargs)
        log_reply(reply, started, "mention" if addressed else "channel")

    async def _quiet_cooldown(self, message: discord.Message) -> None:
        # A reaction says "seen, wait a moment" without adding a message to the channel.
        try:
            await message.add_reaction(COOLDOWN_EMOJI)
        except discord.HTTPException as exc:
            log.info("cooldown reaction on %s not added: %s", message.id, exc)


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Chat(bot))
