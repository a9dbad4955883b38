"""The search index: facts scored against a question, ranked, with the evidence kept.

Scoring, not deciding: `SearchIndex.search` returns ranked candidates with scores in [0, 1];
`bot.answer.policy.decide` turns them into answer / suggest / decline.

How a question is scored against the facts (the README's "How the bot decides" explains why):
- Each distinct question token weighs its inverse document frequency over facts,
  log(1 + facts / facts holding it). A token no fact holds weighs half of what a token held by
  0.75 facts would (about half the rarest known token), less when the message has more than six
  distinct tokens, so an unknown topic word ("pharmacies", "cost") pulls every score down.
- Typos (`typos.TypoRepair`): an unknown English word of four letters or more is read as at
  most two known words with rapidfuzz's OSA similarity of at least 0.78 (or, failing that,
  sharing its first six letters); a word closest to a stop word is dropped. Before that, an
  unknown word of eight letters or more that is two words a phrasing writes side by side, typed
  without the space ("usagerate", "stopissuing"), gets its space back.
- Stage 1, candidates: every fact holding one of the question's words (or repairs) gains that
  word's weight, reading only the postings of words held by at most 5% of the facts (at least
  40); the 40 facts with the most (12 for a message of several sentences), plus the first fact
  with the exact phrasing, go on.
- Stage 2, full scoring of those (`score.py`): `coverage` is the share of the question's weight found
  anywhere in the fact, each field weighted (`facts.W_*`: phrasings and keywords 1.0, answer
  0.7, figure values 0.8, ...); `phrase` is the best single phrasing's F1 of recall (the share
  of the question's weight it holds) and precision (the share of its own weight the question
  holds). lexical = 0.4 * coverage + 0.6 * phrase, + 0.06 when a multi-word keyword of the
  fact is in the question, at most 0.99; 1.0 when the question is a phrasing once normalised.
- The learned model (`learned.CentroidModel`, trained on the facts' texts when the index is
  built, up to `learned.LEARNED_MAX_FACTS` facts) gives each shortlisted fact its cosine
  similarity; score = 0.6 * lexical + 0.4 * learned (the lexical score alone without a model).
- A message of several sentences is also scored sentence by sentence (those that ask), at 0.95
  of their score, and each fact keeps its best; a sentence scores only the `SENTENCE_POOL`
  facts the whole message ranked best.
- Re-ranks (`rerank.py`): a figure quoted roughly ("about half"), the kind of figure asked for
  ("what share": a percentage, "when": a date), a month or year named, or what a "how many"
  question counts raises the facts holding it by 0.1; a share asked at a kind of place ("the
  usage rate at pharmacies") raises a close fact naming it (+0.15), else the place is what the
  top fact does not cover.
- The result carries the confidence (`confidence.py`: the estimated probability that the top
  fact is right), for a "how many / what share" question the words of what it counts that the
  top fact does not name (`uncovered`), for a question about a figure ("what is 29.6%?") the
  facts holding it (`figures.py`), whether the sentences that plainly ask name nothing known
  (`unasked`), and whether a more precise figure is asked for than the top fact gives (`imprecise`).
"""

from __future__ import annotations

import heapq
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.knowledge.gaps import GapMatcher
from bot.knowledge.model import KnowledgeBase, Topic
from bot.search.approx import quoted_amounts
from bot.search.asking import (
    DATE_UNITS,
    asking,
    asks_count_not_share,
    asks_for_amount,
    asks_plainly,
    asks_precise,
    asks_why,
    is_remark,
    points_back,
    sentences,
    share_base,
    wanted_units,
    with_antecedents,
    without_set_aside,
)
from bot.search.confidence import confidence
from bot.search.dates import asked_dates, holds
from bot.search.facts import FactDoc, analyse_fact
from bot.search.figures import asked_figure, asks_about_percent, figure_holders
from bot.search.learned import CentroidModel, build_model
from bot.search.phrases import PhraseTable
from bot.search.rerank import Reranker
from bot.search.result import Candidate, SearchResult, candidate_of
from bot.search.score import Expansions, Scoring, score_fact
from bot.search.typos import TypoRepair
from bot.text.normalise import analyse_question, canonical_word, clean, detect_lang, question_type

