"""The Discord client: a `commands.Bot` that holds the knowledge service and loads one
extension per feature in `setup_hook`.

Nothing here matches questions: the extensions parse an event, call
`bot.service.answerer` (read per question, so a reload swaps it between two questions),
and render the Reply with `bot.renderer`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.conversation import Conversations
from bot.answer.reply import Reply
from bot.app import ReplyRenderer, apology_text, lang_of_locale
from bot.config import Config
from bot.logs import log_reply
from bot.service import KnowledgeService
from bot.storage import Storage

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.ask",  # /ask, /fact and the "did you mean" buttons under suggestions
    "bot.exts.chat",  # answers to mentions and in answer channels
    "bot.exts.info",  # /topics, /sources, /about
    "bot.exts.owner",  # owner-only text commands (sync)
    "bot.exts.charts",  # /chart and the Chart button under answers
    "bot.exts.moderation",  # /kb: reload, misses, stats, add-question, audit; the file watcher's reports
    "bot.exts.feedback",  # 👍/👎 buttons under answers
    "bot.exts.privacy",  # /privacy show and delete: what the bot keeps about a member
)
TEXT_PREFIX = "!"
# Discord allows 3 s for the first response; past this much computing, defer and follow up.
DEFER_AFTER_SECONDS = 2.0


def build_intents(config: Config) -> discord.Intents:
    """Only what the bot uses. Message content is privileged: it is asked for only when
    answer channels are configured (mentions and slash commands work without it)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = bool(config.discord.answer_channel_ids)
    return intents


