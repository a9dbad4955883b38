"""Reply -> embed and buttons: Discord's limits hold for any reply, and user text is made harmless."""

from __future__ import annotations

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import app
from bot.answer.reply import Answerer, FigureLine, Reply, SourceRef, Suggestion
from bot.exts.ask import suggestion_buttons
from bot.knowledge import KnowledgeBase
from bot.messages import message


def assert_within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25
    for f in data.get("fields", []):
        assert 1 <= len(f["name"]) <= 256
        assert 1 <= len(f["value"]) <= 1024
    assert len(data.get("footer", {}).get("text", "")) <= 2048
    assert len(data.get("author", {}).get("name", "")) <= 256
    assert len(embed) <= 6000


def assert_view_within_limits(view: discord.ui.View | None) -> None:
    if view is None:
        return
    items = view.to_components()
    assert len(items) <= 5  # action rows
    for row in items:
        assert len(row["components"]) <= 5
        for comp in row["components"]:
            assert 1 <= len(comp["label"]) <= 80
            assert 1 <= len(comp["custom_id"]) <= 100


# ---------------------------------------------------------------- every real fact


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_fact_renders_within_limits_with_figure_and_source(answerer: Answerer, kb: KnowledgeBase, lang: str) -> None:
    for fact in kb.facts:
        for all_figures in (False, True):
            reply = answerer.fact_reply(fact, lang, question="a question", all_figures=all_figures)
            embed = app.reply_embed(reply)
            assert_within_limits(embed)
            assert embed.title == (reply.headline or message("title.answer", lang)), fact.id
            assert reply.sentence in (embed.description or ""), fact.id
            source_field = embed.fields[-1]
            assert source_field.name in {message("source", lang), message("sources", lang)}
            assert kb.sources[fact.source].url in (source_field.value or ""), fact.id
            assert embed.url == kb.sources[fact.source].url


def test_answer_in_japanese_uses_japanese_labels(answerer: Answerer) -> None:
    reply = answerer.ask("マイナ保険証の利用率は？")
    assert reply.kind == "answer" and reply.lang == "ja"
    embed = app.reply_embed(reply)
    assert embed.fields[-1].name == "出典"
    assert any("時点" in (f.value or "") for f in embed.fields[:-1])
    assert embed.footer.text.startswith("知識ベースの版")


def test_decline_points_to_topics_and_lists_what_it_knows(answerer: Answerer, kb: KnowledgeBase) -> None:
    reply = answerer.ask("what is the weather in Osaka tomorrow?")
    assert reply.kind == "decline"
    embed = app.reply_embed(reply)
    assert "/topics" in (embed.description or "")
    assert kb.topics[0].title.get("en") in (embed.description or "")


def _renderer_with_suggestions() -> app.ReplyRenderer:
    """A renderer with the "did you mean" buttons the /ask extension adds when it loads."""
    renderer = app.ReplyRenderer()
    renderer.add_buttons(suggestion_buttons)
    return renderer