SENTENCE_DISCOUNT = 0.95
# an English word long enough to be two typed as one ("usagerate", "stopissuing")
_GLUED_RE = re.compile(r"(?<![A-Za-z'])[A-Za-z]{8,}(?![A-Za-z'])")
UNKNOWN_FACTOR = 0.5  # weight of a word the knowledge base has never seen, relative to its rarest word
CANDIDATE_DF_CAP = 0.05  # tokens in more than this share of facts do not generate candidates
SHORTLIST = 40  # facts fully scored per question
# a message of several sentences: its whole text is scored in full for fewer facts, as its asking
# sentences re-rank the best of them (long chatty messages are the slowest to answer)
LONG_SHORTLIST = 12
MAX_ASKING = 4  # asking sentences of a long message read for a figure asked about
SENTENCE_POOL = 8  # facts of a long message's best that each of its sentences scores again


class SearchIndex:
    """Immutable once built; safe to share between threads and to swap atomically.

    `previous`: the index of an earlier version of the knowledge base, after a reload. The
    analysis of every fact that is the very same object there (with the very same topic) is
    taken over instead of done again; everything that depends on the whole knowledge base
    (postings, weights, exact phrasings, typo repair) is computed afresh, except the figure
    holders when every position holds the same figures, so the index is the same as one built
    from scratch."""

    def __init__(self, kb: KnowledgeBase, previous: SearchIndex | None = None) -> None:
        self.kb = kb
        self.docs = _analyse_facts(kb, previous)
        self.postings = _postings(self.docs)  # token -> positions of the facts that hold it
        n = max(1, len(self.docs))
        self.idf: dict[str, float] = {t: math.log(1 + n / len(p)) for t, p in self.postings.items()}
        self.unknown_weight = math.log(1 + n / 0.75) if n > 1 else 1.0
        self.candidate_cap = max(SHORTLIST, int(CANDIDATE_DF_CAP * n))
        # per fact, per phrasing: the sum of its tokens' weights (a phrasing's precision divides by it)
        weight = self.idf.__getitem__
        self._phrase_totals = [tuple(sum(map(weight, toks)) or 1.0 for _lang, _text, _norm, toks in doc.phrasings) for doc in self.docs]
        self.exact: dict[str, int] = {}  # normalised phrasing -> the first fact that has it
        for idx, doc in enumerate(self.docs):
            for _lang, _text, norm, _toks in doc.phrasings:
                self.exact.setdefault(norm, idx)
        self.phrasing_count = sum(len(doc.phrasings) for doc in self.docs)
        self._typos = TypoRepair(self.postings)
        self._gaps = GapMatcher(kb.gaps)
        if previous is not None and len(previous.docs) == len(self.docs) and all(map(operator.is_, previous.docs, self.docs)):
            self.model: CentroidModel | None = previous.model  # the very same facts: the same model
        else:
            self.model = build_model(self.docs)
        # every fact's best phrasing in one go, where the learned model has loaded numpy (`phrases.py`)
        self._phrases = PhraseTable(self.docs, self._phrase_totals) if self.model is not None else None
        if previous is not None and _same_figures(previous.docs, self.docs):
            self._figures = previous._figures
        else:
            self._figures = figure_holders(self.docs)
        self._position: dict[str, int] = {}  # fact id -> the position of the first fact with it
        for idx, doc in enumerate(self.docs):
            self._position.setdefault(doc.fact.id, idx)
        self._rerank = Reranker(self.docs, self._position, self.idf, self.postings, self._typos)

    def search(self, question: str, limit: int = 5) -> SearchResult:
        """Rank facts for a question. A long message is also scored sentence by sentence, and
        each fact keeps its best score: the question in a chatty message is usually one sentence
        of it, and the rest is context that would otherwise dilute every score. A clause that
        sets a subject aside (", not for patients") is left out, unless a phrasing says it so."""
        question = self._unglued(question)
        counted = asks_count_not_share(clean(question))
        if analyse_question(question)[0] not in self.exact:
            question = without_set_aside(question)
        parts = sentences(question, clauses=True)
        result = self._search_all(question, limit, parts)
        asking_parts = asking(parts)
        asked = " ".join(asking_parts)
        amounts = quoted_amounts(asked)
        if amounts:
            result = self._rerank.near_quoted(result, amounts)
        wanted = wanted_units(asked)
        if wanted:
            result = self._rerank.by_unit(result, wanted)
        # a month asked without its year takes the one year the message names elsewhere ("looking
        # at 2025: what was the usage rate in January?")
        years = {key[:4] for key in asked_dates(question)}
        asked_when = asked_dates(asked, year=years.pop() if len(years) == 1 else None)
        if asked_when:
            result = self._rerank.by_date(result, asked_when, asks_for_amount(asked))
            if result.undated and (wanted == DATE_UNITS or asks_why(asked)):
                # a "when" question names a date as a guess at the answer ("when was the survey?
                # my coworker swears it was 2022"), and a "why" one as the time of what it asks the
                # reason for ("why did everyone get so mad in 2023?"), not as the month a figure is asked for
                result = replace(result, undated=())
        base = share_base(asked)
        if base:
            result = self._rerank.by_base(result, base)
        if result.qtype == "quantity" or question_type(asked) == "quantity":
            result = self._rerank.by_count(asked, result)
        uncovered = self._rerank.uncovered(question, result)
        if uncovered:
            result, uncovered = self._rerank.by_subject(question, result, uncovered)
        else:
            # (a remark after the question is no place asked about: "… these days? my coworker swears
            # every pharmacy has one of those readers")
            remark = len(asking_parts) > 1 and asks_plainly(asking_parts[-2]) and is_remark(asking_parts[-1])
            result, uncovered = self._rerank.by_place(" ".join(asking_parts[:-1]) if remark else asked, result, asked_when)
        if result.undated and result.candidates and holds(self._rerank.dates_of(result.candidates[0].fact_id, asks_for_amount(asked)), result.undated):
            result = replace(result, undated=())  # the fact ranked first since holds the date asked
        result = replace(result, confidence=round(confidence(result, self.model is not None), 4), uncovered=uncovered, counted=counted)
        result = self._rerank.quoted(question, result)
        if asks_precise(asked):
            result = replace(result, imprecise=self._rerank.imprecise(question, result))
        # the message, or the sentence of it that asks about a figure ("what's 73.7% about? saw it
        # in a tweet")
        asks_percent = [p for p in asking_parts[:MAX_ASKING] if len(parts) > 1 and asks_about_percent(p)]
        figure = next(filter(None, (asked_figure(text) for text in (question, *asks_percent) if len(text) <= 200)), None)
        if figure is None:
            return result
        typed, keys = figure
        # the facts holding the figure exactly first, then rounded to it ("47%" for 47.26%), then
        # those with it in a base, each in the matcher's order; of two figures, the facts holding both
        found: list[str] = []
        for table in self._figures:
            held = [{self.docs[i].fact.id for i in table.get(key, ())} for key in keys]
            holders = [self.docs[i].fact.id for i in table.get(keys[0], ()) if all(self.docs[i].fact.id in h for h in held)]
            found += [c.fact_id for c in result.candidates if c.fact_id in holders] + holders
        # declined, the reply names the figures no fact holds ("36.3 and 55.5?": 55.5)
        held_anywhere = {key for key in keys if any(table.get(key) for table in self._figures)}
        if not found and len(keys) > 1 and len(held_anywhere) == len(keys):
            return result  # "29.6 or 36.3?": two facts' figures, a question for the matcher
        shown = [t for t, key in zip(typed, keys, strict=True) if found or key not in held_anywhere] or list(typed)
        return replace(result, figure=" / ".join(shown), figure_facts=tuple(dict.fromkeys(found)))

    def _search_all(self, question: str, limit: int, parts: list[str] | None = None) -> SearchResult:
        """The whole message scored, then each of its asking sentences against the facts the whole
        message ranked best (`parts`: its sentences, when the caller has them already)."""
        parts = sentences(question, clauses=True) if parts is None else parts
        asked = asking(parts)
        whole = len(parts) < 2  # one sentence; the gaps and question type of several are read below
        full = self._search_one(question, max(limit, SENTENCE_POOL), whole=whole, shortlist=SHORTLIST if whole else LONG_SHORTLIST)
        if whole:
            return replace(full, candidates=full.candidates[:limit])
        # a sentence re-ranks the facts the whole message found best, not every fact again
        pool = {self._position[c.fact_id] for c in full.candidates}
        scored = [p for p in asked if len(set(analyse_question(p)[1])) >= 3]
        best = full
        merged: dict[str, Candidate] = {c.fact_id: c for c in full.candidates}
        # a subject we have no figure for counts only where it is asked about ("my elderly
        # father ... will he get some other document?" is not a question about age groups)
        # (a context clause ending in けど counts with its sentence: 「56.5%って記事見たんだけど、…」)
        gap_parts = asked if len(parts) == len(whole_sentences := sentences(question)) else asking(whole_sentences)
        if len(gap_parts) > 1 and asks_plainly(gap_parts[-2]) and is_remark(gap_parts[-1]):
            # "… until when is that? she doesn't even own a smartphone lol": a remark about someone
            # after the questions, not a subject asked about
            gap_parts = gap_parts[:-1]
        # "I read the government plans to make the card mandatory. is there a law date for that?": a
        # question pointing back at the sentence before it asks about what that sentence names
        gap_parts = with_antecedents(whole_sentences, gap_parts)
        gaps = tuple(dict.fromkeys(g for p in gap_parts for g in self.gaps_in(analyse_question(p)[0])))
        for sentence in scored:
            part = self._search_one(sentence, limit, pool, whole=False)
            for cand in part.candidates:
                # a sentence alone is less evidence than the whole message: a small discount
                score = round(cand.score * SENTENCE_DISCOUNT, 4)
                if cand.fact_id not in merged or score > merged[cand.fact_id].score:
                    merged[cand.fact_id] = replace(cand, score=score)
            if part.top and (best.top is None or part.top.score > best.top.score):
                best = part
        ranked = sorted(merged.values(), key=lambda c: (-c.score, c.fact_id))[:limit]
        # "does the bot know the weather in Sapporo this weekend? also need to bring my insurance
        # card lol": the sentences that plainly ask name nothing the knowledge base knows, so the
        # known words elsewhere are context, not the question
        asks = [p for p in parts if asks_plainly(p)]
        asked_tokens = [analyse_question(p)[1] for p in asks]
        unasked = (
            bool(asks)
            and not any(t in self.idf for toks in asked_tokens for t in toks)  # most messages stop here, before any typo repair
            and not any(map(points_back, asks))  # "which is it?", "I want to shut this down": about the rest
            and self._names_nothing(asked_tokens)
        )
        # the question type of the best scoring sentence, else of the sentences that ask ("… charged
        # me the normal 30%. is that normal?" asks no share)
        qtype = question_type(best.query) if best is not full else "other"
        if qtype == "other":
            qtype = question_type(" ".join(asked))
        return SearchResult(
            question,
            full.lang,
            full.tokens,
            full.unknown,
            tuple(ranked),
            best.known_share,
            qtype,
            best.known_words,
            best.exact_words,
            gaps,
            unasked=unasked,
        )

    def _search_one(self, question: str, limit: int, pool: set[int] | None = None, whole: bool = True, shortlist: int = SHORTLIST) -> SearchResult:
        """One text scored against the facts (`pool`: only these facts, by position). `whole`: the
        text is all of the message; otherwise the caller reads its question type and declared gaps
        where it needs them, and the result has "other" and none."""
        lang = detect_lang(question)
        norm, toks = analyse_question(question)
        query = tuple(dict.fromkeys(toks))
        expansions, weights, unknown = self._read(query)
        # a number no fact holds is not an unknown subject ("35-something percent" is a figure
        # remembered roughly; a figure asked about alone is read by `figures.py`)
        counted = sum(w for t, w in weights.items() if t in expansions or not t.startswith("#"))
        known_share = (sum(w for t, w in weights.items() if t in expansions) / counted) if counted else 0.0
        known_words = _word_count(t for t in expansions if not t.startswith("#"))
        exact_words = _word_count(t for t in expansions if not t.startswith("#") and t in self.idf)
        qtype = question_type(question) if whole else "other"
        exact_idx = self.exact.get(norm)
        gaps = self.gaps_in(norm) if whole else ()
        if not expansions:
            cands: tuple[Candidate, ...] = ()
            if exact_idx is not None:
                cands = (Candidate(self.docs[exact_idx].fact.id, 1.0, 1.0, 1.0, question, True, 1.0, 1.0),)
            return SearchResult(question, lang, query, tuple(unknown), cands, known_share, qtype, known_words, exact_words, gaps)
        candidates = self._shortlist(expansions, weights, shortlist)
        if pool is not None:
            candidates &= pool
        if exact_idx is not None:
            candidates.add(exact_idx)
        order = sorted(candidates)
        scoring = Scoring.of(norm, expansions, weights, self.idf, exact_idx is not None)
        # the learned model's cosine for each fact, or None without a model
        sims: Sequence[float | None] = self.model.similarity(norm, toks, order) if self.model is not None else [None] * len(order)
        table = self._phrases.best(scoring) if self._phrases is not None else None
        scored = [
            score_fact(self.docs[idx], self._phrase_totals[idx], scoring, sim, table.of(self.docs[idx], idx) if table is not None else None)
            for idx, sim in zip(order, sims, strict=True)
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))  # best score first, then by fact id
        kept = tuple(map(candidate_of, scored[:limit]))
        return SearchResult(question, lang, query, tuple(unknown), kept, known_share, qtype, known_words, exact_words, gaps)

    def _unglued(self, question: str) -> str:
        """The question with two words typed as one given their space back ("usagerate": "usage rate")."""
        if not _GLUED_RE.search(question):
            return question
        return _GLUED_RE.sub(lambda m: self._typos.split(m.group().lower(), self._written_together) or m.group(), question)

    def _written_together(self, left: str, right: str) -> bool:
        """Whether a phrasing of a fact holding one of the two words has them side by side."""
        postings = [self.postings.get(t, ()) for t in (canonical_word(left), canonical_word(right)) if t is not None]
        pair = f" {left} {right} "
        return any(pair in f" {norm} " for idx in min(postings, key=len, default=()) for _lang, _text, norm, _toks in self.docs[idx].phrasings)

    def _names_nothing(self, asked_tokens: list[tuple[str, ...]]) -> bool:
        """Sentences that name nothing the knowledge base knows, not even misspelt, and at least
        two words of their own it does not know (numbers aside)."""
        read = [self._read(tuple(dict.fromkeys(toks))) for toks in asked_tokens]
        return not any(known for known, _w, _u in read) and sum(not t.startswith("#") for _k, _w, unknown in read for t in unknown) >= 2

    def _read(self, query: tuple[str, ...]) -> tuple[Expansions, dict[str, float], list[str]]:
        """The known words each distinct token of a text stands for (itself, or those a typo is
        probably a misspelling of) and its weight, and the tokens no fact holds."""
        expansions: Expansions = {}
        weights: dict[str, float] = {}
        unknown: list[str] = []
        # In a short question every word matters; in a long message most words are context.
        unknown_weight = self.unknown_weight * UNKNOWN_FACTOR * min(1.0, 6 / max(6, len(query)))
        for tok in query:
            if tok in self.idf:
                expansions[tok] = ((tok, 1.0),)
                weights[tok] = self.idf[tok]
            else:
                typos = self._typos(tok)
                if typos is None:
                    continue  # a misspelt stop word
                if typos:
                    expansions[tok] = typos
                    weights[tok] = max(self.idf[w] for w, _ in typos)
                else:
                    unknown.append(tok)
                    weights[tok] = unknown_weight
        return expansions, weights, unknown

    def _shortlist(self, expansions: Expansions, weights: dict[str, float], size: int = SHORTLIST) -> set[int]:
        """Stage 1: the facts worth scoring in full, by rough evidence from the postings of the
        question's rarer words only (a word in a large share of facts says little, and reading
        its postings would make every question cost more as the knowledge base grows)."""
        rough: dict[int, float] = defaultdict(float)
        for tok, options in expansions.items():
            for word, sim in options:
                posting = self.postings[word]
                if len(posting) > self.candidate_cap:
                    continue
                gain = weights[tok] * sim
                for idx in posting:
                    rough[idx] += gain
        if not rough:  # only very common words: take the facts that hold the rarest of them
            word = min((w for options in expansions.values() for w, _s in options), key=lambda w: len(self.postings[w]))
            for idx in self.postings[word][: SHORTLIST * 4]:
                rough[idx] += 1.0
        if len(rough) > size:
            return set(heapq.nlargest(size, rough, key=rough.__getitem__))
        return set(rough)

    def lacking(self, question: str, fact_id: str) -> tuple[str, ...]:
        """The words of what a "how many" question counts that the fact does not name ("how many
        were health insurance?" of the fact counting every wrong link: health)."""
        return self._rerank.lacking(question, fact_id)

    def exact_fact(self, norm: str) -> int | None:
        """The first fact (by position) with a phrasing whose normalised text is `norm`."""
        return self.exact.get(norm)

    def gaps_in(self, norm: str) -> tuple[str, ...]:
        """Ids of the declared not-covered subjects a normalised text mentions."""
        return self._gaps(norm)


