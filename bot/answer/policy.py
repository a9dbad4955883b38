"""Answer, suggest or decline: a small pure function over ranked candidates.

Kept apart from scoring so each can be tested and tuned on its own. The rule:
- answer when the question is one of a fact's phrasings exactly, or when the matcher's
  confidence (the estimated probability that its top fact is right) reaches `answer`, enough of
  the question is known to the knowledge base (`min_known_share`, less when the confidence is
  high: a chatty message's other words are unknown), and the fact holds a figure of the kind asked;
- suggest ("did you mean") the two best facts when they are genuinely close (the runner-up
  within `ambiguous_lead` of the best, both plausible), or the best alone when the confidence
  is at least `suggest`, it is plausible (`plausible`) and at least half the question is known;
- decline otherwise, and also when the question is about a declared gap in the sources, counts
  something the best fact's figures do not (`SearchResult.uncovered`), or names a month or year
  the best fact has no figure for (`SearchResult.undated`);
- a question about a figure ("what is 29.6%?") is answered with the fact holding it, and
  declined when no fact does; one quoting two figures the best fact holds ("37.14% vs 47.26%?")
  is answered with it;
- a message whose sentences that plainly ask name nothing the knowledge base knows (the weather,
  with an insurance card mentioned in passing) is declined (`SearchResult.unasked`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from bot.knowledge.model import Fact
from bot.search.asking import asking, sentences
from bot.search.result import Candidate, SearchResult

QUANTITY_UNITS = frozenset({"percent", "people", "hospitals", "count", "digits", "years"})

Kind = Literal["answer", "suggest", "decline"]
_DURATION_RE = re.compile(r"\bhow\s+long\b|\byears?\b|\bvalid|何年|年間|期間|有効期限|いつまで", re.IGNORECASE)


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.6  # confidence needed to answer
    suggest: float = 0.30  # confidence needed to offer the best fact as "did you mean"
    ambiguous_lead: float = 0.02  # the runner-up this close (in score) to the best: ambiguous
    plausible: float = 0.35  # score a fact needs to be offered at all (both, for an ambiguous pair)
    min_known_share: float = 0.70  # below: never answer (at most suggest)
    sure: float = 0.85  # from this confidence on, a chatty message whose other words are unknown ...
    min_sure_share: float = 0.50  # ... is answered when this share of it is known
    min_suggest_share: float = 0.50  # below: not even a "did you mean" (most of the question is unknown)
    max_suggestions: int = 2
    min_exact_words: int = 1  # words spelled as in the knowledge base; a typo repair alone never answers
    figure_questions: bool = True  # answer "what is 29.6%?" with the fact holding the figure

    def stricter(self) -> Thresholds:
        """For unprompted answers in chat channels: only when clearly confident, and never
        on a single word ("same", "lunch" read as "launch"), nor on a number alone ("lol 42% of
        my day" in a chat channel is not a figure question)."""
        return replace(
            self,
            answer=min(0.95, self.answer + 0.25),
            suggest=self.suggest + 0.3,
            plausible=self.plausible + 0.15,
            min_known_share=self.min_known_share + 0.1,
            min_sure_share=self.min_known_share + 0.1,  # unprompted, a confident guess is not enough
            min_suggest_share=self.min_suggest_share + 0.1,
            min_exact_words=2,
            figure_questions=False,
        )


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
    confidence: float = 0.0  # the matcher's estimate that `closest_fact` is right


def _enough_words(result: SearchResult, t: Thresholds) -> bool:
    """Two known words at least (a month or year asked about counts as one: "registrations oct
    2024"), and `min_exact_words` of them spelled as the knowledge base spells them; in normal mode two repaired typos corroborating each other also do
    ("hospitels ... benifit"); a figure the question quotes that the best fact holds counts as a
    word ("I saw 37% and 47% for October 2025"). One known word is enough for a count asked for with every word
    known, when the matcher is sure ("how many people were registered?")."""
    counted = result.known_words == 1 and result.qtype in ("quantity", "date") and not result.unknown and result.confidence >= t.sure
    if result.known_words + bool(result.dates) + result.quoted_held < 2 and not counted:
        return False  # one word ("hokensho?", 保険証) is a topic, not a question: suggest instead
    if result.exact_words >= t.min_exact_words:
        return True
    return t.min_exact_words <= 1


def fits(fact: Fact | None, qtype: str, duration: bool = True, counted: bool = False) -> bool:
    """Can this fact answer this kind of question? A "how many" needs a counted figure, and a
    number of years only when the question asks how long (`duration`), a share not when the
    question asks for a count instead (`counted`)."""
    if fact is None or qtype == "other":
        return True
    if qtype == "quantity":
        return any(f.unit in QUANTITY_UNITS and (duration or f.unit != "years") and not (counted and f.unit == "percent") for f in fact.figures)
    return bool(fact.figures)  # "when": any dated figure


def asks_duration(text: str) -> bool:
    """ "how long", "how many years", 「何年間」: a question a number of years answers (read in its
    last asking sentence: "how long is it valid? how many have been issued?" asks a count)."""
    asked = asking(sentences(text))
    return bool(_DURATION_RE.search(asked[-1] if asked else text))


def decide(result: SearchResult, t: Thresholds = Thresholds(), facts: dict[str, Fact] | None = None) -> Decision:
    cands = result.candidates
    if not result.tokens:
        return Decision("decline", None, 0.0, reason="no_content")
    first = cands[0] if cands else None
    if result.gaps and not (first is not None and first.exact):
        # the question is about something the sources have no figure for (declared in not_covered),
        # also when it names a figure ("what's the margin of error on the 46.2% figure?")
        return Decision("decline", None, first.score if first else 0.0, reason="not_covered", closest_fact=first.fact_id if first else None)
    if result.figure and t.figure_questions:
        # "what is 29.6%?": the fact that holds the figure, or a decline saying we have none
        if result.figure_facts:
            fid = result.figure_facts[0]
            return Decision("answer", fid, cands[0].score if cands else 0.0, reason="figure", closest_fact=fid, confidence=1.0)
        return Decision("decline", None, 0.0, reason="unknown_figure", closest_fact=cands[0].fact_id if cands else None)
    if not cands:
        return Decision("decline", None, 0.0, reason="no_match")
    top = cands[0]
    if top.exact:
        return Decision("answer", top.fact_id, top.score, reason="exact", closest_fact=top.fact_id, confidence=1.0)
    if result.unasked:
        # what the message asks names nothing we know; its known words are only context
        return Decision("decline", None, top.score, reason="no_match", closest_fact=top.fact_id, confidence=result.confidence)
    if result.uncovered:
        # what the question counts is not what the best fact's figures count ("how many clinics")
        return Decision("decline", None, top.score, reason="subject_not_covered", closest_fact=top.fact_id, confidence=result.confidence)
    if result.undated:
        # a month or year the best fact has no figure for ("the usage rate in July 2025")
        return Decision("decline", None, top.score, reason="no_figure_for_date", closest_fact=top.fact_id, confidence=result.confidence)
    if result.quoted_missing and not result.quoted_held and not (result.dates and not result.undated):
        # "was the usage rate ever 9.8%?", "the survey said 22.7% found it useful, right?": a figure
        # the best fact does not hold is not confirmed by giving that fact's other figures
        return Decision("decline", None, top.score, reason="unknown_figure", closest_fact=top.fact_id, confidence=result.confidence)
    if result.quoted_held >= 2 and not result.quoted_missing and t.figure_questions:
        # "37.14 vs 47.26 whats the diff": two figures quoted, both the best fact's, name it
        return Decision("answer", top.fact_id, top.score, reason="figures", closest_fact=top.fact_id, confidence=result.confidence)
    runner: Candidate | None = cands[1] if len(cands) > 1 else None
    lead = top.score - (runner.score if runner else 0.0)
    fact = facts.get(top.fact_id) if facts else None
    conf = result.confidence
    ambiguous = runner is not None and lead < t.ambiguous_lead and runner.score >= t.plausible
    known_enough = result.known_share >= (t.min_known_share if conf < t.sure else t.min_sure_share)
    if conf >= t.answer and not ambiguous and known_enough and _enough_words(result, t):
        if fits(fact, result.qtype, asks_duration(result.query), result.counted):
            if result.imprecise:
                # "is there a more exact number than 'over 42%'?": the fact has none; say so
                return Decision("decline", None, top.score, reason="no_precise_figure", closest_fact=top.fact_id, confidence=conf)
            return Decision("answer", top.fact_id, top.score, reason="confident", closest_fact=top.fact_id, confidence=conf)
        # the words match but the fact holds no figure of the kind asked for ("how many
        # eligibility certificates were issued?" and the fact about them counts nothing)
        return Decision("decline", None, top.score, reason="type_mismatch", closest_fact=top.fact_id, confidence=conf)
    if ambiguous and conf >= t.suggest / 2:
        picks = tuple(c.fact_id for c in cands if top.score - c.score < t.ambiguous_lead and c.score >= t.plausible)
        return Decision("suggest", None, top.score, picks[: t.max_suggestions], reason="close", closest_fact=top.fact_id, confidence=conf)
    if conf >= t.suggest and top.score >= t.plausible and result.known_share >= t.min_suggest_share:
        return Decision("suggest", None, top.score, (top.fact_id,), reason="unsure", closest_fact=top.fact_id, confidence=conf)
    return Decision("decline", None, top.score, reason="no_match", closest_fact=top.fact_id, confidence=conf)
