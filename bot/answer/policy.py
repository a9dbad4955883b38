"""Answer, suggest or decline: a small pure function over ranked candidates.

Kept apart from scoring so each can be tested and tuned on its own. The rule:
- answer when the best fact is confident (score >= answer) and clearly ahead of the
  runner-up (margin), or when the question is one of its phrasings exactly;
- suggest up to three facts when the best is plausible (score >= suggest) but not both;
- decline otherwise, and also when too little of the question is known to the knowledge
  base at all (an unknown topic word must not be answered with a neighbouring figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.knowledge.model import Fact
from bot.search.index import Candidate, SearchResult

QUANTITY_UNITS = frozenset({"percent", "people", "hospitals", "count", "digits", "years"})

Kind = Literal["answer", "suggest", "decline"]


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.50
    margin: float = 0.03
    suggest: float = 0.35
    suggest_window: float = 0.20  # suggestions within this distance of the best
    min_known_share: float = 0.70  # below: never answer (at most suggest)
    max_suggestions: int = 3
    min_exact_words: int = 1  # words spelled as in the knowledge base; a typo repair alone never answers

    def stricter(self) -> Thresholds:
        """For unprompted answers in chat channels: only when clearly confident, and never
        on a single word ("same", "lunch" read as "launch")."""
        return Thresholds(self.answer + 0.1, self.margin + 0.04, self.suggest + 0.15, self.suggest_window, self.min_known_share + 0.1, self.max_suggestions, 2)


@dataclass(frozen=True)
class Decision:
    """What to do with a question. `closest_fact` and `score` are the best candidate's, whatever
    the kind, so a decline still says which fact came nearest (the moderators' inbox shows it)."""

    kind: Kind
    fact_id: str | None
    score: float
    suggestions: tuple[str, ...] = ()
    reason: str = ""
    closest_fact: str | None = None


def _enough_words(result: SearchResult, t: Thresholds) -> bool:
    """Two known words at least, and `min_exact_words` of them spelled as the knowledge base
    spells them; in normal mode two repaired typos corroborating each other also do
    ("hospitels ... benifit")."""
    if result.known_words < 2:
        return False  # one word ("hokensho?", 保険証) is a topic, not a question: suggest instead
    if result.exact_words >= t.min_exact_words:
        return True
    return t.min_exact_words <= 1


def fits(fact: Fact | None, qtype: str) -> bool:
    """Can this fact answer this kind of question? A "how many" needs a counted figure."""
    if fact is None or qtype == "other":
        return True
    if qtype == "quantity":
        return any(f.unit in QUANTITY_UNITS for f in fact.figures)
    return bool(fact.figures)  # "when": any dated figure


def decide(result: SearchResult, t: Thresholds = Thresholds(), facts: dict[str, Fact] | None = None) -> Decision:
    cands = result.candidates
    if not result.tokens:
        return Decision("decline", None, 0.0, reason="no_content")
    if not cands:
        return Decision("decline", None, 0.0, reason="no_match")
    top = cands[0]
    if result.gaps and not top.exact:
        # the question is about something the sources have no figure for (declared in not_covered)
        return Decision("decline", None, top.score, reason="not_covered", closest_fact=top.fact_id)
    if top.exact:
        return Decision("answer", top.fact_id, top.score, reason="exact", closest_fact=top.fact_id)
    runner: Candidate | None = cands[1] if len(cands) > 1 else None
    margin = top.score - (runner.score if runner else 0.0)
    fact = facts.get(top.fact_id) if facts else None
    if top.score >= t.answer and margin >= t.margin and result.known_share >= t.min_known_share and _enough_words(result, t):
        if fits(fact, result.qtype):
            return Decision("answer", top.fact_id, top.score, reason="confident", closest_fact=top.fact_id)
        # the words match but the fact holds no figure of the kind asked for ("how many ... cancelled")
        return Decision("suggest", None, top.score, (top.fact_id,), reason="type_mismatch", closest_fact=top.fact_id)
    if top.score >= t.suggest:
        picks = tuple(c.fact_id for c in cands if c.score >= t.suggest and top.score - c.score <= t.suggest_window)
        return Decision("suggest", None, top.score, picks[: t.max_suggestions], reason="close" if margin < t.margin else "unsure", closest_fact=top.fact_id)
    return Decision("decline", None, top.score, reason="no_match", closest_fact=top.fact_id)
