"""Stage 2 of the search: one shortlisted fact scored in full against a text (the index module's
docstring describes the whole search).

lexical = 0.4 * coverage + 0.6 * phrase, + 0.06 when a multi-word keyword of the fact is in the
text, at most 0.99 (1.0 is kept for a text that is one of the fact's phrasings once normalised);
with the learned model, score = 0.6 * lexical + 0.4 * learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress

from bot.search.facts import FactDoc

W_COVERAGE = 0.4  # lexical = W_COVERAGE * coverage + (1 - W_COVERAGE) * best phrasing
KEYPHRASE_BONUS = 0.06
W_LEXICAL = 0.6  # score = W_LEXICAL * lexical + (1 - W_LEXICAL) * learned, with a learned model
# F1s closer than this are equal, and the first phrasing of them is kept: the same weights summed
# in another order (the order of a set of tokens, which varies between runs) differ in the last bits
SAME_F1 = 1e-9

# a question token -> the known tokens it may stand for, with their similarity (1.0 for itself)
Expansions = dict[str, tuple[tuple[str, float], ...]]

# One fact's scores: (score, fact id, coverage, phrase, the phrasing that matched best, exact,
# lexical, learned), score and lexical rounded to 4 digits, the others not yet.
Scored = tuple[float, str, float, float, str, bool, float, float]


@dataclass(frozen=True, slots=True)
class Scoring:
    """What the scoring of each fact reads of the text being scored, gathered once per text."""

    norm: str
    padded: str  # the normalised text between spaces, to find whole keywords in
    expansions: Expansions
    weights: dict[str, float]  # question token -> its weight
    total: float  # the sum of the weights
    present: set[str]  # every known word the text may match
    exact: bool  # some fact has a phrasing whose normalised text is `norm`
    starts: set[str]  # the words and the characters of the normalised text: where a keyword in it may start
    idf: dict[str, float]  # the index's word weights
    # The usual text, each token read as one word of its own (no typo with two readings, no two
    # tokens read as the same word): per token, (word, similarity, weight, weight * similarity).
    # None otherwise.
    words: tuple[tuple[str, float, float, float], ...] | None

    @classmethod
    def of(cls, norm: str, expansions: Expansions, weights: dict[str, float], idf: dict[str, float], exact: bool) -> Scoring:
        present = {word for options in expansions.values() for word, _sim in options}
        words = None
        if len(present) == len(expansions) and all(len(options) == 1 for options in expansions.values()):
            words = tuple((word, sim, weights[tok], weights[tok] * sim) for tok, ((word, sim),) in expansions.items())
        starts = set(norm.split()).union(norm)
        return cls(norm, f" {norm} ", expansions, weights, sum(weights.values()), present, exact, starts, idf, words)


def score_fact(doc: FactDoc, phrase_totals: tuple[float, ...], scoring: Scoring, learned: float | None, phrase: tuple[float, str] | None = None) -> Scored:
    """One fact scored in full (`phrase_totals`: per phrasing, the weight of its words; `learned`:
    the learned model's cosine for the fact, None without a model; `phrase`: its best phrasing's
    F1 and text when `phrases.PhraseTable` has them already)."""
    fields = doc.fields
    total = scoring.total
    matched = 0.0  # the weight of the question's tokens found in the fact, each at its field's weight
    # the question's tokens the fact holds (a token it does not hold adds nothing to either score):
    # word -> the summed weight * similarity of the tokens read only as that word (`one`), and,
    # for a token of which the fact holds two readings, each reading with its weight * similarity
    one: dict[str, float] = {}
    several: list[tuple[tuple[str, float], ...]] = []
    if scoring.words is not None:
        for word, sim, weight, gain in scoring.words:
            field = fields.get(word)
            if field is not None:
                matched += weight * (sim * field)
                one[word] = gain
    else:
        weights = scoring.weights
        for tok, options in scoring.expansions.items():
            mine = tuple((word, sim) for word, sim in options if word in fields)
            if not mine:
                continue
            weight = weights[tok]
            matched += weight * max(sim * fields[word] for word, sim in mine)
            if len(mine) == 1:
                word, sim = mine[0]
                one[word] = one.get(word, 0.0) + weight * sim
            else:
                several.append(tuple((word, weight * sim) for word, sim in mine))
    coverage = matched / total if total else 0.0
    if scoring.exact:
        for _lang, text, phrasing_norm, _toks in doc.phrasings:
            if phrasing_norm == scoring.norm:
                return (1.0, doc.fact.id, 1.0, 1.0, text, True, 1.0, 1.0)
    best_phrase, best_text = phrase if phrase is not None else _best_phrasing(doc, phrase_totals, one, several, scoring.idf, total)
    score = W_COVERAGE * coverage + (1 - W_COVERAGE) * best_phrase
    # a moderator's multi-word keyword found whole in the question is a distinguishing cue
    key_texts = doc.key_texts
    if any(map(scoring.present.issuperset, doc.key_phrases)) or any(
        text in scoring.padded for start in scoring.starts.intersection(key_texts) for text in key_texts[start]
    ):
        score += KEYPHRASE_BONUS
    lexical = round(min(score, 0.99), 4)  # 1.0 is kept for an exact phrasing, which must rank first
    if learned is None:
        return (lexical, doc.fact.id, coverage, best_phrase, best_text, False, lexical, 0.0)
    score = round(W_LEXICAL * lexical + (1 - W_LEXICAL) * learned, 4)
    return (score, doc.fact.id, coverage, best_phrase, best_text, False, lexical, learned)


def _best_phrasing(
    doc: FactDoc,
    phrase_totals: tuple[float, ...],
    one: dict[str, float],
    several: list[tuple[tuple[str, float], ...]],
    idf: dict[str, float],
    total: float,
) -> tuple[float, str]:
    """The fact's best phrasing for the question, by the F1 of its recall (the share of the
    question's weight it explains) and precision (the share of its own weight the question
    holds), and that F1; the first phrasing in order among equals. Only phrasings sharing a word
    with the question are looked at: the others score 0. `one` and `several`: see `score_fact`."""
    with_word = doc.phrasings_with
    phrasings = doc.phrasings
    explained = [0.0] * len(phrasings)  # per phrasing: the question's weight it explains
    shared = [0.0] * len(phrasings)  # per phrasing: the weight of its words the question holds (0: none)
    for word, gain in one.items():
        weight = idf[word]
        for position in with_word.get(word, ()):
            explained[position] += gain
            shared[position] += weight
    if several:
        counted = set(one)  # the words whose weight `shared` holds
        for readings in several:
            # a phrasing explains a token with two readings by the best of them it holds
            best: dict[int, float] = {}  # phrasing position -> that reading's gain
            for word, gain in readings:
                for position in with_word.get(word, ()):
                    if gain > best.get(position, 0.0):
                        best[position] = gain
                if word not in counted:
                    counted.add(word)
                    weight = idf[word]
                    for position in with_word.get(word, ()):
                        shared[position] += weight
            for position, gain in best.items():
                explained[position] += gain
    best_phrase = 0.0
    best_position = 0
    for position in compress(range(len(phrasings)), shared):  # the phrasings sharing a word
        # total > 0 and shared > 0: recall and precision are both positive
        recall = explained[position] / total
        precision = shared[position] / phrase_totals[position]
        f1 = 2 * recall * precision / (recall + precision)
        if f1 > best_phrase + SAME_F1:
            best_phrase, best_position = f1, position
    best_text = phrasings[best_position][1] if phrasings else ""
    return best_phrase, best_text
