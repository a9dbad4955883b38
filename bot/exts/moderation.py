"""/kb: the moderators' commands for the knowledge base, and reports of automatic reloads.

    /kb reload                      validate, rebuild off the event loop, swap; report changes or every problem
    /kb misses [days] [page]        the unanswered-question inbox, near-duplicates grouped
    /kb stats [days]                per fact: asked, answered, suggested, votes; overall rates
    /kb add-question fact question  add a phrasing to the bot-owned file, reload, confirm
    /kb audit                       the latest entries of the audit log

Who is a moderator is decided here, on every command: a role in
`discord.moderator_role_ids` or the Manage Server permission. The group's
`default_permissions` only decides who sees the commands, and a server's admins can change
that, so it is never trusted. A refused attempt changes nothing and is audited.

Every reload (by command or by the file watcher), every added phrasing and every refused
attempt goes to the audit log (`Storage.record_audit`) and to `mod_log_channel_id`, posted
with no mentions allowed. Replies to moderators are private and fit Discord's limits.

The work itself is the core's: `KnowledgeService.reload_async`, `QuestionStore`,
`Storage`, `describe_reload`; this module parses, checks, calls and formats.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.reply import Answerer
from bot.answer.two_part import PARTLY_DECLINED_REASON, answer_alone
from bot.app import CHOICE_MAX, CHOICES_MAX, CONTENT_MAX, DESCRIPTION_MAX, clip, escape_user_text
from bot.client import SurveyBot
from bot.knowledge.store import AddResult, QuestionStore
from bot.service import ReloadResult
from bot.storage import AuditEntry, MissGroup, Stats, Storage, StorageError
from bot.watch import KnowledgeWatcher, describe_reload

_T = TypeVar("_T")

log = logging.getLogger(__name__)

REFUSAL = "Only moderators can use /kb commands (a moderator role, or the Manage Server permission). Nothing was changed."
NO_STORAGE = "This bot runs without its database, so there is nothing recorded to show."
MISSES_PER_PAGE = 12
AUDIT_SHOWN = 20
WATCHER_ACTOR = "knowledge watcher (file change)"
COLOUR = discord.Colour.dark_teal()


# ---------------------------------------------------------------- who may


def is_moderator(interaction: discord.Interaction, moderator_role_ids: tuple[int, ...]) -> bool:
    """A member of a server with a moderator role, or with Manage Server there (admins have it)."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False  # moderator status belongs to a server; a DM has none
    # the permissions Discord resolved for this member when the command was used
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return True
    return any(role.id in moderator_role_ids for role in interaction.user.roles)


def actor_of(user: discord.abc.User) -> str:
    """Who did it, for the audit log: the account name and its id (names change, ids do not)."""
    return f"{user.name} ({user.id})"


def named(user: discord.abc.User) -> str:
    """Who did it, for the mod log: a name and id rather than a mention, so nothing posted
    there can notify anyone, whatever happens to the allowed-mentions setting."""
    return f"**{escape_user_text(user.display_name, 80)}** ({user.id})"


# ---------------------------------------------------------------- fitting text


def fit_lines(head: list[str], lines: list[str], limit: int, more: str) -> str:
    """`head` and as many whole `lines` as fit in `limit` characters; the rest counted by `more`
    (a format string with {n}), so a moderator always knows something was left out."""
    text = "\n".join(head)
    for shown, line in enumerate(lines):
        left = len(lines) - shown
        tail = "\n" + more.format(n=left - 1) if left > 1 else ""
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) + len(tail) <= limit:
            text = candidate
            continue
        note = more.format(n=left)
        return clip(f"{text}\n{note}" if text else note, limit)
    return clip(text, limit)


def ids_text(ids: tuple[str, ...], limit: int = 500) -> str:
    """Fact ids, comma-separated, cut with a count when there are very many."""
    out = ""
    for shown, fid in enumerate(ids):
        candidate = f"{out}, {fid}" if out else fid
        if len(candidate) > limit:
            return f"{out} … and {len(ids) - shown} more"
        out = candidate
    return out


