"""Stage 2 of the search (bot/search/score.py) against its definition, computed the slow way: the
coverage and the best phrasing of every shortlisted fact, for questions with and without typos,
including a typo read as a word the question also holds and a typo with two readings."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase
from bot.search.facts import FactDoc
from bot.search.index import SearchIndex
from bot.search.phrases import PhraseTable
from bot.search.score import Scoring, score_fact
from bot.text.normalise import analyse_question

QUESTIONS = (
    "how many people registered their my number card as a health insurance card",
    "what is a eligibilty certficate? do i get one if i dont have mynumber card",  # certficate -> card, also asked
    "how many hosptials were surveyed",
    "what share of pharmacys said patients see no benifit",
    "マイナ保険証の利用率は？",
    "マイナ保険証の登録って2025年10月末で何万人？カード保有者の何％？",
    "hey all, my mum asked me whether she still has to register her card for insurance before the old one expires?",
    "usage rate hospitals clinics dental pharmacies",
    "can i cancll my registration, and when did the card begin?",  # two readings each: cancel(l), launch / beginn
    "do i need a health checkp to use the card",  # checkup / check
)


def _reference(index: SearchIndex, doc: FactDoc, scoring: Scoring) -> tuple[float, float, str]:
    """(coverage, best phrasing F1, its text) straight from the definitions: a token counts once,
    by the best of its readings the fact (or the phrasing) holds; the first phrasing wins a tie."""
    fields = doc.fields
    held = {tok: [(w, s) for w, s in options if w in fields] for tok, options in scoring.expansions.items()}
    held = {tok: readings for tok, readings in held.items() if readings}
    coverage = sum(scoring.weights[tok] * max(s * fields[w] for w, s in readings) for tok, readings in held.items()) / scoring.total
    best, best_text = 0.0, doc.phrasings[0][1]
    for _lang, text, _norm, toks in doc.phrasings:
        explained = sum(max((scoring.weights[tok] * s for w, s in readings if w in toks), default=0.0) for tok, readings in held.items())
        words = {w for readings in held.values() for w, _s in readings if w in toks}
        if not words:
            continue
        recall = explained / scoring.total
        precision = sum(index.idf[w] for w in words) / sum(index.idf[t] for t in toks)
        f1 = 2 * recall * precision / (recall + precision)
        if f1 > best + 1e-9:
            best, best_text = f1, text
    return coverage, best, best_text


def _scoring(index: SearchIndex, question: str) -> Scoring:
    norm, toks = analyse_question(question)
    expansions, weights, _unknown = index._read(tuple(dict.fromkeys(toks)))
    return Scoring.of(norm, expansions, weights, index.idf, exact=False)


@pytest.mark.parametrize("question", QUESTIONS)
def test_scores_follow_their_definition(kb: KnowledgeBase, question: str) -> None:
    index = SearchIndex(kb)
    scoring = _scoring(index, question)
    expansions = scoring.expansions
    scored = 0
    for position, doc in enumerate(index.docs):
        if not any(w in doc.fields for options in expansions.values() for w, _s in options):
            continue
        _score, fact_id, coverage, phrase, text, exact, _lexical, _learned = score_fact(doc, index._phrase_totals[position], scoring, None)
        want_coverage, want_phrase, want_text = _reference(index, doc, scoring)
        assert (fact_id, exact) == (doc.fact.id, False)
        assert coverage == pytest.approx(want_coverage, abs=1e-12), fact_id
        assert phrase == pytest.approx(want_phrase, abs=1e-12), fact_id
        assert text == want_text, fact_id
        scored += 1
    assert scored >= 3


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_phrase_table_finds_the_same_best_phrasing(kb: KnowledgeBase, question: str) -> None:
    """Every fact's best phrasing found at once (phrases.PhraseTable) is the walk's, to the bit."""
    index = SearchIndex(kb)
    scoring = _scoring(index, question)
    table = PhraseTable(index.docs, index._phrase_totals).best(scoring)
    if scoring.words is None:
        assert table is None  # a typo with two readings: the walk scores it
        return
    assert table is not None
    for position, doc in enumerate(index.docs):
        walked = score_fact(doc, index._phrase_totals[position], scoring, None)
        assert table.of(doc, position) == (walked[3], walked[4]), doc.fact.id


def test_typo_questions_take_the_path_they_are_meant_to(kb: KnowledgeBase) -> None:
    """The usual question is read token by token as one word each; a typo read as a word the
    question also holds is not (each token must count on its own)."""
    index = SearchIndex(kb)
    assert _scoring(index, QUESTIONS[0]).words is not None
    assert _scoring(index, QUESTIONS[1]).words is None
    assert any(len(readings) == 2 for readings in _scoring(index, QUESTIONS[-1]).expansions.values())
