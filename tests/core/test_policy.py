"""The decision rule, table-driven over hand-built search results with confidences (no index involved)."""

from dataclasses import replace

import pytest

from bot.answer.policy import Thresholds, decide, fits
from bot.knowledge.model import Fact, Figure, Text
from bot.search.result import Candidate, SearchResult

T = Thresholds(answer=0.6, suggest=0.3, ambiguous_lead=0.02, plausible=0.35, min_known_share=0.7)


def result(
    *scores: float, conf: float = 0.0, known: float = 1.0, qtype: str = "other", gaps: tuple[str, ...] = (), exact: bool = False, **extra: object
) -> SearchResult:
    cands = tuple(Candidate(f"f{i}", s, s, s, "q", exact and i == 0) for i, s in enumerate(scores))
    return SearchResult("q", "en", ("tok", "tok2"), (), cands, known, qtype, 2, 2, gaps, confidence=conf, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("res", "kind", "reason"),
    [
        (result(0.7, 0.3, conf=0.95), "answer", "confident"),
        (result(0.7, 0.3, conf=0.61), "answer", "confident"),
        (result(0.7, 0.3, conf=0.59), "suggest", "unsure"),  # plausible, not confident
        (result(0.7, 0.69, conf=0.9), "suggest", "close"),  # genuinely ambiguous between two facts
        (result(0.7, 0.69, conf=0.1), "decline", "no_match"),  # close, but neither is likely
        (result(0.3, 0.29, conf=0.9), "answer", "confident"),  # close but the runner-up is not plausible
        (result(0.5, 0.2, conf=0.29), "decline", "no_match"),
        (result(0.9, 0.3, conf=0.8, known=0.5), "suggest", "unsure"),  # half the question is unknown
        # very confident, half known (a chatty message's other words): answered, not below half
        (result(0.9, 0.3, conf=0.95, known=0.5), "answer", "confident"),
        (result(0.9, 0.3, conf=0.95, known=0.45), "decline", "no_match"),
        (result(0.9, 0.3, conf=0.95, known=0.4), "decline", "no_match"),  # most of it is unknown
        (result(0.3, conf=0.5), "decline", "no_match"),  # unsure, and the fact is not even plausible
        (result(0.9, 0.3, conf=0.95, gaps=("pharmacies",)), "decline", "not_covered"),
        (result(0.9, 0.3, conf=0.95, uncovered=("clinic",)), "decline", "subject_not_covered"),
        (result(0.9, 0.3, conf=0.95, figure="55.5%"), "decline", "unknown_figure"),
        (result(0.4, 0.3, conf=0.2, figure="29.6%", figure_facts=("f1",)), "answer", "figure"),
        (result(0.6, 0.6, exact=True), "answer", "exact"),
        (result(), "decline", "no_match"),
    ],
)
def test_decide(res: SearchResult, kind: str, reason: str) -> None:
    decision = decide(res, T)
    assert (decision.kind, decision.reason) == (kind, reason)


def test_figure_answer_is_the_holder_and_confidence_is_carried() -> None:
    decision = decide(result(0.4, 0.3, conf=0.2, figure="29.6%", figure_facts=("f1", "f0")), T)
    assert decision.fact_id == "f1"
    assert decide(result(0.7, 0.3, conf=0.83), T).confidence == 0.83


def test_no_tokens_is_declined() -> None:
    empty = SearchResult("??", "en", (), (), (), 0.0)
    assert decide(empty, T).reason == "no_content"


def test_ambiguous_suggestions_are_the_close_ones_and_capped() -> None:
    decision = decide(result(0.48, 0.47, 0.47, 0.2, conf=0.7), T)
    assert decision.kind == "suggest" and decision.suggestions == ("f0", "f1")
    assert decide(result(0.48, 0.2, conf=0.4), T).suggestions == ("f0",)


def _fact(*units: str) -> Fact:
    figures = tuple(Figure(1.0 if u != "date" else "2024-10-28", u, Text("x", "x"), "2024-10", "s") for u in units)
    return Fact("f0", "t", {"en": ("q",)}, {}, Text("a", "a"), figures, "s", "file", 1)


def test_quantity_question_needs_a_counted_figure() -> None:
    assert fits(_fact("percent"), "quantity")
    assert not fits(_fact("date"), "quantity")
    assert not fits(_fact(), "date")
    facts = {"f0": _fact("date")}
    decision = decide(result(0.9, 0.3, conf=0.95, qtype="quantity"), T, facts)
    assert (decision.kind, decision.reason) == ("decline", "type_mismatch")


def test_stricter_thresholds_are_stricter() -> None:
    strict = T.stricter()
    assert strict.answer > T.answer and strict.suggest > T.suggest and strict.min_known_share > T.min_known_share
    assert strict.min_exact_words == 2 > T.min_exact_words
    assert decide(result(0.7, 0.3, conf=0.7), T).kind == "answer"
    assert decide(result(0.7, 0.3, conf=0.7), strict).kind != "answer"
    # unprompted, a confident guess at a message half of which is unknown is not answered
    assert decide(result(0.9, 0.3, conf=0.97, known=0.6), T).kind == "answer"
    assert decide(result(0.9, 0.3, conf=0.97, known=0.6), strict).kind != "answer"


def test_figure_questions_are_not_answered_unprompted() -> None:
    figure = result(0.3, 0.1, conf=0.2, figure="42%", figure_facts=("f0",))
    assert decide(figure, T).kind == "answer"
    assert decide(figure, T.stricter()).kind == "decline"


def test_one_word_or_one_typo_never_answers() -> None:
    one_typo = SearchResult("q", "en", ("tok",), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "other", 1, 0, confidence=0.95)
    assert decide(one_typo, T).kind == "suggest"
    one_word = SearchResult("q", "en", ("tok",), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "other", 1, 1, confidence=0.95)
    assert decide(one_word, T).kind == "suggest"
    # "how many people were registered?": one known word, but a count asked for, and sure of it
    one_counted = SearchResult("q", "en", ("tok",), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "quantity", 1, 1, confidence=0.95)
    assert decide(one_counted, T).kind == "answer"
    assert decide(replace(one_counted, confidence=0.8), T).kind == "suggest"  # not sure enough
    assert decide(replace(one_counted, unknown=("pi",)), T).kind == "suggest"  # "how many digits of pi"
    assert decide(one_counted, T.stricter()).kind != "answer"
    two_typos = SearchResult("q", "en", ("a", "b"), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "other", 2, 0, confidence=0.95)
    assert decide(two_typos, T).kind == "answer"
    assert decide(two_typos, T.stricter()).kind != "answer"