def reload_text(result: ReloadResult, folder: Path, limit: int = CONTENT_MAX) -> str:
    """A reload's outcome for Discord: the facts added, changed and removed by id, or every
    problem with file and line (as many as fit, then a count)."""
    if result.ok:
        diff = result.diff
        if diff.empty:
            return f"Knowledge reloaded (version {result.version}): no facts changed."
        parts = [f"{label} {len(ids)}: {ids_text(ids)}" for label, ids in (("added", diff.added), ("changed", diff.changed), ("removed", diff.removed)) if ids]
        return clip(f"Knowledge reloaded (version {result.version}): " + "; ".join(parts) + ".", limit)
    described = describe_reload(result, folder, max_problems=len(result.problems)).splitlines()
    # each problem as code, so YAML quoted in it cannot format the message; one long line cannot crowd out the rest
    problems = ["`" + clip(line.replace("`", "'"), 400) + "`" for line in described[1:]]
    return fit_lines(described[:1], problems, limit, "… and {n} more problem(s): run `python -m bot validate` to see them all")


def _changed_files(files: tuple[str, ...], folder: Path) -> str:
    names = []
    for path in files:
        try:
            names.append(os.path.relpath(path, folder))
        except ValueError:
            names.append(os.path.basename(path))
    return ids_text(tuple(names), 300)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _outcome(reply_kind: str, fact_id: str | None, reason: str = "") -> str:
    if reply_kind == "answer" and reason == PARTLY_DECLINED_REASON:
        return f"answered in part by `{fact_id}`, the rest still declined"
    if reply_kind == "answer":
        return f"now answered by `{fact_id}`"
    return "now gets did-you-mean" if reply_kind == "suggest" else "still declined"


