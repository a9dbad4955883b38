"""The search index: facts scored against a question, ranked, with the evidence kept.

Scoring, not deciding: `SearchIndex.search` returns ranked candidates with scores in [0, 1];
`bot.answer.policy.decide` turns them into answer / suggest / decline.

How a fact is scored (see the README for the reasoning):
- every question token gets a weight, its inverse document frequency over facts; a token the
  knowledge base has never seen weighs as much as the rarest known token, so an unknown topic
  word ("pharmacies", "cost") pulls every score down instead of being ignored;
- typos: an unknown word is mapped to known words with rapidfuzz's plain `fuzz.ratio`
  (not WRatio, whose partial matching rewards short accidental overlaps);
- `coverage`: the share of the question's weight found anywhere in the fact (phrasings,
  keywords, answer, figures), each field with its own weight;
- `phrase`: the best single question phrasing, by how much of the question it explains and
  how much of it the question covers;
- score = 0.5 * coverage + 0.5 * phrase, or 1.0 for an exact phrasing.
Candidates come from an inverted index over tokens, so only facts sharing a word with the
question are scored.
"""

from __future__ import annotations

import gc
import heapq
import marshal
import math
import re
import sys
import threading
import time
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge.model import LANGS, DeflateDictionary, Fact, KnowledgeBase, Topic
from bot.text.normalise import analyse, detect_lang, normalise, question_type, tokenise, tokens, typo_targets

# Field weights: how much a token found in this part of a fact counts as evidence.
W_QUESTION = 1.0
W_KEYWORD = 1.0
W_ANSWER = 0.7
W_FIGURE = 0.8
W_TOPIC = 0.5
TYPO_CUTOFF = 0.78  # OSA similarity (edits incl. transpositions) for a typo of a known word (len >= 4)
MAX_FUZZY = 2
W_COVERAGE = 0.4  # score = W_COVERAGE * coverage + (1 - W_COVERAGE) * best phrasing
KEYPHRASE_BONUS = 0.06
SENTENCE_DISCOUNT = 0.95
UNKNOWN_FACTOR = 0.5  # weight of a word the knowledge base has never seen, relative to its rarest word
CANDIDATE_DF_CAP = 0.05  # tokens in more than this share of facts do not generate candidates
SHORTLIST = 40  # facts fully scored per question
PREFIX_SCAN_MAX = 20_000  # autocomplete scans phrasings for a typed prefix only up to this many


# Sentences end at punctuation, line breaks, and emoji (chat users punctuate with them).
_SENTENCE_RE = re.compile(r"(?<=[.?!。？！\U0001F000-\U0001FAFF\u2600-\u27BF])(?![.?!。？！\U0001F000-\U0001FAFF\u2600-\u27BF])\s*|\n+")
_ASKS_RE = re.compile(
    r"[?？][\W_]*$|^\s*(?:what|how|when|why|who|which|where|is|are|was|were|can|could|do|does|did|will|would|should|has|have)\b"
    r"|(?:か|の|かな|って)\s*$",
    re.IGNORECASE,
)


def _word_count(toks: Iterable[str]) -> int:
    """Words, counting two Japanese bigrams as one word (保険証 is two bigrams, one word)."""
    latin = ja = 0
    for tok in toks:
        if tok.isascii():
            latin += 1
        else:
            ja += 1
    return latin + (ja + 1) // 2


@dataclass(frozen=True)
class Candidate:
    fact_id: str
    score: float
    coverage: float
    phrase: float
    question: str  # the phrasing that matched best
    exact: bool = False


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

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


# Field weights as one-byte codes (a fact keeps, per token, the code of its best field).
_WEIGHTS: tuple[float, ...] = tuple(dict.fromkeys((W_QUESTION, W_KEYWORD, W_ANSWER, W_FIGURE, W_FIGURE * 0.6, W_TOPIC)))
_CODE = {w: i for i, w in enumerate(_WEIGHTS)}
_SHORT_TEXT = 48  # texts up to this long (titles, periods, keywords, values) recur across facts: remembered while building
_BUILD_MEMO_MAX = 1 << 12
_HASH_MASK = 0xFFFFFFFF


