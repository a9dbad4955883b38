"""The Discord application's shared presentation layer: how the bot's messages look on Discord.

Used by the client (bot/client.py) and by the extensions (bot/exts/), it holds what they share:
- embeds for a `Reply` from the core and for /topics, /sources and /about;
- `ReplyRenderer`, which puts the buttons under a reply. Each feature adds its own maker ("did
  you mean" choices, feedback votes, a chart) with `renderer.add_buttons(maker)` when its
  extension loads, and registers its `DynamicItem` class there with `bot.add_dynamic_items`;
- the colours, and Discord's size limits with the helpers that keep text within them: `clip`,
  `join_within`, `fit_embed` (each part to its limit, the whole to 6,000 characters, so Discord
  never rejects a reply for its size), and `escape_user_text` for what a user wrote, shown back;
- `lang_of_locale`, the bot's language for a Discord client locale.

Presentation only: the decision to answer, suggest or decline was made by the core. Not an
extension: nothing here registers commands or listens to events.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import discord

from bot.answer.format import date_text, source_title
from bot.answer.reply import Reply, newest_figure_date
from bot.knowledge.model import KnowledgeBase
from bot.messages import message

log = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000  # all the embeds of one message together
EMBEDS_MAX = 10  # embeds in one message
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
CHOICE_MAX = 100
CHOICES_MAX = 25
ROW_ITEMS_MAX = 5
VIEW_ITEMS_MAX = 25

ECHO_MAX = 300  # how much of the asker's text is quoted back
FIGURE_FIELDS_MAX = 10  # more figures than this read as a wall; the rest are summarised

COLOUR = {"answer": discord.Colour.green(), "suggest": discord.Colour.gold(), "decline": discord.Colour.light_grey(), "info": discord.Colour.blurple()}


def lang_of_locale(locale: discord.Locale | str | None) -> str:
    """The bot's language for a Discord client locale: Japanese for ja, English otherwise."""
    return "ja" if str(locale or "").startswith("ja") else "en"


# ---------------------------------------------------------------- text helpers


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip()
    # a cut right after a backslash would escape the ellipsis and show a stray "\"
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut + "…"


# "https://…" in an echo would be a live link inside the bot's own message, as if the bot
# vouched for it; invite hosts are broken up too, as clients may show them as invites
_INVITE_HOST = re.compile(r"(?i)(discord(?:app)?|dsc)\.(gg|com|io|me|li)\b")


def defuse_links(text: str) -> str:
    """The same text with every URL and invite shown as plain text: a zero-width space inside
    "://" and before an invite host's dot stops Discord from linking them."""
    return _INVITE_HOST.sub("\\1\u200b.\\2", text.replace("://", ":\u200b//"))


def escape_user_text(text: str, limit: int = ECHO_MAX) -> str:
    """Text a user wrote, safe to show back: one line, markdown, mentions and links neutralised."""
    flat = " ".join(text.split())
    clipped = clip(flat, limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(defuse_links(clipped)))


def _link_text(text: str) -> str:
    # square brackets would end the masked link early
    return text.replace("[", "(").replace("]", ")")


def _link_url(url: str) -> str:
    # a ")" or a space in the address would end the masked link early
    return url.replace(" ", "%20").replace(")", "%29").replace("(", "%28")


