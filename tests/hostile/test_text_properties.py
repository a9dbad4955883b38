"""Any Unicode text through normalisation, matching and the answer policy: a reply or a
decline, never an exception, within a stated time per question (tests/hostile/bounds.py).

The inputs are hypothesis-drawn (a fixed profile: the same examples every run) plus the worst
cases found while measuring.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.answer.reply import Answerer, render_text
from bot.app import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    TITLE_MAX,
    _link_url,
    escape_user_text,
    reply_embed,
)
from bot.knowledge import KnowledgeBase, default_knowledge_path
from bot.service import KnowledgeService
from bot.text.normalise import clean, detect_lang, normalise, question_type, signature, tokens

from .bounds import ASK_SECONDS, DISCORD_OPTION_MAX, NORMALISE_SECONDS, SEARCH_100K_SECONDS, SEARCH_SECONDS
from .conftest import HOSTILE, timed
from .texts import WORST_LONG, hostile_text, huge_text

_INVISIBLE_OR_BROKEN = {"Cc", "Cf", "Cs", "Co", "Cn"}
# what Discord would turn into a ping, a link or formatting if it reached it unescaped
_PING = re.compile(r"(?<!\u200b)@(everyone|here)\b|<@[!&]?\d")
_UNESCAPED_MARKUP = re.compile(r"(?<!\\)(?:\\\\)*[*_~|`]")


@cache
def _answerer() -> Answerer:
    # not a fixture: hypothesis would print the whole knowledge base with every failing example
    service = KnowledgeService(default_knowledge_path(), max_chars=500)
    assert service.reload().ok
    return service.answerer


def _size(text: str) -> str:
    return "up to 6,000 chars" if len(text) <= DISCORD_OPTION_MAX else "up to 100,000 chars"


def _check_normalisation(text: str) -> None:
    cleaned = timed(f"normalise: clean, {_size(text)}", NORMALISE_SECONDS, lambda: clean(text))
    assert not any(unicodedata.category(ch) in _INVISIBLE_OR_BROKEN for ch in cleaned if ch not in "\n\t ")
    norm = timed(f"normalise: normalise, {_size(text)}", NORMALISE_SECONDS, lambda: normalise(text))
    assert all(ch.isalnum() or ch in "%. " for ch in norm), norm
    assert norm == norm.strip() and "  " not in norm
    assert normalise(norm) == norm  # stable: a stored normalised question groups with its source
    toks = timed(f"normalise: tokens, {_size(text)}", NORMALISE_SECONDS, lambda: tokens.__wrapped__(text))
    assert all(isinstance(t, str) and t and " " not in t for t in toks)
    assert detect_lang(text) in {"en", "ja"}
    assert question_type(text) in {"quantity", "date", "other"}
    assert signature(text) == " ".join(sorted(set(toks)))


def _check_search(text: str) -> None:
    answerer = _answerer()
    kb = answerer.kb
    bound = SEARCH_SECONDS if len(text) <= DISCORD_OPTION_MAX else SEARCH_100K_SECONDS
    result = timed(f"matching: search, {_size(text)}", bound, lambda: answerer.search(text))
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 + 1e-9 for s in scores), scores
    assert all(kb.fact(c.fact_id) is not None for c in result.candidates)
    assert result.lang in {"en", "ja"}


def _check_reply(text: str, strict: bool) -> None:
    answerer = _answerer()
    kb = answerer.kb
    size = f"up to {answerer.max_chars} chars" if len(text) <= answerer.max_chars else "longer (declined for length)"
    reply = timed(f"policy: Answerer.ask, {size}", ASK_SECONDS, lambda: answerer.ask(text, strict=strict))
    assert reply.question == text  # kept verbatim: escaping is the renderer's job
    assert reply.kind in {"answer", "suggest", "decline"}
    if reply.kind == "answer":
        fact = kb.fact(reply.fact_id or "")
        assert fact is not None and reply.sources and (reply.figures or reply.sentence)
    elif reply.kind == "suggest":
        assert reply.suggestions and all(kb.fact(s.fact_id) is not None for s in reply.suggestions)
    else:
        assert reply.reason and reply.sentence
    assert render_text(reply).strip()
    _check_embed(reply, kb)


def _check_embed(reply, kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
    embed = reply_embed(reply)
    data = embed.to_dict()
    json.dumps(data)  # what discord.py sends must serialise, lone surrogates included
    assert len(embed) <= EMBED_TOTAL_MAX and len(embed.title or "") <= TITLE_MAX
    assert len(embed.description or "") <= DESCRIPTION_MAX and len(embed.fields) <= FIELDS_MAX
    assert all(len(f.name or "") <= FIELD_NAME_MAX and len(f.value or "") <= FIELD_VALUE_MAX for f in embed.fields)
    source_urls = {s.url for s in kb.sources.values()} | {_link_url(s.url) for s in kb.sources.values()}
    description = embed.description or ""
    if reply.question.strip():
        echo = description.split("\n", 1)[0]
        assert echo.startswith("> ")
        _check_echo(echo[2:])
    # the only links in a reply are the knowledge base's own sources
    for url in re.findall(r"https?://[^\s)>\]\"]+", json.dumps(data, ensure_ascii=False)):
        assert any(src.startswith(url) for src in source_urls), url


def _check_echo(echo: str) -> None:
    assert "\n" not in echo
    assert not _PING.search(echo), echo
    assert not _UNESCAPED_MARKUP.search(echo), echo
    assert "://" not in echo and not re.search(r"(?i)discord(app)?\.(gg|com)", echo), echo


@HOSTILE
@given(hostile_text())
def test_normalisation_takes_any_text(text: str) -> None:
    _check_normalisation(text)


@HOSTILE
@given(hostile_text())
def test_matching_takes_any_text(text: str) -> None:
    _check_search(text)


@HOSTILE
@given(hostile_text(), st.booleans())
@example("\ud800How many digits does the My Number have?\udfff", False)
@example("\u202eHow many digits does the My Number have?\u202c", True)
@example("マイナ保険証の利用率は" + "\u0301" * 300 + "？", False)
@example("[the official answer](https://evil.example) @everyone ```py", False)
def test_every_text_gets_an_answer_a_suggestion_or_a_decline(text: str, strict: bool) -> None:
    _check_reply(text, strict)


@HOSTILE
@given(hostile_text())
def test_the_echo_of_any_text_pings_nobody_formats_nothing_and_links_nowhere(text: str) -> None:
    _check_echo(escape_user_text(text))


@settings(HOSTILE, max_examples=12)
@given(huge_text())
def test_long_texts_up_to_100000_characters(text: str) -> None:
    _check_normalisation(text)
    _check_search(text)
    _check_reply(text, strict=False)


@pytest.mark.parametrize("text", WORST_LONG, ids=lambda t: f"{len(t)}x{t[:12]!r}")
def test_the_worst_long_texts_found(text: str) -> None:
    _check_normalisation(text)
    _check_search(text)
    _check_reply(text, strict=False)
    _check_reply(text[: _answerer().max_chars], strict=False)  # the longest that is not declined for length
