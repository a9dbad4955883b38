"""The decision rule, table-driven over hand-built search results (no index involved)."""

import pytest

from bot.answer.policy import Thresholds, decide, fits
from bot.knowledge.model import Fact, Figure, Text
from bot.search.index import Candidate, SearchResult

T = Thresholds(answer=0.5, margin=0.05, suggest=0.35, min_known_share=0.7)


def result(*scores: float, known: float = 1.0, qtype: str = "other", gaps: tuple[str, ...] = (), exact: bool = False) -> SearchResult:
    cands = tuple(Candidate(f"f{i}", s, s, s, "q", exact and i == 0) for i, s in enumerate(scores))
    return SearchResult("q", "en", ("tok", "tok2"), (), cands, known, qtype, 2, 2, gaps)


@pytest.mark.parametrize(
    ("res", "kind", "reason"),
    [
        (result(0.9, 0.3), "answer", "confident"),
        (result(0.9, 0.88), "suggest", "close"),  # not clearly ahead of the runner-up
        (result(0.45, 0.2), "suggest", "unsure"),  # plausible, not confident
        (result(0.2), "decline", "no_match"),
        (result(0.9, 0.3, known=0.5), "suggest", "unsure"),  # half the question is unknown to the knowledge base
        (result(0.9, 0.3, gaps=("pharmacies",)), "decline", "not_covered"),
        (result(0.6, 0.6, exact=True), "answer", "exact"),
        (result(), "decline", "no_match"),
    ],
)
def test_decide(res: SearchResult, kind: str, reason: str) -> None:
    decision = decide(res, T)
    assert (decision.kind, decision.reason) == (kind, reason)


def test_no_tokens_is_declined() -> None:
    empty = SearchResult("??", "en", (), (), (), 0.0)
    assert decide(empty, T).reason == "no_content"


def test_suggestions_are_capped_and_close_to_the_best() -> None:
    decision = decide(result(0.48, 0.47, 0.46, 0.45, 0.2), T)
    assert decision.kind == "suggest" and decision.suggestions == ("f0", "f1", "f2")


def _fact(*units: str) -> Fact:
    figures = tuple(Figure(1.0 if u != "date" else "2024-10-28", u, Text("x", "x"), "2024-10", "s") for u in units)
    return Fact("f0", "t", {"en": ("q",)}, {}, Text("a", "a"), figures, "s", "file", 1)


def test_quantity_question_needs_a_counted_figure() -> None:
    assert fits(_fact("percent"), "quantity")
    assert not fits(_fact("date"), "quantity")
    assert not fits(_fact(), "date")
    facts = {"f0": _fact("date")}
    decision = decide(result(0.9, 0.3, qtype="quantity"), T, facts)
    assert (decision.kind, decision.reason, decision.suggestions) == ("suggest", "type_mismatch", ("f0",))


def test_stricter_thresholds_are_stricter() -> None:
    strict = T.stricter()
    assert strict.answer > T.answer and strict.margin > T.margin and strict.min_known_share > T.min_known_share
    assert strict.min_exact_words == 2 > T.min_exact_words


def test_one_word_or_one_typo_never_answers() -> None:
    one_typo = SearchResult("q", "en", ("tok",), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "other", 1, 0)
    assert decide(one_typo, T).kind == "suggest"
    one_word = SearchResult("q", "en", ("tok",), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "other", 1, 1)
    assert decide(one_word, T).kind == "suggest"
    two_typos = SearchResult("q", "en", ("a", "b"), (), (Candidate("f0", 0.9, 0.9, 0.9, "q"),), 1.0, "other", 2, 0)
    assert decide(two_typos, T).kind == "answer"
    assert decide(two_typos, T.stricter()).kind != "answer"