def source_link(title: str, url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f"[{_link_text(title)}]({_link_url(url)})"
    return f"{title} ({url})" if url else title


def join_within(lines: Iterable[str], limit: int, sep: str = "\n") -> str:
    """Whole lines joined while they fit; a line that cannot fit whole ends the text clipped."""
    out = ""
    for line in lines:
        candidate = f"{out}{sep}{line}" if out else line
        if len(candidate) <= limit:
            out = candidate
            continue
        if not out:
            out = clip(line, limit)
        elif len(out) + len(sep) + 1 < limit:
            out = clip(candidate, limit)
        break
    return out


def split_within(blocks: Iterable[str], limit: int, sep: str = "\n\n") -> list[str]:
    """Whole blocks grouped into texts of at most `limit` characters each, in order (a block too
    long for one text alone is clipped): a list of sources spread over several embed fields
    instead of cut off in one."""
    texts: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{sep}{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            texts.append(current)
        current = clip(block, limit)
    if current:
        texts.append(current)
    return texts


# ---------------------------------------------------------------- the limits


def fit_embed(embed: discord.Embed, total_max: int = EMBED_TOTAL_MAX) -> discord.Embed:
    """Clip every part of an embed to Discord's limit, then the whole to `total_max` characters
    (6,000, or its share of the 6,000 when a message carries several embeds).

    Trailing fields go first (they are the least important by construction), then the
    description is shortened; the title and footer are small and stay.
    """
    if embed.title:
        embed.title = clip(embed.title, TITLE_MAX)
    if embed.description:
        embed.description = clip(embed.description, DESCRIPTION_MAX)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, FOOTER_MAX), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(name=clip(embed.author.name, AUTHOR_MAX), url=embed.author.url, icon_url=embed.author.icon_url)
    while len(embed.fields) > FIELDS_MAX:
        embed.remove_field(-1)
    for i, f in enumerate(embed.fields):
        embed.set_field_at(i, name=clip(f.name or "-", FIELD_NAME_MAX) or "-", value=clip(f.value or "-", FIELD_VALUE_MAX) or "-", inline=bool(f.inline))
    while len(embed) > total_max and embed.fields:
        embed.remove_field(-1)
    if len(embed) > total_max and embed.description:
        embed.description = clip(embed.description, max(1, len(embed.description) - (len(embed) - total_max)))
    return embed


# ---------------------------------------------------------------- replies


def _echo(reply: Reply) -> str:
    return f"> {escape_user_text(reply.question)}\n\n" if reply.question.strip() else ""


def _footer(embed: discord.Embed, reply: Reply) -> None:
    if reply.knowledge_version:
        embed.set_footer(text=message("version", reply.lang, v=reply.knowledge_version))


def answer_embed(reply: Reply, total_max: int = EMBED_TOTAL_MAX) -> discord.Embed:
    lang = reply.lang
    title = reply.headline or message("title.answer", lang)
    embed = discord.Embed(title=clip(title, TITLE_MAX), colour=COLOUR["answer"])
    first_url = next((s.url for s in reply.sources if s.url.startswith(("https://", "http://"))), None)
    if first_url:
        embed.url = _link_url(first_url)
    embed.description = _echo(reply) + reply.sentence
    if reply.focus == "sources" and reply.sources:
        # "source?" after an answer: the sources lead, before the answer they back
        lead = "\n".join(f"{src.line}\n{source_link(src.title, src.url)}" for src in reply.sources)
        embed.description = _echo(reply) + message("sources.lead", lang) + "\n" + lead + "\n\n" + reply.sentence
    # an answer shows the first figures; `/fact` asks for every one (the fields left beside the sources')
    shown = reply.figures[: FIELDS_MAX - 1 if reply.every_figure else FIGURE_FIELDS_MAX]
    for line in shown:
        name = line.value + (f" · {line.label}" if line.label else "")
        details = [line.counts]
        if line.base:
            details.append(f"{message('base', lang)}: {line.base}")
        if line.period:
            details.append(f"{message('period', lang)}: {line.period}")
        details.append(message("as_of.field", lang, date=line.as_of))
        embed.add_field(name=clip(name, FIELD_NAME_MAX), value=join_within(details, FIELD_VALUE_MAX), inline=False)
    if len(reply.figures) > len(shown):
        embed.add_field(name="…", value=message("more_figures", lang, n=len(reply.figures) - len(shown)), inline=False)
    _footer(embed, reply)
    if not reply.sources:
        return fit_embed(embed, total_max)
    # The source must survive the total: figure fields give way first.
    blocks = [f"{src.line}\n{source_link(src.title, src.url)}" for src in reply.sources]
    source_name = message("source" if len(blocks) == 1 else "sources", lang)
    source_value = join_within(blocks, min(FIELD_VALUE_MAX, total_max // 3), "\n\n")
    fit_embed(embed, total_max)
    while embed.fields and len(embed) + len(source_name) + len(source_value) > total_max:
        embed.remove_field(-1)
    excess = len(embed) + len(source_name) + len(source_value) - total_max
    if excess > 0 and embed.description:
        # an embed sharing a message's 6,000 characters may need the description shortened too
        embed.description = clip(embed.description, max(1, len(embed.description) - excess))
    if len(embed.fields) >= FIELDS_MAX:
        embed.remove_field(-1)
    embed.add_field(name=source_name, value=source_value, inline=False)
    return fit_embed(embed, total_max)


def suggest_embed(reply: Reply) -> discord.Embed:
    lines = [f"{i}. {s.question}" for i, s in enumerate(reply.suggestions, 1)]
    text = _echo(reply) + reply.sentence + ("\n" + "\n".join(lines) if lines else "")
    embed = discord.Embed(title=message("title.suggest", reply.lang), description=text, colour=COLOUR["suggest"])
    _footer(embed, reply)
    return fit_embed(embed)


def decline_embed(reply: Reply) -> discord.Embed:
    lang = reply.lang
    parts = [_echo(reply) + reply.sentence]
    if reply.topics and reply.reason != "too_long":
        sep = "、" if lang == "ja" else "; "
        parts.append(message("knows", lang) + " " + sep.join(reply.topics))
    parts.append(message("topics_hint", lang))
    embed = discord.Embed(title=message("title.decline", lang), description="\n\n".join(parts), colour=COLOUR["decline"])
    _footer(embed, reply)
    return fit_embed(embed)


def reply_embed(reply: Reply) -> discord.Embed:
    if reply.kind == "answer":
        return answer_embed(reply)
    if reply.kind == "suggest":
        return suggest_embed(reply)
    return decline_embed(reply)


def reply_embeds(reply: Reply) -> list[discord.Embed]:
    """The embeds of one message: one per fact of a reply about several facts (a two-part
    question), each given an equal share of the 6,000 characters a message's embeds may hold."""
    if not reply.parts:
        return [reply_embed(reply)]
    parts = reply.parts[:EMBEDS_MAX]
    share = EMBED_TOTAL_MAX // len(parts)
    return [answer_embed(part, share) for part in parts]


def apology_text(lang: str) -> str:
    return message("apology", lang)


def unknown_fact_text(fact_id: str, lang: str) -> str:
    return message("unknown_fact", lang, fact=escape_user_text(fact_id, 100))


# ---------------------------------------------------------------- buttons


ButtonMaker = Callable[[Reply], Iterable[discord.ui.Item[Any]]]


class ReplyRenderer:
    """Turns Replies into (embed, view). Holds the button makers, so features can add theirs."""

    def __init__(self) -> None:
        self.button_makers: list[ButtonMaker] = []

    def add_buttons(self, maker: ButtonMaker) -> None:
        """Add a row-filler for reply views, e.g. feedback votes or a chart button."""
        if maker not in self.button_makers:
            self.button_makers.append(maker)

    def remove_buttons(self, maker: ButtonMaker) -> None:
        if maker in self.button_makers:
            self.button_makers.remove(maker)

    def embed(self, reply: Reply) -> discord.Embed:
        """The reply's first (for most replies, only) embed."""
        return reply_embed(reply.answers[0])

    def embeds(self, reply: Reply) -> list[discord.Embed]:
        """Every embed of the reply's message: one per fact."""
        return reply_embeds(reply)

    def view(self, reply: Reply) -> discord.ui.View | None:
        items: list[discord.ui.Item[Any]] = []
        for maker in self.button_makers:
            try:
                made = list(maker(reply))
            except Exception:
                # a broken button must not cost the user the answer itself
                log.exception("button maker %r failed; reply sent without its buttons", maker)
                continue
            items.extend(made)
        if not items:
            return None
        # The items are DynamicItems: discord.py routes their clicks by custom id, so the
        # view needs no timeout and is not stored per message.
        view = discord.ui.View(timeout=None)
        for item in items[:VIEW_ITEMS_MAX]:
            view.add_item(item)
        return view


# ---------------------------------------------------------------- info embeds


def topics_embed(kb: KnowledgeBase, lang: str) -> discord.Embed:
    embed = discord.Embed(title=message("topics.title", lang), colour=COLOUR["info"])
    for topic in kb.topics:
        lines = []
        for fact in kb.facts:
            if fact.topic == topic.id:
                phrasings = fact.questions.get(lang) or fact.questions.get("en") or (fact.id,)
                lines.append(f"• {phrasings[0]}")
        if lines:
            embed.add_field(name=clip(topic.title.get(lang), FIELD_NAME_MAX), value=join_within(lines, FIELD_VALUE_MAX), inline=False)
    newest = newest_figure_date(kb)
    fresh = f" · {message('newest_figure', lang, date=date_text(newest, lang))}" if newest else ""
    embed.set_footer(text=f"{message('topics.footer', lang)} · {message('version', lang, v=kb.version)}{fresh}")
    return fit_embed(embed)


def sources_embed(kb: KnowledgeBase, lang: str) -> discord.Embed:
    embed = discord.Embed(title=message("sources.title", lang), colour=COLOUR["info"])
    sources = list(kb.sources.values())
    for src in sources[: FIELDS_MAX - 1] if len(sources) > FIELDS_MAX else sources:
        name = src.publisher.get(lang) + (f" ({date_text(src.date, lang)})" if src.date else "")
        lines = [source_link(source_title(src, lang), src.url)]
        if src.survey_by is not None:
            lines.append(message("sources.survey_by", lang, who=src.survey_by.get(lang)))
        embed.add_field(name=clip(name, FIELD_NAME_MAX), value=join_within(lines, FIELD_VALUE_MAX), inline=False)
    if len(sources) > FIELDS_MAX:
        more = len(sources) - (FIELDS_MAX - 1)
        embed.add_field(name="…", value=message("sources.more", lang, n=more), inline=False)
    newest = newest_figure_date(kb)
    fresh = f" · {message('newest_figure', lang, date=date_text(newest, lang))}" if newest else ""
    embed.set_footer(text=message("version", lang, v=kb.version) + fresh)
    return fit_embed(embed)


def about_embed(kb: KnowledgeBase, lang: str) -> discord.Embed:
    embed = discord.Embed(title=message("about.title", lang), description=message("about.text", lang), colour=COLOUR["info"])
    newest = newest_figure_date(kb)
    counts = (
        ("about.facts", len(kb.facts)),
        ("about.topics", len(kb.topics)),
        ("about.sources", len(kb.sources)),
        ("about.version", kb.version),
        ("about.newest", date_text(newest, lang) if newest else "-"),
    )
    for key, value in counts:
        embed.add_field(name=message(key, lang), value=str(value), inline=True)
    return fit_embed(embed)