# Every token any index has held gets a number, for good (the numbers of a fact's analysis
# stay valid for every later index that reuses it); a fact keeps its tokens as these numbers.
_VOCAB: dict[str, int] = {}
_WORDS: list[str] = []
_VOCAB_LOCK = threading.Lock()


def _token_ids(tokens: Iterable[str]) -> list[int]:
    ids = []
    for token in tokens:
        number = _VOCAB.get(token)
        if number is None:
            with _VOCAB_LOCK:  # two builds at once must not number one token twice
                number = _VOCAB.get(token)
                if number is None:
                    number = _VOCAB[token] = len(_WORDS)
                    _WORDS.append(token)
        ids.append(number)
    return ids


def _small_ints(values: list[int]) -> bytes | array[int]:
    """Non-negative ints, compactly: one byte each when they fit."""
    top = max(values, default=0)
    if top < 256:
        return bytes(values)
    return array("H" if top < 65536 else "I", values)


class _FactDoc:
    """What one fact contributes to an index, worked out from the fact (and its topic's title)
    alone, so that an index built from a reloaded knowledge base can reuse it for every fact
    object it already analysed. Read-only once made; shared between indexes."""

    __slots__ = ("fact", "topic", "ids", "codes", "phrase_tokens", "phrase_ends", "norm_hashes", "key_phrases", "key_texts", "texts", "codec")

    @property
    def tokens(self) -> tuple[str, ...]:
        """The fact's distinct tokens (`ids` as text)."""
        return tuple(map(_WORDS.__getitem__, self.ids))

    def questions(self) -> list[tuple[str, str]]:
        """The fact's phrasings as (language, text), as `Fact.all_questions` gives them."""
        return marshal.loads(self.codec.unpack(self.texts))  # type: ignore[no-any-return]

    def __init__(
        self, fact: Fact, topic: Topic | None, build_memo: dict[str, tuple[str, ...]], phrase_memo: dict[tuple[str, ...], tuple[str, ...]], codec: DeflateDictionary
    ) -> None:
        self.fact = fact
        self.topic = topic
        memo: dict[str, tuple[str, ...]] = {}  # this fact's texts (a figure's wording recurs in each of its figures)

        def toks(text: str) -> tuple[str, ...]:
            found = memo.get(text)
            if found is None:
                if len(text) <= _SHORT_TEXT:
                    found = build_memo.get(text)
                    if found is None:
                        if len(build_memo) >= _BUILD_MEMO_MAX:
                            build_memo.clear()
                        found = build_memo[text] = tokenise(text)
                else:
                    found = tokenise(text)
                memo[text] = found
            return found

        # the tokens of each field, by the field's weight; a token keeps the best weight it has
        figure_weight = W_FIGURE * 0.6
        by_weight: dict[float, list[tuple[str, ...]]] = {w: [] for w in _WEIGHTS}
        questions = fact.all_questions()
        analysed = [analyse(question) for _lang, question in questions]
        # the phrasings' texts, for the candidates a search returns: kept here, compressed, so a
        # search never unpacks a fact (facts keep their bodies packed; unpacking makes objects
        # the cycle collector must then walk)
        self.texts = codec.pack(marshal.dumps(questions))
        self.codec = codec
        by_weight[W_QUESTION].extend(t for _norm, t in analysed)
        key_phrases: list[tuple[str, ...]] = []
        key_texts: list[str] = []
        keywords, answer, figures = fact.keywords, fact.answer, fact.figures
        for lang in LANGS:
            for keyword in keywords.get(lang, ()):
                text, words = analyse(keyword)
                by_weight[W_KEYWORD].append(words)
                distinct = tuple(dict.fromkeys(words))
                if len(distinct) >= 2:
                    key_phrases.append(phrase_memo.setdefault(distinct, distinct))  # one object per keyword phrase
                if (" " in text) if lang == "en" else len(text) >= 3:
                    key_texts.append(sys.intern(f" {text} " if lang == "en" else text))
            by_weight[W_ANSWER].append(toks(answer.get(lang)))
            for fig in figures:
                by_weight[figure_weight].append(toks(fig.counts.get(lang)))
                for part in (fig.base, fig.period):
                    if part is not None:
                        by_weight[figure_weight].append(toks(part.get(lang)))
            if topic is not None:
                by_weight[W_TOPIC].append(toks(topic.title.get(lang)))
        for fig in figures:
            value = fig.value
            by_weight[W_FIGURE].append(toks(f"{value:g}" if isinstance(value, float) else value.replace("-", " ")))
            by_weight[figure_weight].append(toks(fig.as_of[:4]))
        fields: dict[str, float] = {}
        for weight in sorted(by_weight):  # lowest first: a better weight overwrites
            fields.update(dict.fromkeys(chain.from_iterable(by_weight[weight]), weight))
        self.ids = _small_ints(_token_ids(fields))
        self.codes = bytes(map(_CODE.__getitem__, fields.values()))
        # each phrasing's distinct tokens, as positions in self.ids, in the order of a set of
        # them (the order its weights are summed in), one after another; phrase_ends[j] ends the j-th
        position = {t: i for i, t in enumerate(fields)}
        members: list[int] = []
        ends: list[int] = []
        for _norm, words in analysed:
            members.extend(map(position.__getitem__, set(words)))
            ends.append(len(members))
        self.phrase_tokens = _small_ints(members)
        self.phrase_ends = _small_ints(ends)
        self.norm_hashes = array("I", [hash(norm) & _HASH_MASK for norm, _t in analysed]).tobytes()  # 32 bits are enough: a hit is verified
        self.key_phrases: tuple[tuple[str, ...], ...] = tuple(key_phrases)
        self.key_texts: tuple[str, ...] = tuple(key_texts)