def misses_page(groups: list[MissGroup], page: int) -> tuple[list[MissGroup], int, int]:
    """The groups on `page` (a page past the end shows the last one), the page shown, the page count."""
    pages = max(1, -(-len(groups) // MISSES_PER_PAGE))
    page = min(max(page, 1), pages)
    return groups[(page - 1) * MISSES_PER_PAGE : page * MISSES_PER_PAGE], page, pages


def misses_embed(groups: list[MissGroup], now: dict[str, str], days: int, page: int) -> discord.Embed:
    asked = sum(g.count for g in groups)
    shown, page, pages = misses_page(groups, page)
    embed = discord.Embed(title=f"Unanswered questions, last {days} day(s)", colour=COLOUR)
    if not groups:
        embed.description = "Nothing unanswered in this period."
        return embed
    lines = []
    for number, g in enumerate(shown, (page - 1) * MISSES_PER_PAGE + 1):
        people = f"{g.askers} {'person' if g.askers == 1 else 'people'}" if g.askers else "unknown askers"
        closest = f"closest `{g.closest_fact}` ({g.closest_score:.2f})" if g.closest_fact else "no close fact"
        others = f" · +{len(g.variants) - 1} other wording(s)" if len(g.variants) > 1 else ""
        state = now.get(g.question, "")
        lines.append(f"**{number}.** {g.count}× by {people}: “{escape_user_text(g.question, 200)}”\n{closest}{' · ' + state if state else ''}{others}")
    more = "… and {n} more on this page"
    embed.description = fit_lines([], lines, DESCRIPTION_MAX, more)
    footer = f"{asked} asked, {len(groups)} distinct · page {page} of {pages}"
    if page < pages:
        footer += f" · next: /kb misses days:{days} page:{page + 1}"
    footer += " · add a phrasing with /kb add-question"
    embed.set_footer(text=footer)
    return embed


def stats_embed(stats: Stats, days: int | None) -> discord.Embed:
    span = f"last {days} day(s)" if days is not None else "everything kept"
    embed = discord.Embed(title=f"Knowledge base statistics ({span})", colour=COLOUR)
    if stats.questions:
        head = (
            f"{stats.questions} question(s): answered {stats.answered} ({stats.rate('answer'):.0%}), "
            f"did-you-mean {stats.suggested} ({stats.rate('suggest'):.0%}), declined {stats.declined} ({stats.rate('decline'):.0%})."
        )
    else:
        head = "No questions recorded in this period."
    width = max([4, *(len(s.fact_id) for s in stats.facts)])
    table = [f"{'fact':<{width}} {'asked':>5} {'ans':>4} {'sugg':>4} {'up':>3} {'down':>4}"]
    table += [f"{s.fact_id:<{width}} {s.asked:>5} {s.answered:>4} {s.suggested:>4} {s.votes_up:>3} {s.votes_down:>4}" for s in stats.facts]
    # a code block keeps the columns aligned; facts that do not fit are counted at its end
    block = fit_lines([], table, DESCRIPTION_MAX - len(head) - 10, "… and {n} more fact(s): python -m bot stats lists them all")
    embed.description = f"{head}\n```\n{block}\n```"
    return embed


def audit_embed(entries: list[AuditEntry]) -> discord.Embed:
    embed = discord.Embed(title="Audit log (newest first)", colour=COLOUR)
    if not entries:
        embed.description = "The audit log is empty."
        return embed
    lines = [f"`{_when(e.at)}` **{escape_user_text(e.action, 40)}** by {escape_user_text(e.actor, 80)}\n{escape_user_text(e.details, 300)}" for e in entries]
    embed.description = fit_lines([], lines, DESCRIPTION_MAX, "… and {n} more: `python -m bot audit --config FILE` prints them all")
    embed.set_footer(text=f"The latest {len(entries)} entries")
    return embed


# ---------------------------------------------------------------- the cog


class Moderation(commands.Cog):
    kb = app_commands.Group(
        name="kb",
        description="Moderator tools for the knowledge base.",
        guild_only=True,
        # only who sees the commands by default; every command checks again (is_moderator)
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot
        self.watcher: KnowledgeWatcher | None = None

    async def cog_load(self) -> None:
        if self.bot.watch_knowledge:
            self.watcher = KnowledgeWatcher(self.bot.service, on_result=self.report_watched_reload)
            self.watcher.start()
            log.info("watching %s for knowledge changes", self.bot.service.path)

    async def cog_unload(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
            self.watcher = None

    # -- shared pieces --

    async def _allowed(self, interaction: discord.Interaction) -> bool:
        """True for a moderator. Anyone else gets a short private refusal, which is audited."""
        if is_moderator(interaction, self.bot.config.discord.moderator_role_ids):
            return True
        name = f"/{interaction.command.qualified_name}" if interaction.command else "/kb"
        await self.bot.tell(interaction, REFUSAL)
        where = f"<#{interaction.channel_id}>" if interaction.guild_id else "a direct message"
        self.audit(interaction.user, "refused", f"{name} in channel {interaction.channel_id}: not a moderator")
        await self.post_mod_log(f"⛔ {named(interaction.user)} tried `{name}` in {where} but is not a moderator; nothing was changed.")
        return False

    def audit(self, user: discord.abc.User | str, action: str, details: str) -> None:
        if self.bot.storage is None:
            return
        actor = user if isinstance(user, str) else actor_of(user)
        if not self.bot.storage.record_audit(actor, action, details):
            log.error("audit entry not accepted by storage: %s %s %s", actor, action, details)

    async def post_mod_log(self, text: str) -> None:
        """Post to the moderators' log channel, if one is set. Nobody is pinged, whatever the text holds."""
        channel_id = self.bot.config.discord.mod_log_channel_id
        if channel_id is None:
            return
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            await channel.send(clip(text, CONTENT_MAX), allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            # one attempt: a missing channel or permission will not fix itself by retrying
            log.warning("could not post to the mod log channel %s: %s", channel_id, exc)

    async def _private(self, interaction: discord.Interaction, content: str | None = None, *, embed: discord.Embed | None = None) -> None:
        kwargs: dict = {"ephemeral": True, "allowed_mentions": discord.AllowedMentions.none()}
        if content is not None:
            kwargs["content"] = clip(content, CONTENT_MAX)
        if embed is not None:
            kwargs["embed"] = embed
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)

    async def _defer(self, interaction: discord.Interaction) -> None:
        # reloads, validation and database reads can pass Discord's 3-second limit
        await interaction.response.defer(ephemeral=True, thinking=True)

    # -- /kb reload --

    @kb.command(name="reload", description="Validate the knowledge files and reload them; on any problem keep the current ones.")
    async def reload(self, interaction: discord.Interaction) -> None:
        if not await self._allowed(interaction):
            return
        await self._defer(interaction)
        result = await self.bot.service.reload_async()
        text = reload_text(result, self.bot.service.path)
        await self._private(interaction, text)
        self.audit(interaction.user, "reload" if result.ok else "reload-failed", _audit_details(result))
        await self.post_mod_log(f"🔄 {named(interaction.user)} ran `/kb reload`. " + reload_text(result, self.bot.service.path, CONTENT_MAX - 80))

    async def report_watched_reload(self, result: ReloadResult, files: tuple[str, ...]) -> None:
        """The file watcher's result: audited and posted like a reload by command."""
        changed = _changed_files(files, self.bot.service.path)
        self.audit(WATCHER_ACTOR, "reload" if result.ok else "reload-failed", f"files: {changed}; {_audit_details(result)}")
        await self.post_mod_log(f"🔄 Knowledge files changed ({changed}). " + reload_text(result, self.bot.service.path, CONTENT_MAX - 400))

    async def _read(self, interaction: discord.Interaction, what: str, query: Callable[[Storage], Awaitable[_T]]) -> _T | None:
        """The moderator check, then one read from the database; None once the user has been told why not."""
        if not await self._allowed(interaction):
            return None
        storage = self.bot.storage
        if storage is None:
            await self._private(interaction, NO_STORAGE)
            return None
        await self._defer(interaction)
        try:
            return await query(storage)
        except StorageError as exc:
            await self._private(interaction, f"Cannot read {what}: {exc}")
            return None

    # -- /kb misses --

    @kb.command(name="misses", description="List the questions the bot did not answer, near-duplicates grouped.")
    @app_commands.describe(days="How many days back to look (default 7)", page="Which page of the list (default 1)")
    async def misses(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650] = 7, page: app_commands.Range[int, 1, 1000] = 1) -> None:
        groups = await self._read(interaction, "the inbox", lambda storage: storage.miss_groups_async(days))
        if groups is None:
            return
        shown, _page, _pages = misses_page(groups, page)
        now = await asyncio.to_thread(_now_outcomes, self.bot.service.answerer, shown)
        await self._private(interaction, embed=misses_embed(groups, now, days, page))

    # -- /kb stats --

    @kb.command(name="stats", description="Show per fact how often it was asked, answered, suggested and voted on.")
    @app_commands.describe(days="Only the last N days (default: everything kept)")
    async def stats(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        fact_ids = [f.id for f in self.bot.service.answerer.kb.facts]
        stats = await self._read(interaction, "the statistics", lambda storage: storage.stats_async(days, fact_ids))
        if stats is None:
            return
        await self._private(interaction, embed=stats_embed(stats, days))

    # -- /kb add-question --

    @kb.command(name="add-question", description="Add a question phrasing to a fact, then reload.")
    @app_commands.describe(fact="The fact that answers it (start typing its id or a question)", question="The question, as people ask it (one line)")
    async def add_question(self, interaction: discord.Interaction, fact: str, question: str) -> None:
        if not await self._allowed(interaction):
            return
        await self._defer(interaction)
        store = QuestionStore(self.bot.service.path, self.bot.service.limits, self.bot.service.load_cache)
        added = await store.add_question_async(fact, question)
        shown_q = escape_user_text(question, 200)
        shown_fact = escape_user_text(fact, 100)
        if not added:
            await self._private(interaction, f"Not added: {escape_user_text(added.reason, 1500)}")
            self.audit(interaction.user, "add-question-refused", f"fact {fact.strip()!r}: {question.strip()!r}: {added.reason}")
            await self.post_mod_log(f"⛔ {named(interaction.user)} tried to add “{shown_q}” to `{shown_fact}`; refused: {escape_user_text(added.reason, 1200)}")
            return
        item = added.addition
        assert item is not None  # an accepted addition always carries what was added
        result = await self.bot.service.reload_async()
        text = confirmation_text(added, result, self.bot.service.answerer, self.bot.service.path)
        await self._private(interaction, text)
        self.audit(interaction.user, "add-question", f"fact {item.fact!r}: {item.question!r} ({item.lang}); {_audit_details(result)}")
        await self.post_mod_log(f"➕ {named(interaction.user)} used `/kb add-question`. " + text)

    @add_question.autocomplete("fact")
    async def fact_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction, self.bot.config.discord.moderator_role_ids):
            return []
        return fact_choices(self.bot.service.answerer, current)

    # -- /kb audit --

    @kb.command(name="audit", description="Show the latest reloads, additions and refused attempts.")
    async def audit_log(self, interaction: discord.Interaction) -> None:
        entries = await self._read(interaction, "the audit log", lambda storage: storage.audit_entries_async(limit=AUDIT_SHOWN))
        if entries is None:
            return
        await self._private(interaction, embed=audit_embed(entries))


def _now_outcomes(answerer: Answerer, groups: list[MissGroup]) -> dict[str, str]:
    """What the current knowledge does with each question: so a fixed one can be skipped."""
    out = {}
    for g in groups:
        reply = answer_alone(answerer, g.question)  # as a member asking it now would get it
        out[g.question] = _outcome(reply.kind, reply.fact_id, reply.reason)
    return out


def _audit_details(result: ReloadResult) -> str:
    if result.ok:
        return f"version {result.version}: {result.diff.summary()}"
    return f"{len(result.problems)} problem(s), previous knowledge kept: " + "; ".join(str(p) for p in result.problems)


def confirmation_text(added: AddResult, result: ReloadResult, answerer: Answerer, folder: Path) -> str:
    """What a moderator reads after an addition: what was written, the reload, and what the
    same question gets now."""
    item = added.addition
    assert item is not None
    where = added.path.name if added.path else "the bot's file"
    lines = [f"Added “{escape_user_text(item.question, 200)}” ({item.lang}) to `{item.fact}` in {where}."]
    if not result.ok:
        lines.append("The phrasing is saved, but the knowledge could not be reloaded; still answering from the previous knowledge.")
        lines.append(reload_text(result, folder, 1200))
        return "\n".join(lines)
    lines.append(reload_text(result, folder, 600))
    reply = answerer.ask(item.question)
    if reply.kind == "answer" and reply.fact_id == item.fact:
        lines.append(f"Asking it now gets the answer from `{item.fact}`.")
    else:
        got = f"the answer from `{reply.fact_id}`" if reply.kind == "answer" else "a did-you-mean" if reply.kind == "suggest" else "no answer"
        lines.append(f"Note: asking it now still gets {got}; other phrasings match it more closely. Check with `python -m bot check-questions`.")
    return "\n".join(lines)


def fact_choices(answerer: Answerer, typed: str) -> list[app_commands.Choice[str]]:
    """Facts for the autocomplete: ids containing the text first (moderators copy them from
    /kb misses), then what the matcher ranks for it as a question."""
    kb = answerer.kb
    needle = typed.strip().lower()
    if not needle:
        ordered = list(kb.facts)
    else:
        by_id = sorted((f for f in kb.facts if needle in f.id.lower()), key=lambda f: (not f.id.lower().startswith(needle), f.id))
        ranked = [kb.fact(c.fact_id) for c in answerer.search(typed).candidates]
        ordered = list({f.id: f for f in [*by_id, *(f for f in ranked if f is not None)]}.values())
    choices = []
    for fact in ordered:
        if len(fact.id) > CHOICE_MAX:
            continue  # the value must name the fact exactly; it cannot be cut
        phrasings = fact.questions.get("en") or fact.questions.get("ja") or ("",)
        choices.append(app_commands.Choice(name=clip(f"{fact.id} — {phrasings[0]}", CHOICE_MAX), value=fact.id))
        if len(choices) == CHOICES_MAX:
            break
    return choices


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Moderation(bot))
