"""Re-ranking by what a question asks, after the scoring: the facts holding a figure it quotes
roughly, the kind of figure it wants, a month or year it names, what a "how many" question
counts, or the kind of place a share is asked at rank above their neighbours; the words of what
it counts (or the place) that the top fact does not name (`uncovered`, which the policy declines
on); and whether the top fact gives only rough figures where a more precise one is asked for.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.search.approx import COUNT_UNITS, Amount, holds_near, holds_near_one, percent_span, precise_percents, quoted_amounts
from bot.search.asking import DATE_UNITS, counted_clause
from bot.search.dates import fact_dates, holds
from bot.search.facts import FactDoc
from bot.search.result import Candidate, SearchResult
from bot.search.typos import TypoRepair
from bot.text.normalise import tokens

DATE_BONUS = 0.15  # a fact with a figure for the month or year asked about, over one without
ALL_DATES_BONUS = 0.1  # and one with figures for every month or year asked, over one with some
NEAR_BONUS = 0.1  # a fact holding a figure the question quotes roughly ("about half") ranks above its neighbours
UNIT_BONUS = 0.1  # a fact with a figure of the kind asked for ("what share": a percentage) over one without
SUBJECT_BONUS = 0.1  # a fact holding what a "how many" question counts, over a top fact lacking it
COUNT_REACH = 0.3  # how far below a top fact with shares only a fact counting what "how many" asks may rank
COUNT_LEAD = 0.1  # and how far above the top fact it then ranks
BASE_BONUS = 0.2  # a fact with a share of the people a question names ("what % of cardholders"), over a top fact counting them
PLACE_BONUS = 0.2  # a fact naming the kind of place a share is asked for ("at pharmacies"), over a top fact that does not
# kinds of place a share is given for, as tokens ("pharmacies" -> pharmacy); in Japanese 「薬局の調査」
# names a survey as often as a place, so only English words count
PLACE_WORDS = frozenset({"pharmacy", "clinic"})
_PLACE_NAMED = re.compile(r"pharmac|clinic", re.IGNORECASE)  # a cheap first look, before the tokens
_SHARE_ASKED = re.compile(r"\b(?:rate|percent|percentage|share|proportion|how\s+many|what\s*%)|率|割合|何割|何[％%]", re.IGNORECASE)
RARE_SHARE = 0.08  # a word held by at most this share of the facts names a subject of its own


class Reranker:
    """The re-ranks of one index's facts; the per-fact dates and counted words are read on first
    use (the same value whichever thread writes them)."""

    def __init__(self, docs: list[FactDoc], position: dict[str, int], idf: dict[str, float], postings: dict[str, tuple[int, ...]], typos: TypoRepair) -> None:
        self._docs = docs
        self._position = position  # fact id -> the position of the first fact with it
        self._idf = idf
        self._postings = postings
        self._typos = typos
        self._fact_counts: dict[str, frozenset[str]] = {}  # filled by `_names`
        self._fact_dates: dict[tuple[str, bool], frozenset[str]] = {}  # filled by `dates_of`
        self._share_bases: dict[str, tuple[frozenset[str], ...]] = {}  # filled by `_bases_of`

    def _doc(self, fact_id: str) -> FactDoc:
        return self._docs[self._position[fact_id]]

    def near_quoted(self, result: SearchResult, amounts: tuple[Amount, ...]) -> SearchResult:
        """Facts holding a figure near one the question quotes ("about half", "3割") rank above
        those holding none (`NEAR_BONUS`); nothing changes when all or none of them hold one."""
        cands = result.candidates
        if not cands or cands[0].exact:
            return result
        near = {c.fact_id for c in cands if holds_near(self._doc(c.fact_id).fact, amounts)}
        if not near or len(near) == len(cands):
            return result
        return replace(result, candidates=raised(cands, near, NEAR_BONUS))

    def quoted(self, question: str, result: SearchResult) -> SearchResult:
        """How many figures the message quotes, in any sentence, the top fact holds ("I saw 37% and
        47%. which one is wrong?"), and the precise percentages it quotes that the top fact does not
        hold ("was it ever 9.8%?")."""
        quoted = quoted_amounts(question)
        if not quoted or not result.candidates:
            return result
        top = self._doc(result.candidates[0].fact_id).fact
        precise = precise_percents(question)
        missing = tuple(typed for typed, amount in precise if not holds_near(top, (amount,)))
        # a precise figure only near one of the fact's ("5.1%" beside 4.6%) is not held
        near_only = sum(1 for typed, (low, high, _kind) in precise if typed in missing and holds_near(top, ((*percent_span((low + high) / 2), "percent"),)))
        held = sum(holds_near(top, (amount,)) for amount in quoted) - near_only
        return replace(result, quoted_held=max(0, held), quoted_missing=missing)

    def imprecise(self, question: str, result: SearchResult) -> bool:
        """Is every figure of the top fact that the question may be about given only roughly ("over
        42%")? Those near a figure it quotes, else all its counts and shares."""
        if not result.candidates or result.candidates[0].exact:
            return False
        figures = [f for f in self._doc(result.candidates[0].fact_id).fact.figures if isinstance(f.value, (int, float)) and f.unit not in DATE_UNITS]
        amounts = quoted_amounts(question)
        if amounts:
            figures = [f for f in figures if holds_near_one(f, amounts)]
        return bool(figures) and all(f.qualifier for f in figures)

    def by_unit(self, result: SearchResult, units: frozenset[str]) -> SearchResult:
        """Facts holding a figure of the kind asked for ("what share" a percentage, "when" a date)
        rank above those holding none (`UNIT_BONUS`)."""
        cands = result.candidates
        if not cands or cands[0].exact:
            return result
        fitting = {c.fact_id for c in cands if any(f.unit in units for f in self._doc(c.fact_id).fact.figures)}
        if not fitting or len(fitting) == len(cands):
            return result
        return replace(result, candidates=raised(cands, fitting, UNIT_BONUS))

    def by_date(self, result: SearchResult, asked: tuple[str, ...], counting: bool = False) -> SearchResult:
        """Facts with a figure for a month or year the question names rank above those without
        (`DATE_BONUS`); `undated` holds the dates asked when the top fact then has none of them.
        `counting`: the question asks for a count or a share, which only a count or a share of
        that month answers (not the day something was announced in it)."""
        cands = result.candidates
        if not cands or cands[0].exact:
            return replace(result, dates=asked)
        dated = {c.fact_id for c in cands if holds(self.dates_of(c.fact_id, counting), asked)}
        ranked = raised(cands, dated, DATE_BONUS)
        if len(asked) > 1:
            # "between autumn 2023 and autumn 2025": a fact with figures for every date asked over one with some
            every = {fid for fid in dated if all(holds(self.dates_of(fid, counting), (key,)) for key in asked)}
            if every and every != dated:
                ranked = raised(ranked, every, ALL_DATES_BONUS)
        top_dates = self.dates_of(ranked[0].fact_id, counting)
        undated = () if holds(top_dates, asked) else asked
        return replace(result, candidates=ranked, dates=asked, undated=undated)

    def by_subject(self, question: str, result: SearchResult, uncovered: tuple[str, ...]) -> tuple[SearchResult, tuple[str, ...]]:
        """A "how many" question whose top fact lacks what it counts: a candidate close enough,
        holding every known word of what it counts and a figure that counts, ranks first
        (`SUBJECT_BONUS`): "around when the old cards stopped, how many people had registered?"
        counts registrations, not the end of issuance."""
        cands = result.candidates
        counted = {t for t in self._known(counted_clause(question)[0]) if not t.startswith("#")}
        for cand in cands[1:]:
            if cands[0].score - cand.score >= SUBJECT_BONUS:
                break  # too far below for the bonus to put it first
            doc = self._doc(cand.fact_id)
            counts = any(f.unit not in DATE_UNITS for f in doc.fact.figures)  # a count or a share, not a date
            if counts and all(word in doc.fields for word in counted.union(uncovered)):
                # and the top fact, lacking it, is no longer a close second
                first = replace(result, candidates=raised(raised(cands, {cand.fact_id}, SUBJECT_BONUS), {cands[0].fact_id}, -SUBJECT_BONUS))
                return first, self.uncovered(question, first)
        return result, uncovered

    def by_count(self, question: str, result: SearchResult) -> SearchResult:
        """A "how many hospitals had the system installed?" question whose top fact gives only
        shares of them (29.6% of the 892 hospitals): a candidate within `COUNT_REACH` with a count
        (892 hospitals) of every known word of what is counted ranks first."""
        cands = result.candidates
        if len(cands) < 2 or cands[0].exact or any(f.unit in COUNT_UNITS for f in self._doc(cands[0].fact_id).fact.figures):
            return result
        counted = {t for t in self._known(counted_clause(question)[0]) if not t.startswith("#")}
        if len(counted) < 2:
            return result
        for cand in cands[1:]:
            if cands[0].score - cand.score >= COUNT_REACH:
                break
            for fig in self._doc(cand.fact_id).fact.figures:
                if fig.unit in COUNT_UNITS and fig.counts is not None and counted <= set(tokens(fig.counts.get("en"))):
                    lift = cands[0].score - cand.score + COUNT_LEAD
                    return replace(result, candidates=raised(cands, {cand.fact_id}, lift))
        return result

    def by_place(self, asked: str, result: SearchResult, dates: tuple[str, ...]) -> tuple[SearchResult, tuple[str, ...]]:
        """A share asked for at a kind of place ("the usage rate at pharmacies in 2023", 「診療所の利用率」)
        that the top fact does not name: a candidate close enough that names it (with a figure for
        the month or year asked, if any) ranks first (`PLACE_BONUS`); with none, the place is what
        the top fact does not cover (`uncovered`), and the policy declines."""
        cands = result.candidates
        if not cands or cands[0].exact or not _PLACE_NAMED.search(asked) or not _SHARE_ASKED.search(asked):
            return result, ()
        places = [t for t in dict.fromkeys(tokens(asked)) if t in PLACE_WORDS]
        # a top fact named with the place only by its phrasings ("how often is the card used at the
        # clinic?") gives way to a close one with a figure for it (the usage rate at clinics)
        missing = [t for t in places if not self._names(cands[0].fact_id, t, by_figure=True)]
        if not missing:
            return result, ()
        for cand in cands[1:]:
            if cands[0].score - cand.score >= PLACE_BONUS:
                break
            if all(self._names(cand.fact_id, t, by_figure=True) for t in missing) and (not dates or holds(self.dates_of(cand.fact_id, True), dates)):
                return replace(result, candidates=raised(cands, {cand.fact_id}, PLACE_BONUS)), ()
        named = [t for t in missing if not self._names(cands[0].fact_id, t)]
        return result, tuple(named)

    def by_base(self, result: SearchResult, base: str) -> SearchResult:
        """A question asking for a share of some people ("what % of cardholders …", 「カード持ってる人の
        何％」): when the top fact counts them and has no share taken of them, a candidate close
        enough that has one ranks first (`BASE_BONUS`): the registrations (87.4% of cardholders),
        not the number of cardholders."""
        cands = result.candidates
        words = {t for t in self._known(base) if not t.startswith("#")}
        if not cands or cands[0].exact or not words:
            return result

        def fits(fact_id: str) -> bool:
            return any(len(words & base_words) * 2 >= len(words) for base_words in self._bases_of(fact_id))

        def counts_them(fact_id: str) -> bool:
            return len(words & self._counted_by(fact_id)) * 2 >= len(words)

        if fits(cands[0].fact_id):
            # the top fact has a share of them: a close runner-up that only counts them is no rival
            runner = cands[1] if len(cands) > 1 else None
            if runner is not None and cands[0].score - runner.score < BASE_BONUS and not fits(runner.fact_id) and counts_them(runner.fact_id):
                return replace(result, candidates=raised(cands, {cands[0].fact_id}, BASE_BONUS))
            return result
        if not counts_them(cands[0].fact_id):
            return result  # the top fact does not count them either
        for cand in cands[1:]:
            if cands[0].score - cand.score >= BASE_BONUS:
                break
            if fits(cand.fact_id):
                return replace(result, candidates=raised(cands, {cand.fact_id}, BASE_BONUS))
        return result

    def _counted_by(self, fact_id: str) -> frozenset[str]:
        """The words of what a fact's figures count (both languages)."""
        return frozenset(tok for f in self._doc(fact_id).fact.figures if f.counts is not None for tok in tokens(f.counts.en) + tokens(f.counts.ja))

    def _bases_of(self, fact_id: str) -> tuple[frozenset[str], ...]:
        """The words of the base of each of a fact's percentages (both languages), read on first use."""
        bases = self._share_bases.get(fact_id)
        if bases is None:
            figures = self._doc(fact_id).fact.figures
            bases = tuple(frozenset(tokens(f.base.en) + tokens(f.base.ja)) for f in figures if f.unit == "percent" and f.base is not None)
            self._share_bases[fact_id] = bases
        return bases

    def dates_of(self, fact_id: str, counting: bool = False) -> frozenset[str]:
        """The months and years a fact has figures for (`counting`: figures that count, not
        dates), read on first use: only questions that name a date need them, so an index build
        never pays for them."""
        dates = self._fact_dates.get((fact_id, counting))
        if dates is None:
            dates = self._fact_dates[(fact_id, counting)] = fact_dates(self._doc(fact_id).fact, counting)
        return dates

    def uncovered(self, question: str, result: SearchResult) -> tuple[str, ...]:
        """The words of what a "how many / what share" question counts (the clause after the cue)
        that the top fact does not name: "how many clinics were surveyed" is not answered by the
        fact about the hospitals surveyed. The first content word
        after the cue (in 「回答した患者は何人」 the last before it) names what is counted: the top
        fact must hold it, however common it is."""
        top = result.top
        if top is None or top.exact or result.qtype != "quantity":
            return ()
        return self.lacking(question, top.fact_id)

    def lacking(self, question: str, fact_id: str) -> tuple[str, ...]:
        """The words of what a "how many / what share" question counts that a fact does not name
        (`uncovered`, for any fact)."""
        clause, head_last = counted_clause(question)
        if not clause:
            return ()
        doc = self._doc(fact_id)
        known = self._known(clause)
        rare = max(1, int(RARE_SHARE * len(self._docs)))
        # a rare number counts too ("how many people over 75 ..." is about an age group)
        missing = [t for t in dict.fromkeys(known) if t.startswith("#") and t not in doc.fields and len(self._postings[t]) <= rare]
        words = [t for t in known if not t.startswith("#")]
        head = words[-1 if head_last else 0] if words else None
        if head is not None and not self._names(fact_id, head) and head not in missing:
            missing.insert(0, head)
        return tuple(missing)

    def _names(self, fact_id: str, word: str, by_figure: bool = False) -> bool:
        """Whether a fact names `word` as its subject: in a keyword, in two of its phrasings (not
        `by_figure`), or in what one of its figures counts (its `counts` and `base`). A word only its
        answer holds is not enough: the survey's answer mentions the patient survey, but no figure of
        it counts patients; nor is one phrasing's context ("my cousin runs a clinic and says ...")."""
        doc = self._doc(fact_id)
        if not by_figure and len(doc.phrasings_with.get(word, ())) >= 2:
            return True
        words = self._fact_counts.get(fact_id)
        if words is None:
            fact = doc.fact
            texts = [t for f in fact.figures for text in (f.counts, f.base) if text is not None for t in (text.en, text.ja)]
            texts += [k for lang in fact.keywords for k in fact.keywords[lang]]
            words = self._fact_counts[fact_id] = frozenset(tok for text in texts for tok in tokens(text))
        return word in words

    def _known(self, text: str) -> list[str]:
        """A text's tokens the knowledge base holds, a misspelt one read as its closest known word."""
        known = []
        for tok in tokens(text):
            if tok in self._idf:
                known.append(tok)
            elif repairs := self._typos(tok):
                known.append(max(repairs, key=lambda repair: repair[1])[0])
        return known


def raised(cands: tuple[Candidate, ...], fact_ids: set[str], bonus: float) -> tuple[Candidate, ...]:
    """The candidates with `bonus` added to the score of those in `fact_ids` (at most 0.99), ranked again."""
    raised = (replace(c, score=round(min(0.99, c.score + bonus), 4)) if c.fact_id in fact_ids else c for c in cands)
    return tuple(sorted(raised, key=lambda c: (-c.score, c.fact_id)))