def test_suggestions_become_at_most_three_buttons_that_name_the_fact(answerer: Answerer, kb: KnowledgeBase) -> None:
    facts = kb.facts[:5]
    reply = Reply("suggest", "en", "q", suggestions=tuple(Suggestion(f.id, f.questions["en"][0]) for f in facts), sentence="Which one?")
    view = _renderer_with_suggestions().view(reply)
    assert view is not None
    ids = [item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert ids == [f"suggest:en:{f.id}" for f in facts[:3]]
    assert_view_within_limits(view)


def test_no_buttons_for_an_answer_until_a_feature_adds_some(answerer: Answerer) -> None:
    reply = answerer.ask("How many digits does the My Number have?")
    renderer = app.ReplyRenderer()
    assert renderer.view(reply) is None

    def thumbs(r: Reply) -> list[discord.ui.Item]:
        return [discord.ui.Button(label="👍", custom_id=f"vote:up:{r.fact_id}")] if r.kind == "answer" else []

    renderer.add_buttons(thumbs)
    view = renderer.view(reply)
    assert view is not None and [c.custom_id for c in view.children] == [f"vote:up:{reply.fact_id}"]  # type: ignore[attr-defined]


def test_a_failing_button_maker_costs_only_its_buttons(answerer: Answerer, kb: KnowledgeBase) -> None:
    reply = Reply("suggest", "en", "q", suggestions=(Suggestion(kb.facts[0].id, "one?"),))
    renderer = _renderer_with_suggestions()

    def broken(r: Reply) -> list[discord.ui.Item]:
        raise ValueError("chart data missing")

    renderer.add_buttons(broken)
    view = renderer.view(reply)
    assert view is not None and len(view.children) == 1


# ---------------------------------------------------------------- user text


def test_user_text_is_escaped_and_pings_nobody() -> None:
    text = app.escape_user_text("@everyone **look** at <@123456789012345678> and <@&123456789012345679> `x` > quote")
    assert "@everyone" not in text and "@\u200beveryone" in text
    assert "<@123456789012345678>" not in text and "<@&123456789012345679>" not in text
    assert "\\*\\*look\\*\\*" in text
    assert "\\`x\\`" in text


def test_echo_is_one_line_and_clipped() -> None:
    text = app.escape_user_text("line one\nline two " + "x" * 1000)
    assert "\n" not in text
    assert text.endswith("…")
    assert len(text) <= app.ECHO_MAX


def test_clip_never_leaves_a_dangling_escape() -> None:
    assert app.clip("ab\\*cd", 4) == "ab…"
    assert app.clip("abc", 3) == "abc"
    assert len(app.clip("x" * 5000, 4096)) == 4096


def test_links_survive_brackets_and_parentheses() -> None:
    link = app.source_link("Report [draft] (2023)", "https://example.org/a (b)")
    assert link == "[Report (draft) (2023)](https://example.org/a%20%28b%29)"


# ---------------------------------------------------------------- any reply at all

_text = st.text(min_size=0, max_size=3000)
_short = st.text(min_size=1, max_size=400)
_figure = st.builds(
    FigureLine, value=_short, counts=_text, base=st.none() | _text, period=st.none() | _text, as_of=_short, source_id=_short, label=st.text(max_size=300)
)
_source = st.builds(SourceRef, id=_short, line=_text, title=_text, url=st.just("https://example.org/") | _short)
_fact_id = st.from_regex(r"[a-z0-9-]{1,120}", fullmatch=True)
_suggestion = st.builds(Suggestion, fact_id=_fact_id, question=_text)


@st.composite
def replies(draw: st.DrawFn) -> Reply:
    kind = draw(st.sampled_from(["answer", "suggest", "decline"]))
    return Reply(
        kind=kind,
        lang=draw(st.sampled_from(["en", "ja"])),
        question=draw(st.text(max_size=6000)),
        fact_id=draw(st.none() | _fact_id),
        headline=draw(_text),
        sentence=draw(st.text(max_size=6000)),
        figures=tuple(draw(st.lists(_figure, max_size=40))),
        sources=tuple(draw(st.lists(_source, max_size=8))),
        suggestions=tuple(draw(st.lists(_suggestion, max_size=6))),
        topics=tuple(draw(st.lists(_short, max_size=30))),
        reason=draw(st.sampled_from(["", "too_long", "no_match"])),
        knowledge_version=draw(st.text(max_size=2500)),
    )


@settings(max_examples=150, deadline=None)
@given(replies())
def test_any_reply_fits_discord_limits(reply: Reply) -> None:
    renderer = _renderer_with_suggestions()
    embed = renderer.embed(reply)
    assert_within_limits(embed)
    assert_view_within_limits(renderer.view(reply))
    if reply.kind == "answer" and reply.sources:
        # the source is never what gives way to the size limit
        assert embed.fields and embed.fields[-1].name in {message("source", reply.lang), message("sources", reply.lang)}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_info_embeds_fit(kb: KnowledgeBase, lang: str) -> None:
    for embed in (app.topics_embed(kb, lang), app.sources_embed(kb, lang), app.about_embed(kb, lang)):
        assert_within_limits(embed)
    sources = app.sources_embed(kb, lang)
    for src in kb.sources.values():
        assert any(src.url in (f.value or "") for f in sources.fields)
