"""Charts in Discord: `/chart topic:<autocomplete>` and a "Chart" button under answers.

`/chart` posts the chart's PNG as an attached file inside an embed that shows it
(`attachment://...`), with the chart's title, its source lines and links, in the asker's
language. The "Chart" button appears under answers whose fact belongs to a chart group or a
dated series; a click adds the image to that answer and takes the button away.

The chart core (bot.charts) does the work: which charts exist, their data, and the PNG,
cached by knowledge version. Drawing a chart on a cold cache takes a few hundred
milliseconds of matplotlib, so it always runs in a worker thread, after the interaction is
deferred. Looking a chart up is pure and quick; it happens before the deferral, so a wrong
name gets a private note rather than a public "thinking..." message turned into an error.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from rapidfuzz import fuzz

from bot.answer.format import source_title
from bot.answer.reply import Reply
from bot.app import (
    CHOICE_MAX,
    CHOICES_MAX,
    COLOUR,
    CUSTOM_ID_MAX,
    DESCRIPTION_MAX,
    FIELD_VALUE_MAX,
    TITLE_MAX,
    clip,
    escape_user_text,
    fit_embed,
    lang_of_locale,
    source_link,
    split_within,
)
from bot.charts import ChartData, ChartError, ChartSpec, NothingToChart, available_charts, chart_data, chart_for_fact, find_chart, render_chart
from bot.client import SurveyBot
from bot.knowledge.model import KnowledgeBase
from bot.messages import message
from bot.text.normalise import normalise

log = logging.getLogger(__name__)

BUTTON_PREFIX = "chart:"
ATTACHMENT_DESCRIPTION_MAX = 1024  # the alt text Discord keeps for an attachment

# ---------------------------------------------------------------- choosing a chart


# Autocomplete runs on every keystroke: the searchable text of each chart is worked out once
# per knowledge version (only the latest version is kept).
_haystacks: dict[str, dict[tuple[str, str], str]] = {}


def _haystack(kb: KnowledgeBase, spec: ChartSpec) -> str:
    known = _haystacks.get(kb.version)
    if known is None:
        _haystacks.clear()
        known = _haystacks[kb.version] = {}
    key = (spec.kind, spec.key)
    if key not in known:
        known[key] = _searchable_text(kb, spec)
    return known[key]


def _searchable_text(kb: KnowledgeBase, spec: ChartSpec) -> str:
    """Everything a person might type to find a chart: its titles and key, its topic, and the
    questions and keywords of its facts ("usage rate" is in no title, but in the questions)."""
    parts = [spec.title_en, spec.title_ja, spec.key.replace("-", " ")]
    topic = kb.topic(spec.topic)
    if topic is not None:
        parts += [topic.title.en, topic.title.ja]
    for fact_id in spec.fact_ids:
        fact = kb.fact(fact_id)
        if fact is None:
            continue
        for phrasings in (*fact.questions.values(), *fact.keywords.values()):
            parts.extend(phrasings)
    return normalise(" ".join(parts))


def ranked_charts(kb: KnowledgeBase, typed: str, lang: str) -> list[ChartSpec]:
    """Charts for what has been typed, best first: every typed word in the title shown, then
    every word anywhere the chart is described, then the rest by fuzzy likeness. With nothing
    typed, all charts in the knowledge base's order. Nothing is dropped: the list is short, and
    a misspelt word should still leave the charts to pick from."""
    charts = available_charts(kb)
    words = normalise(typed).split()
    if not words:
        return charts
    query = " ".join(words)

    def rank(item: tuple[int, ChartSpec]) -> tuple[int, float, int]:
        position, spec = item
        title = normalise(spec.title(lang))
        haystack = _haystack(kb, spec)
        if all(w in title for w in words):
            tier = 0
        elif all(w in haystack for w in words):
            tier = 1
        else:
            tier = 2
        return tier, -fuzz.partial_ratio(query, haystack), position

    return [spec for _, spec in sorted(enumerate(charts), key=rank)]


def chart_choices(kb: KnowledgeBase, typed: str, lang: str) -> list[app_commands.Choice[str]]:
    """At most 25 choices, each a title of at most 100 characters; the value is the chart key."""
    choices = []
    for spec in ranked_charts(kb, typed, lang):
        if len(spec.key) > CHOICE_MAX:
            continue  # a value cannot be cut: it must name the chart exactly
        choices.append(app_commands.Choice(name=clip(spec.title(lang), CHOICE_MAX) or spec.key, value=spec.key))
        if len(choices) == CHOICES_MAX:
            break
    return choices


def resolve_chart(kb: KnowledgeBase, name: str, lang: str) -> ChartSpec | str:
    """The chart a /chart value names (a chart key from the list; also a fact id, a topic with
    one chart, or a title typed out in full), or a short message for the asker."""
    name = name.strip()
    try:
        return find_chart(kb, name)
    except NothingToChart:
        return message("chart.nothing", lang, name=escape_user_text(name, 100))
    except ChartError:
        pass
    wanted = normalise(name)
    for spec in available_charts(kb):
        if wanted and wanted in (normalise(spec.title_en), normalise(spec.title_ja)):
            return spec
    return message("chart.unknown", lang, name=escape_user_text(name, 100))


# ---------------------------------------------------------------- the message


def attachment_name(spec: ChartSpec, lang: str) -> str:
    # Discord matches attachment:// by file name; keep it to characters no client rewrites.
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"chart-{spec.key}-{lang}") + ".png"


def chart_file(png: bytes, spec: ChartSpec, lang: str) -> discord.File:
    return discord.File(io.BytesIO(png), filename=attachment_name(spec, lang), description=clip(spec.title(lang), ATTACHMENT_DESCRIPTION_MAX))


def _source_blocks(kb: KnowledgeBase, data: ChartData, lang: str) -> tuple[list[str], list[str]]:
    """(one block per source: the line printed under the image, then its link; the footer's
    other notes, such as figures reported beside a series)."""
    blocks = []
    for i, source_id in enumerate(data.source_ids):
        line = data.footer[i] if i < len(data.footer) else source_id
        src = kb.sources.get(source_id)
        if src is None:
            blocks.append(line)
            continue
        blocks.append(f"{line}\n{source_link(source_title(src, lang), src.url)}")
    return blocks, list(data.footer[len(data.source_ids) :])


def chart_embed(kb: KnowledgeBase, data: ChartData, filename: str) -> discord.Embed:
    """The embed around a chart image: title, what the figures are of, sources with links."""
    lang = data.lang
    blocks, notes = _source_blocks(kb, data, lang)
    embed = discord.Embed(
        title=clip(data.spec.title(lang), TITLE_MAX),
        description=clip("\n".join([*data.subtitle, *notes]), DESCRIPTION_MAX) or None,
        colour=COLOUR["info"],
    )
    first_url = next((kb.sources[s].url for s in data.source_ids if s in kb.sources and kb.sources[s].url.startswith(("https://", "http://"))), None)
    if first_url:
        embed.url = first_url.replace(" ", "%20")
    embed.set_image(url=f"attachment://{filename}")
    # the sources in as many fields as they need (a long series cites many reports), the first named
    for i, value in enumerate(split_within(blocks, FIELD_VALUE_MAX)):
        name = message("source" if len(blocks) == 1 else "sources", lang) if i == 0 else "\u200b"
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=message("version", lang, v=kb.version))
    return fit_embed(embed)


# ---------------------------------------------------------------- the button under answers


class ChartButton(discord.ui.DynamicItem[discord.ui.Button], template=r"chart:(?P<lang>en|ja):(?P<fact_id>[A-Za-z0-9_.-]{1,80})"):
    """Adds the chart of an answer's fact to that answer. The fact and language live in the
    custom id, so a click works after a restart; the chart is looked up at click time, so it
    is the one the knowledge base holds then."""

    def __init__(self, fact_id: str, lang: str) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary, label=message("chart.button", lang), emoji="📊", custom_id=f"{BUTTON_PREFIX}{lang}:{fact_id}"
            )
        )
        self.fact_id = fact_id
        self.lang = lang

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /) -> ChartButton:
        return cls(match["fact_id"], match["lang"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: SurveyBot = interaction.client  # type: ignore[assignment]
        try:
            await add_chart_to_answer(bot, interaction, self.fact_id, self.lang)
        except Exception:
            # discord.py only logs errors in dynamic items; the user still deserves an answer
            log.exception("error adding the chart for button %s", self.custom_id)
            await bot.apologise(interaction, self.lang)


def chart_button_maker(bot: SurveyBot) -> Callable[[Reply], list[discord.ui.Item[Any]]]:
    """A button maker for the reply renderer: a Chart button on answers of charted facts."""

    def make(reply: Reply) -> list[discord.ui.Item[Any]]:
        if reply.kind != "answer" or not reply.fact_id:
            return []
        if chart_for_fact(bot.service.answerer.kb, reply.fact_id) is None:
            return []
        custom_id = f"{BUTTON_PREFIX}{reply.lang}:{reply.fact_id}"
        if len(custom_id) > CUSTOM_ID_MAX or not ChartButton.__discord_ui_compiled_template__.fullmatch(custom_id):
            log.warning("fact id %r cannot be put in a button's custom id; no chart button for it", reply.fact_id)
            return []
        return [ChartButton(reply.fact_id, reply.lang)]

    return make


async def add_chart_to_answer(bot: SurveyBot, interaction: discord.Interaction, fact_id: str, lang: str) -> None:
    """Put the chart image into the answer whose button was clicked, and remove the button."""
    kb = bot.service.answerer.kb
    spec = chart_for_fact(kb, fact_id)
    if spec is None:
        await bot.tell(interaction, message("chart.gone", lang))
        return
    try:
        data = chart_data(kb, spec, lang)
    except ChartError:
        await bot.tell(interaction, message("chart.gone", lang))
        return
    await interaction.response.defer()  # a deferred update: the answer itself is edited
    png = await asyncio.to_thread(render_chart, kb, spec.key, lang)
    file = chart_file(png, spec, lang)
    answer = interaction.message
    embeds = list(answer.embeds) if answer is not None else []
    if embeds:
        embeds[0].set_image(url=f"attachment://{file.filename}")
    else:
        embeds = [chart_embed(kb, data, file.filename)]
    view = _view_without_chart_buttons(answer)
    await interaction.edit_original_response(embeds=embeds, attachments=[file], view=view, allowed_mentions=discord.AllowedMentions.none())
    if view is not None:
        # The rebuilt view only carries the other buttons' custom ids (their DynamicItems answer
        # the clicks); stopping it keeps discord.py from holding it in memory for this message.
        view.stop()


def _view_without_chart_buttons(answer: discord.Message | None) -> discord.ui.View | None:
    if answer is None or not answer.components:
        return None
    view = discord.ui.View.from_message(answer, timeout=None)
    for item in list(view.children):
        if str(getattr(item, "custom_id", "") or "").startswith(BUTTON_PREFIX):
            view.remove_item(item)
    return view if view.children else None


# ---------------------------------------------------------------- /chart


class Charts(commands.Cog):
    def __init__(self, bot: SurveyBot) -> None:
        self.bot = bot
        self.button_maker = chart_button_maker(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ChartButton)
        self.bot.renderer.add_buttons(self.button_maker)

    async def cog_unload(self) -> None:
        self.bot.renderer.remove_buttons(self.button_maker)
        self.bot.remove_dynamic_items(ChartButton)

    @app_commands.command(name="chart", description="Show a chart of survey figures, with its sources.")
    @app_commands.describe(topic="Start typing a subject, then pick the chart", private="Only you see the chart (default: everyone in the channel)")
    async def chart(self, interaction: discord.Interaction, topic: str, private: bool = False) -> None:
        lang = lang_of_locale(interaction.locale)
        kb = self.bot.service.answerer.kb  # one knowledge base for the lookup and the image
        found = resolve_chart(kb, topic, lang)
        if isinstance(found, str):
            await self.bot.tell(interaction, found)
            return
        try:
            data = chart_data(kb, found, lang)
        except ChartError:
            await self.bot.tell(interaction, message("chart.nothing", lang, name=escape_user_text(found.title(lang), 100)))
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        png = await asyncio.to_thread(render_chart, kb, found.key, lang)
        file = chart_file(png, found, lang)
        await interaction.followup.send(
            embed=chart_embed(kb, data, file.filename), file=file, ephemeral=private, allowed_mentions=discord.AllowedMentions.none()
        )

    @chart.autocomplete("topic")
    async def chart_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return chart_choices(self.bot.service.answerer.kb, current, lang_of_locale(interaction.locale))


async def setup(bot: SurveyBot) -> None:
    await bot.add_cog(Charts(bot))