def _codec(kb: KnowledgeBase) -> DeflateDictionary:
    """The dictionary for the index's phrasings: an even sample of the knowledge base's."""
    step = max(1, len(kb.facts) // DeflateDictionary.SAMPLES)
    return DeflateDictionary([marshal.dumps(fact.all_questions()) for fact in kb.facts[::step]])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector off while facts are analysed: the analysis makes no cycles, but its
    many small objects would set off full collections that walk the whole knowledge base again
    and again (a fifth of the build at 100,000 facts).

    When it is turned back on, the objects made meanwhile are moved out of its sight first
    (`gc.freeze`): otherwise the next allocation sets off a collection that walks them all at
    once, 15-20 ms at 10,000 facts with the interpreter lock held, so a question waiting on
    the event loop would wait that long. Like the knowledge base (see `KnowledgeService.reload`)
    they hold no reference cycles and are freed by reference counting. (Cyclic garbage another
    thread made in the meantime is frozen with them and never collected: small, and the price.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


class _LockYielder:
    """Called as a build goes; every `EVERY_S` it steps off the interpreter lock for a moment.

    A reload builds in a worker thread while the event loop answers questions. The build
    releases and retakes the lock thousands of times a second on its own (zlib does, for each
    fact), and CPython's hand-over then rarely goes to the waiting thread: a waiter asks the
    holder to let go only when the lock has not changed hands for a whole switch interval, so
    at 10,000 facts the loop waited 20-130 ms at a time. A short sleep lets a waiting thread
    take the lock (the longest wait fell to 8-18 ms, the order of the switch interval); it
    costs the build 5-10%."""

    EVERY_S = 0.002  # well under CPython's switch interval (5 ms)
    SLEEP_S = 0.0001

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def __call__(self) -> None:
        if time.perf_counter() - self._last >= self.EVERY_S:
            time.sleep(self.SLEEP_S)
            self._last = time.perf_counter()


class SearchIndex:
    """Immutable once built; safe to share between threads and to swap atomically.

    `previous`: an index of an earlier version of the knowledge base. The analysis of each fact
    that is the very same object there (with the very same topic object) is reused; the parts
    that depend on the whole base (postings, weights, exact phrasings, typo repair) are always
    computed afresh, so the result is the same as building from scratch."""

    def __init__(self, kb: KnowledgeBase, previous: SearchIndex | None = None) -> None:
        self.kb = kb
        topics: dict[str, Topic] = {}
        for topic in kb.topics:
            topics.setdefault(topic.id, topic)
        reusable: dict[str, _FactDoc] = {doc.fact.id: doc for doc in previous.docs} if previous is not None else {}
        build_memo: dict[str, tuple[str, ...]] = {}
        phrase_memo: dict[tuple[str, ...], tuple[str, ...]] = {}
        # phrasings compress against a dictionary of phrasings: the previous index's, or a sample of these
        self._codec = previous._codec if previous is not None else _codec(kb)
        self.docs: list[_FactDoc] = []
        step_aside = _LockYielder()  # called in the loops that unpack or compress, fact by fact
        with _collector_paused():
            for fact in kb.facts:
                topic = topics.get(fact.topic)
                doc = reusable.get(fact.id)
                if doc is None or doc.fact is not fact or doc.topic is not topic:
                    doc = _FactDoc(fact, topic, build_memo, phrase_memo, self._codec)
                    step_aside()
                self.docs.append(doc)
        del reusable, build_memo, phrase_memo
        by_id: defaultdict[int, array[int]] = defaultdict(lambda: array("I"))
        for idx, doc in enumerate(self.docs):
            for number in doc.ids:
                by_id[number].append(idx)
        n = max(1, len(self.docs))
        idf_of = {number: math.log(1 + n / len(p)) for number, p in by_id.items()}
        self.postings: dict[str, array[int]] = {_WORDS[number]: p for number, p in by_id.items()}
        self.idf: dict[str, float] = {_WORDS[number]: w for number, w in idf_of.items()}
        del by_id
        self.unknown_weight = math.log(1 + n / 0.75) if n > 1 else 1.0
        # per phrasing (fact by fact, in order): the sum of its distinct tokens' weights
        self._phrase_start = array("I", [0])
        self._totals = array("d")
        self._hash_bits = bits = max(1, len(self.docs).bit_length())
        # exact phrasings: a normalised phrasing's hash (high bits) and its fact's number (low
        # bits), sorted; sorted bucket by bucket (by the hash's top byte), to keep no big list
        buckets = [array("q") for _ in range(256)]
        for idx, doc in enumerate(self.docs):
            weights = [idf_of[number] for number in doc.ids]
            members = doc.phrase_tokens
            start = 0
            for end in doc.phrase_ends:
                self._totals.append(sum([weights[i] for i in members[start:end]]) or 1.0)
                start = end
            self._phrase_start.append(len(self._totals))
            for h in array("I", doc.norm_hashes):
                buckets[h >> 24].append((h << bits) | idx)
        self._exact_keys = array("q")
        for bucket in buckets:
            self._exact_keys.extend(sorted(bucket))
        del buckets, idf_of
        self._phrasing_count = len(self._totals)
        self.candidate_cap = max(SHORTLIST, int(CANDIDATE_DF_CAP * n))
        # autocomplete's prefix scan reads every phrasing's normalised text: kept for small bases only
        self._prefix_rows: list[tuple[str, str, str, str, frozenset[str]]] | None = None  # (normalised, text, language, fact id, the fact's languages)
        if self._phrasing_count <= PREFIX_SCAN_MAX:
            self._prefix_rows = []
            for doc in self.docs:
                step_aside()
                langs = frozenset(doc.fact.questions)
                self._prefix_rows.extend((normalise(q), q, lang, doc.fact.id, langs) for lang, q in doc.questions())
        # typo repair targets: the knowledge base's own words, plus synonyms and stop words
        self._repair: dict[str, str | None] = {w: c for w, c in typo_targets().items() if c is None or c in self.postings}
        self._repair.update({t: t for t in self.postings if t.isascii() and t.isalpha() and len(t) >= 3})
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(self._repair):  # sorted: ties between repairs must not depend on hash order
            self._by_length[len(word)].append(word)
        self._typo_cache: dict[str, tuple[tuple[str, float], ...] | None] = {}
        # declared gaps: English terms as whole words of the normalised text, Japanese as text
        self._gaps: list[tuple[str, re.Pattern[str] | None, tuple[str, ...]]] = []
        for gap in kb.gaps:
            en_terms = [normalise(t) for t in gap.terms.get("en", ()) if normalise(t)]
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in en_terms) + r")\b") if en_terms else None
            ja_terms = tuple(normalise(t) for t in gap.terms.get("ja", ()) if normalise(t))
            self._gaps.append((gap.id, pattern, ja_terms))

    def _exact_phrasing(self, idx: int, norm: str, norm_hash: int) -> str | None:
        """The first phrasing of fact `idx` whose normalised text is `norm`, if any."""
        doc = self.docs[idx]
        hashes = array("I", doc.norm_hashes)
        if norm_hash not in hashes:
            return None
        for h, (_lang, question) in zip(hashes, doc.questions(), strict=True):
            if h == norm_hash and normalise(question) == norm:
                return question
        return None

    def exact_fact(self, norm: str) -> int | None:
        """The first fact (by position) with a phrasing whose normalised text is `norm`."""
        norm_hash = hash(norm) & _HASH_MASK
        bits = self._hash_bits
        keys = self._exact_keys
        at = bisect_left(keys, norm_hash << bits)
        while at < len(keys) and keys[at] >> bits == norm_hash:
            idx = keys[at] & ((1 << bits) - 1)
            if self._exact_phrasing(idx, norm, norm_hash) is not None:
                return idx
            at += 1
        return None

    def gaps_in(self, norm: str) -> tuple[str, ...]:
        found = []
        for gap_id, pattern, ja_terms in self._gaps:
            if (pattern is not None and pattern.search(norm)) or any(t in norm for t in ja_terms):
                found.append(gap_id)
        return tuple(found)

    def _typos(self, word: str) -> tuple[tuple[str, float], ...] | None:
        """Known words an unknown word is probably a misspelling of, with a similarity in (0, 1].

        Returns () when it is none of them, and None when it is a misspelt stop word ("actualy").
        """
        if word in self._typo_cache:
            return self._typo_cache[word]
        found: tuple[tuple[str, float], ...] | None = ()
        if word.isascii() and word.isalpha() and len(word) >= 4:
            pool = [w for k in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(k, ())]
            hits = process.extract(word, pool, scorer=OSA.normalized_similarity, score_cutoff=TYPO_CUTOFF, limit=MAX_FUZZY + 1)
            repaired: dict[str, float] = {}
            stop = False
            for w, score, _ in hits:
                target = self._repair[w]
                if target is None:
                    stop = stop or not repaired
                    continue
                repaired.setdefault(target, 0.5 + 0.5 * (score - TYPO_CUTOFF) / (1 - TYPO_CUTOFF))
            found = tuple(list(repaired.items())[:MAX_FUZZY])
            # a common prefix of 6+ letters is the same word with another ending (registr-ation / -ered)
            if not found and len(word) >= 6:
                found = tuple(dict.fromkeys((self._repair[w], 0.7) for w in pool if w[:6] == word[:6] and self._repair[w]))[:MAX_FUZZY]  # type: ignore[misc]
            if stop and not found:
                found = None
        if len(self._typo_cache) < 100_000:
            self._typo_cache[word] = found
        return found

    def rank_typed(self, typed: str, limit: int = 25) -> list[Candidate]:
        """Facts for text that is still being typed, best first, one candidate per fact.

        The last word is usually cut short ("how many peo"), so the text without it is ranked
        too and each fact keeps its better score."""
        typed = typed.strip()
        words = typed.split()
        queries = [typed]
        if len(words) > 1 and typed[-1:].isalnum():
            queries.append(" ".join(words[:-1]))
        best: dict[str, Candidate] = {}
        for query in queries:
            for cand in self.search(query, limit=limit).candidates:
                if cand.fact_id not in best or cand.score > best[cand.fact_id].score:
                    best[cand.fact_id] = cand
        return sorted(best.values(), key=lambda c: (-c.score, c.fact_id))

    def complete(self, typed: str, lang: str, limit: int = 25) -> list[tuple[str, str]]:
        """Question phrasings to offer while someone types, as (fact id, phrasing), best first.

        First the phrasings that start with what has been typed (so "how many peo" offers
        "How many people have registered…" although its words are still unknown), then, fact
        by fact in the matcher's order, the phrasing that matched best. The prefix scan is
        skipped on very large knowledge bases, where it would cost more than a keystroke allows.
        """
        typed_norm = normalise(typed)
        out: dict[str, str] = {}
        if len(typed_norm) >= 2 and self._prefix_rows is not None:
            for norm, text, phr_lang, fact_id, fact_langs in self._prefix_rows:
                if norm.startswith(typed_norm) and text not in out and (phr_lang == lang or lang not in fact_langs):
                    out[text] = fact_id
                    if len(out) >= limit:
                        return [(fid, text) for text, fid in out.items()]
        for cand in self.rank_typed(typed, limit):
            if len(out) >= limit:
                break
            text = cand.question
            if detect_lang(text) != lang:
                fact = self.kb.fact(cand.fact_id)
                assert fact is not None
                text = (fact.questions.get(lang) or (text,))[0]
            out.setdefault(text, cand.fact_id)
        return [(fid, text) for text, fid in out.items()][:limit]

    def search(self, question: str, limit: int = 5) -> SearchResult:
        """Rank facts for a question. A long message is also scored sentence by sentence, and
        each fact keeps its best score: the question in a chatty message is usually one sentence
        of it, and the rest is context that would otherwise dilute every score."""
        full = self._search_one(question, limit)
        parts = [p for p in _SENTENCE_RE.split(question) if p.strip()]
        if len(parts) < 2:
            return full
        # only the sentences that ask something (and the last one): a statement such as
        # "I don't have a My Number card" is context, not the question
        sentences = [p for i, p in enumerate(parts) if (i == len(parts) - 1 or _ASKS_RE.search(p)) and len(set(tokens(p))) >= 3]
        best = full
        merged: dict[str, Candidate] = {c.fact_id: c for c in full.candidates}
        # a subject we have no figure for counts only where it is asked about ("my elderly
        # father ... will he get some other document?" is not a question about age groups)
        asked = [p for i, p in enumerate(parts) if i == len(parts) - 1 or _ASKS_RE.search(p)]
        gaps = tuple(dict.fromkeys(g for p in asked for g in self.gaps_in(normalise(p))))
        for sentence in sentences:
            part = self._search_one(sentence, limit)
            for cand in part.candidates:
                # a sentence alone is less evidence than the whole message: a small discount
                cand = replace(cand, score=round(cand.score * SENTENCE_DISCOUNT, 4))
                if cand.fact_id not in merged or cand.score > merged[cand.fact_id].score:
                    merged[cand.fact_id] = cand
            if part.top and (best.top is None or part.top.score > best.top.score):
                best = part
        ranked = sorted(merged.values(), key=lambda c: (-c.score, c.fact_id))[:limit]
        return SearchResult(
            question,
            full.lang,
            full.tokens,
            full.unknown,
            tuple(ranked),
            best.known_share,
            best.qtype if best.qtype != "other" else full.qtype,
            best.known_words,
            best.exact_words,
            gaps,
        )

    def _search_one(self, question: str, limit: int) -> SearchResult:
        lang = detect_lang(question)
        norm = normalise(question)
        query = tuple(dict.fromkeys(tokens(question)))
        # token -> [(known token, similarity)]
        expansions: dict[str, tuple[tuple[str, float], ...]] = {}
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
        total = sum(weights.values())
        known_share = (sum(w for t, w in weights.items() if t in expansions) / total) if total else 0.0
        known_words = _word_count(t for t in expansions if not t.startswith("#"))
        exact_words = _word_count(t for t in expansions if not t.startswith("#") and t in self.idf)
        qtype = question_type(question)
        exact_idx = self.exact_fact(norm)
        if not expansions:
            cands: tuple[Candidate, ...] = ()
            if exact_idx is not None:
                cands = (Candidate(self.docs[exact_idx].fact.id, 1.0, 1.0, 1.0, question, True),)
            return SearchResult(question, lang, query, tuple(unknown), cands, known_share, qtype, known_words, exact_words, self.gaps_in(norm))
        # Stage 1: rough evidence per fact from the postings of the question's rarer words only;
        # a word in a large share of facts says little and would make this cost grow with the base.
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
        # Stage 2: full scoring of a bounded shortlist.
        if len(rough) > SHORTLIST:
            candidates = set(heapq.nlargest(SHORTLIST, rough, key=rough.__getitem__))
        else:
            candidates = set(rough)
        if exact_idx is not None:
            candidates.add(exact_idx)
        # the words the question may match (typo repairs included), by their numbers
        present = {_VOCAB[word]: word for options in expansions.values() for word, _sim in options}
        exact_hash = hash(norm) & _HASH_MASK if exact_idx is not None else None
        scored = [self._score(idx, expansions, weights, total, norm, present, exact_hash) for idx in candidates]
        scored.sort(key=lambda c: (-c[0], c[1]))
        # the phrasing's text is looked up only for the candidates returned
        top = tuple(
            Candidate(fact_id, score, coverage, phrase, self._phrasing_text(idx, j) if text is None else text, text is not None)
            for score, fact_id, coverage, phrase, idx, j, text in scored[:limit]
        )
        return SearchResult(question, lang, query, tuple(unknown), top, known_share, qtype, known_words, exact_words, self.gaps_in(norm))

    def _phrasing_text(self, idx: int, j: int) -> str:
        questions = self.docs[idx].questions()
        return questions[j][1] if questions else ""

    def _score(
        self,
        idx: int,
        expansions: dict[str, tuple[tuple[str, float], ...]],
        weights: dict[str, float],
        total: float,
        norm: str,
        present: dict[int, str],
        exact_hash: int | None,
    ) -> tuple[float, str, float, float, int, int, str | None]:
        """(score, fact id, coverage, phrase, fact number, best phrasing's number, its text if
        the question is that phrasing exactly (else None)), the scores rounded."""
        doc = self.docs[idx]
        fact = doc.fact
        if exact_hash is not None:
            text = self._exact_phrasing(idx, norm, exact_hash)
            if text is not None:
                return (1.0, fact.id, 1.0, 1.0, idx, 0, text)
        # where the question's words (and their typo repairs) are among this fact's tokens
        position = {present[t]: i for i, t in enumerate(doc.ids) if t in present}
        codes = doc.codes
        matched = 0.0
        for tok, options in expansions.items():
            best = max((sim * (_WEIGHTS[codes[position[word]]] if word in position else 0.0) for word, sim in options), default=0.0)
            matched += weights[tok] * best
        coverage = matched / total if total else 0.0
        best_phrase = 0.0
        best_j = 0
        idf = self.idf
        totals = self._totals
        first = self._phrase_start[idx]
        members = doc.phrase_tokens
        start = 0
        for j, end in enumerate(doc.phrase_ends):
            mine = members[start:end]
            start = end
            hit_q = 0.0  # question weight explained by this phrasing
            hit_p: set[str] = set()
            for tok, options in expansions.items():
                best = 0.0
                for word, sim in options:
                    if sim > best and word in position and position[word] in mine:
                        best = sim
                        hit_p.add(word)
                hit_q += weights[tok] * best
            recall = hit_q / total if total else 0.0
            precision = sum(idf[w] for w in hit_p) / totals[first + j]
            if recall + precision:
                f1 = 2 * recall * precision / (recall + precision)
            else:
                f1 = 0.0
            if f1 > best_phrase:
                best_phrase, best_j = f1, j
        score = W_COVERAGE * coverage + (1 - W_COVERAGE) * best_phrase
        # a moderator's multi-word keyword found whole in the question is a distinguishing cue
        padded = f" {norm} "
        if any(all(word in position for word in phrase) for phrase in doc.key_phrases) or any(text in padded for text in doc.key_texts):
            score += KEYPHRASE_BONUS
        score = min(score, 0.99)  # 1.0 is kept for an exact phrasing, which must rank first
        return (round(score, 4), fact.id, round(coverage, 4), round(best_phrase, 4), idx, best_j, None)