class SurveyTree(app_commands.CommandTree["SurveyBot"]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            await self.client.tell(interaction, str(error) or "You can't use this command here.")
            return
        name = interaction.command.qualified_name if interaction.command else "?"
        original = getattr(error, "original", error)
        log.error("error in /%s", name, exc_info=(type(original), original, original.__traceback__))
        await self.client.apologise(interaction, lang_of_locale(interaction.locale))


class ChatCooldowns:
    """Per-user and per-channel pauses between chat answers: one answer per pause, kept in
    discord.py's `CooldownMapping` (one bucket per user id or channel id, dropped once its
    pause is over); 0 seconds turns one off.

    Checking (`retry_after`) and using (`record`) are separate, unlike a command cooldown: a
    message uses up the pause only when the bot answers it, so chatter in an answer channel
    that gets no answer never delays the next real question.
    """

    def __init__(self, user_seconds: float, channel_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._users = _one_per(user_seconds)
        self._channels = _one_per(channel_seconds)

    def retry_after(self, user_id: int, channel_id: int) -> float:
        """Seconds until this user may get a chat answer in this channel; 0 when now."""
        now = self.clock()
        return max((bucket.get_retry_after(now) for bucket in self._buckets(user_id, channel_id, now)), default=0.0)

    def record(self, user_id: int, channel_id: int) -> None:
        now = self.clock()
        for bucket in self._buckets(user_id, channel_id, now):
            if bucket.update_rate_limit(now) is not None:
                # at the very instant a pause ends discord.py still counts its answer as used:
                # start the next pause now, as an answer at any later instant would
                bucket.reset()
                bucket.update_rate_limit(now)

    def _buckets(self, user_id: int, channel_id: int, now: float) -> list[commands.Cooldown]:
        pairs = ((self._users, user_id), (self._channels, channel_id))
        buckets = [mapping.get_bucket(key, now) for mapping, key in pairs if mapping is not None]
        return [bucket for bucket in buckets if bucket is not None]


def _by_id(key: int) -> int:
    return key


def _one_per(seconds: float) -> commands.CooldownMapping[int] | None:
    return commands.CooldownMapping.from_cooldown(1, seconds, _by_id) if seconds > 0 else None


class SurveyBot(commands.Bot):
    def __init__(
        self,
        config: Config,
        service: KnowledgeService,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        clock: Callable[[], float] = time.monotonic,
        defer_after: float = DEFER_AFTER_SECONDS,
        storage: Storage | None = None,
        watch_knowledge: bool = False,
    ) -> None:
        """`storage`: where outcomes, votes and the audit log go (None: nothing is recorded).
        `watch_knowledge`: reload when a knowledge file changes. `python -m bot run` sets both
        from the config; both are off by default so a bot built in a test or for `sync`
        writes no files and watches nothing."""
        intents = build_intents(config)
        super().__init__(
            # "!sync" can only be read with the Message Content intent; "@Bot sync" always can
            command_prefix=commands.when_mentioned_or(TEXT_PREFIX) if intents.message_content else commands.when_mentioned,
            intents=intents,
            # Nobody is ever pinged by the bot, whatever the question contained.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            owner_ids=set(config.discord.owner_ids) or None,
            tree_cls=SurveyTree,
            activity=discord.Activity(type=discord.ActivityType.listening, name="/ask"),
        )
        self.config = config
        self.service = service
        self.renderer = ReplyRenderer()
        self.extension_names = tuple(extensions)
        self.cooldowns = ChatCooldowns(config.chat.user_cooldown_seconds, config.chat.channel_cooldown_seconds, clock)
        self.conversations = Conversations(clock=clock)  # per (channel, user): follow-ups read against the last question
        self.defer_after = defer_after
        # One thread answers interactions, in turn: answering is pure Python, so more threads would
        # not answer faster, only take the interpreter lock from the event loop more often (150 /ask
        # at once on six threads starved the loop until deferrals missed Discord's 3 seconds).
        self._answering = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer")
        self.storage = storage
        self.watch_knowledge = watch_knowledge

    async def setup_hook(self) -> None:
        if self.storage is not None:
            self.storage.start()  # a database problem is logged and retried there; answering goes on
        for name in self.extension_names:
            await self.load_extension(name)
        log.info("loaded extensions: %s", ", ".join(self.extension_names))

    async def close(self) -> None:
        try:
            await super().close()  # unloads the extensions first: the watcher stops, no more records
        finally:
            self._answering.shutdown(wait=False, cancel_futures=True)
            if self.storage is not None:
                await self.storage.close_async()  # writes what is queued; logs what could not be

    def record_reply(self, reply: Reply, channel_id: int | None, user_id: int | None) -> None:
        """Count a question's outcome for the moderators; a decline or did-you-mean goes to the
        inbox (/kb misses). The user id is stored only as a salted hash."""
        if self.storage is None:
            return
        try:
            self.storage.record_reply(reply, channel_id, user_id)
        except Exception:
            # statistics must never cost anyone their answer
            log.exception("could not record the outcome of a question")

    async def on_ready(self) -> None:
        user = self.user
        log.info("connected as %s (id %s) to %d guild(s)", user, user.id if user else "?", len(self.guilds))

    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:  # type: ignore[override]
        if isinstance(error, commands.CommandNotFound):
            return  # "!something" is ordinary chatter
        if isinstance(error, commands.CheckFailure):
            await ctx.reply("Only the bot's owner can use that command.", mention_author=False)
            return
        original = getattr(error, "original", error)
        log.error("error in text command %s", ctx.command, exc_info=(type(original), original, original.__traceback__))
        try:
            await ctx.reply(apology_text("en"), mention_author=False)
        except discord.HTTPException:
            log.warning("could not send the apology for text command %s", ctx.command)

    # ------------------------------------------------------------ interactions

    async def respond(self, interaction: discord.Interaction, compute: Callable[[], Reply | str], *, ephemeral: bool, record: bool = False) -> None:
        """Answer an interaction with the Reply `compute` returns (a str: a private notice instead).

        `compute` runs in the bot's answering thread; if it has not finished after `defer_after`
        seconds (0: at once) the interaction is deferred, so Discord's 3-second deadline always holds.
        `record`: the Reply answers someone's question (/ask, a did-you-mean click), so its
        outcome is counted for the moderators.
        """
        started = time.perf_counter()
        work = asyncio.get_running_loop().run_in_executor(self._answering, compute)
        # defer_after 0: defer at once (a zero timeout would race the answering thread)
        done = (await asyncio.wait({work}, timeout=self.defer_after))[0] if self.defer_after > 0 else set()
        if not done:
            try:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            except Exception:
                # the answer is no longer wanted; collect it so its error is not reported as lost
                work.add_done_callback(lambda f: f.cancelled() or f.exception())
                raise
        reply = await work
        if isinstance(reply, str):
            await self.tell(interaction, reply)
            return
        if record:
            self.record_reply(reply, interaction.channel_id, interaction.user.id)
        view = self.renderer.view(reply)
        kwargs = {"embeds": self.renderer.embeds(reply), "ephemeral": ephemeral, "allowed_mentions": discord.AllowedMentions.none()}
        if view is not None:
            kwargs["view"] = view
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)
        log_reply(reply, started, interaction.type.name)  # application_command or component (a button)

    async def tell(self, interaction: discord.Interaction, text: str) -> None:
        """A short private message to whoever used the command or button."""
        text = text[:2000]
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    async def apologise(self, interaction: discord.Interaction, lang: str) -> None:
        try:
            await self.tell(interaction, apology_text(lang))
        except discord.HTTPException as exc:
            # the interaction may have expired; one attempt only, never a retry loop
            log.warning("could not send the apology for interaction %s: %s", interaction.id, exc)

    # ------------------------------------------------------------ command sync

    async def sync_app_commands(self) -> list[str]:
        """Register the slash commands: in each configured guild (instant), else globally.

        Called by `python -m bot sync` and the owner's text command, never on start:
        Discord allows 200 command creations a day per guild.
        """
        lines = []
        if self.config.discord.guild_ids:
            for guild_id in self.config.discord.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                lines.append(f"guild {guild_id}: {len(synced)} command(s) synced: {', '.join('/' + c.name for c in synced)}")
        else:
            synced = await self.tree.sync()
            lines.append(f"global: {len(synced)} command(s) synced: {', '.join('/' + c.name for c in synced)} (can take up to an hour to appear)")
        return lines


class ShardedSurveyBot(SurveyBot, commands.AutoShardedBot):
    """The same bot over several gateway connections (shards) in this one process, for
    `discord.shard_count`: one knowledge service, storage and set of cooldowns serve them all."""

    def __init__(self, config: Config, service: KnowledgeService, **kwargs: Any) -> None:
        super().__init__(config, service, **kwargs)
        count = config.discord.shard_count
        self.shard_count = count if isinstance(count, int) else None  # None ("auto"): as many as Discord advises


def make_bot(config: Config, service: KnowledgeService, **kwargs: Any) -> SurveyBot:
    """SurveyBot, sharded when the config sets discord.shard_count."""
    return (SurveyBot if config.discord.shard_count is None else ShardedSurveyBot)(config, service, **kwargs)


# ---------------------------------------------------------------- entry points for the CLI


class StartError(Exception):
    """A start-up problem, phrased as one line for the operator, with an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _explain(exc: BaseException) -> StartError | None:
    if isinstance(exc, discord.LoginFailure) or isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:
        return StartError("Discord rejected the token in DISCORD_TOKEN; copy it again from the developer portal (Bot > Reset Token)", 2)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return StartError(
            "Discord refused the Message Content intent, which answer_channel_ids needs: switch it on in the developer portal (Bot > Privileged Gateway Intents), or empty answer_channel_ids",
            2,
        )
    if isinstance(exc, discord.Forbidden):
        return StartError(f"Discord refused a request (403): {exc.text or exc}; check that the bot was invited with the applications.commands scope", 1)
    if isinstance(exc, discord.HTTPException):
        return StartError(f"Discord answered {exc.status}: {exc.text or exc}", 1)
    if isinstance(exc, discord.GatewayNotFound | discord.ConnectionClosed):
        return StartError(f"could not stay connected to Discord's gateway: {exc}", 1)
    if isinstance(exc, OSError | asyncio.TimeoutError):
        return StartError(f"could not reach Discord: {exc}", 1)
    return None


async def run_bot(bot: SurveyBot, token: str) -> None:
    """Log in and stay connected until stopped. Raises StartError with a one-line reason."""
    try:
        async with bot:
            _close_on_sigterm(bot)
            await bot.start(token)
    except Exception as exc:
        explained = _explain(exc)
        if explained is None:
            raise
        raise explained from None


def _close_on_sigterm(bot: SurveyBot) -> None:
    """`docker stop` and systemd send SIGTERM: log out cleanly instead of dying mid-reply."""
    import signal

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
    except (NotImplementedError, RuntimeError, ValueError):
        pass  # not available on this platform or outside the main thread: Ctrl-C still works


async def sync_once(bot: SurveyBot, token: str) -> list[str]:
    """Log in over HTTP only (no gateway), sync the slash commands, log out."""
    try:
        async with bot:
            await bot.login(token)
            return await bot.sync_app_commands()
    except Exception as exc:
        explained = _explain(exc)
        if explained is None:
            raise
        raise explained from None
