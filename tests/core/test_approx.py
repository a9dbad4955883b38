"""Figures a question quotes roughly ("about half", 「3割」, "around 4 percent") rank the fact
holding a figure near them above its neighbours."""

from __future__ import annotations

import pytest

from bot.answer.reply import Answerer
from bot.knowledge.model import KnowledgeBase
from bot.search.approx import holds_near, quoted_amounts
from bot.search.asking import _SENTENCE_RE, sentences
from bot.search.rerank import NEAR_BONUS


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("about half the hospitals", ((47.5, 54.0, "percent"),)),
        ("病院の半数がメリットなし", ((47.5, 54.0, "percent"),)),
        ("３割くらい？", ((27.0, 33.0, "percent"),)),
        ("around 4 percent", ((3.0, 5.0, "percent"),)),
        ("over 70 million people", ((65_800_000.0, 74_200_000.0, "count"),)),
        ("my grandpa is 82 and 75+ people get a certificate", ()),
        ("what happened in 2024?", ()),
        ("892 hospitals", ()),
    ],
)
def test_quoted_amounts(text: str, amounts: tuple) -> None:
    found = quoted_amounts(text)
    assert [kind for *_span, kind in found] == [kind for *_span, kind in amounts]
    for (low, high, _kind), (want_low, want_high, _) in zip(found, amounts, strict=True):
        assert (low, high) == pytest.approx((want_low, want_high))


def test_a_fact_holds_a_figure_near_the_quoted_one(kb: KnowledgeBase) -> None:
    half = quoted_amounts("half of them")
    assert holds_near(kb.fact("no-merit-for-patients"), half)  # 51%
    assert not holds_near(kb.fact("no-merit-for-hospitals"), half)  # 42%
    assert not holds_near(kb.fact("system-launch"), half)  # a year, not a share


def test_half_raises_the_fact_holding_about_half(answerer: Answerer) -> None:
    question = "病院の半分がメリットを感じてないってマジ？"
    plain = {c.fact_id: c.score for c in answerer.index._search_all(question, 5).candidates}
    ranked = {c.fact_id: c.score for c in answerer.search(question).candidates}
    assert plain["no-merit-for-hospitals"] > plain["no-merit-for-patients"]  # the words alone lean to the 42%
    assert ranked["no-merit-for-patients"] == pytest.approx(plain["no-merit-for-patients"] + NEAR_BONUS)
    assert ranked["no-merit-for-hospitals"] == plain["no-merit-for-hospitals"]
    reply = answerer.ask(question)
    assert reply.fact_ids != ("no-merit-for-hospitals",)  # no longer answered with the 42%


def test_a_context_clause_ending_in_kedo_is_a_part_of_its_own() -> None:
    message = "母が薬局で働いてて、使う人増えたって言ってたんだけど、マイナ保険証の利用率って今どのくらい？"
    assert sentences(message) == [message]
    assert sentences(message, clauses=True) == ["母が薬局で働いてて、使う人増えたって言ってたんだけど、", "マイナ保険証の利用率って今どのくらい？"]


def test_sentences_end_at_a_full_stop_not_a_decimal_point_and_a_colon_starts_one() -> None:
    assert [p for p in _SENTENCE_RE.split("12.3% usage rate. which month? ok") if p] == ["12.3% usage rate.", "which month?", "ok"]
    assert [p for p in _SENTENCE_RE.split("a student asked me: how many digits? at 10:30") if p] == ["a student asked me:", "how many digits?", "at 10:30"]
