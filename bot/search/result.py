"""What a search returns: the ranked candidates with their scores, and what was read of the question."""

from __future__ import annotations

from dataclasses import dataclass

from bot.search.score import Scored


@dataclass(frozen=True)
class Candidate:
    fact_id: str
    score: float  # what the ranking uses: the lexical and learned scores combined
    coverage: float
    phrase: float
    question: str  # the phrasing that matched best
    exact: bool = False
    lexical: float = 0.0  # 0.4 * coverage + 0.6 * phrase (+ keyword bonus)
    learned: float = 0.0  # cosine with the fact's centroid in the learned model (0 without one)


def candidate_of(scored: Scored) -> Candidate:
    """The candidate of a fact a search keeps, every score rounded to 4 digits."""
    score, fact_id, coverage, phrase, text, exact, lexical, learned = scored
    return Candidate(fact_id, score, round(coverage, 4), round(phrase, 4), text, exact, lexical, round(learned, 4))


@dataclass(frozen=True)
class SearchResult:
    query: str
    lang: str
    tokens: tuple[str, ...]
    unknown: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    known_share: float = 0.0  # share of the question's weight the knowledge base knows at all
    qtype: str = "other"  # quantity, date or other
    known_words: int = 0  # known non-number tokens in the question (exact or typo-repaired)
    exact_words: int = 0  # known non-number tokens spelled as the knowledge base spells them
    gaps: tuple[str, ...] = ()  # ids of declared not-covered subjects the question mentions
    confidence: float = 0.0  # estimated probability that `top` is the right fact (`confidence.py`)
    uncovered: tuple[str, ...] = ()  # words of what the question counts that the top fact lacks
    figure: str = ""  # the figure a "what is 29.6%?" question asks about, as shown to the user
    figure_facts: tuple[str, ...] = ()  # the facts holding that figure, best ranked first
    dates: tuple[str, ...] = ()  # months and years the question asks about ("2025-07", "2027")
    undated: tuple[str, ...] = ()  # the months or years asked about ("2025-07", "2027") when the top fact has a figure for none
    quoted_held: int = 0  # figures the question quotes ("37% or 47%?") that the top fact holds (near enough)
    imprecise: bool = False  # a more precise figure is asked for and the top fact gives its figure only roughly ("over 42%")
    unasked: bool = False  # the sentences of a message that plainly ask name nothing the knowledge base knows
    quoted_missing: tuple[str, ...] = ()  # precise figures quoted that the top fact does not hold ("was it ever 9.8%?"), as typed
    counted: bool = False  # a count is asked for instead of a share ("the NUMBER of hospitals, not the percent")

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None