def _postings(docs: list[FactDoc]) -> dict[str, tuple[int, ...]]:
    """Token -> the positions of the facts that hold it, in order, as tuples of numbers (which
    the cycle collector stops tracking).

    The positions are gathered in one flat list, grouped by token, not in a list per token: a
    reload builds the index in a worker thread beside the event loop, and thousands of lists
    alive until the end of the build would be carried into the collector's oldest generation
    and hasten a full collection, which holds the interpreter lock (see `loader.ASIDE_MIN_BYTES`)."""
    holders = Counter(token for doc in docs for token in doc.fields)  # token -> how many facts hold it
    start: dict[str, int] = {}  # token -> where its positions begin in `flat`
    end = 0
    for token, count in holders.items():
        start[token] = end
        end += count
    flat = [0] * end
    free = dict(start)  # token -> where its next position goes
    for idx, doc in enumerate(docs):
        for token in doc.fields:
            flat[free[token]] = idx
            free[token] += 1
    return {token: tuple(flat[first : free[token]]) for token, first in start.items()}


def _same_figures(before: list[FactDoc], after: list[FactDoc]) -> bool:
    """Whether every position holds the same figures: all that `figure_holders` reads."""
    return len(before) == len(after) and all(a.fact.figures == b.fact.figures for a, b in zip(before, after, strict=True))


def _analyse_facts(kb: KnowledgeBase, previous: SearchIndex | None) -> list[FactDoc]:
    topics: dict[str, Topic] = {}
    for topic in kb.topics:
        topics.setdefault(topic.id, topic)
    earlier = {doc.fact.id: doc for doc in previous.docs} if previous is not None else {}
    docs = []
    analysed: dict[str, tuple[str, tuple[str, ...]]] = {}  # texts the loader did not read, for this build only
    for fact in kb.facts:
        topic = topics.get(fact.topic)
        doc = earlier.get(fact.id)
        if doc is None or doc.fact is not fact or doc.topic is not topic:
            doc = analyse_fact(fact, topic, kb.analysed.get(fact.file, {}), analysed)
        docs.append(doc)
    return docs


def _word_count(toks: Iterable[str]) -> int:
    """Words: a Latin token is one. Japanese has no spaces: its bigrams count as half a word each
    (資格確認書 is four bigrams, two words), and at least as many words as runs of bigrams that
    chain in the question's order (登録, 解除 of 「登録の解除」 are two runs, 保険, 険証 one)."""
    latin = bigrams = runs = 0
    previous = ""
    for tok in toks:
        if tok.isascii():
            latin += 1
            previous = ""
            continue
        bigrams += 1
        runs += not (previous and previous[-1] == tok[0])
        previous = tok
    return latin + max(runs, (bigrams + 1) // 2)
