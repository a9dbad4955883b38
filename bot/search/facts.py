"""What one fact contributes to the search index: its tokens with the weight of the field they
come from, its question phrasings (and which of them hold each token), and its multi-word keywords.

A fact's analysis depends only on the fact and its topic's title, never on the rest of the
knowledge base, so an index built after a reload can take it over unchanged for every fact
that is the very same object as before (see `SearchIndex`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.knowledge.model import LANGS, Fact, Topic
from bot.text.normalise import analyse as analyse_text

# Field weights: how much a token found in this part of a fact counts as evidence.
W_QUESTION = 1.0
W_KEYWORD = 1.0
W_ANSWER = 0.7
W_FIGURE = 0.8  # a figure's value
W_FIGURE_TEXT = W_FIGURE * 0.6  # what a figure counts, its base and period, the year it is as of
W_TOPIC = 0.5


# A question phrasing: (language, text, normalised text, distinct tokens). Plain tuples of
# strings, like an index's postings (tuples of ints), drop out of the cycle collector's sight
# after its first pass over them, so its full collections, which hold the interpreter lock,
# do not walk the tens of thousands a large knowledge base has (while a reload runs in a worker
# thread, the event loop would wait that long).
Phrasing = tuple[str, str, str, tuple[str, ...]]
Analysed = tuple[str, tuple[str, ...]]  # a text's normalised form and tokens


@dataclass(frozen=True, slots=True)
class FactDoc:
    fact: Fact
    topic: Topic | None
    langs: tuple[str, ...]  # languages the fact has phrasings in
    fields: dict[str, float]  # token -> the best weight of a field it occurs in
    phrasings: tuple[Phrasing, ...]  # in the order `Fact.all_questions` gives them
    # token -> the positions in `phrasings` of those holding it: a question is compared only with
    # the phrasings that share one of its words
    phrasings_with: dict[str, tuple[int, ...]]
    key_phrases: tuple[tuple[str, ...], ...]  # multi-word keywords, as their distinct tokens
    # the same as normalised text, function words kept (" patients said ", "病院にとって"), by where
    # they start: an English one (between spaces) by its first word, a Japanese one by its first
    # character; a text holds one only if it holds that word or character
    key_texts: dict[str, tuple[str, ...]]


def analyse_fact(fact: Fact, topic: Topic | None, known: Mapping[str, Analysed], analysed: dict[str, Analysed]) -> FactDoc:
    """Texts are read as `normalise.analyse` reads them; `known` holds those the loader read in
    the fact's file (`KnowledgeBase.analysed`), `analysed` those read earlier in this build, and
    takes the others."""
    found_in: dict[float, list[str]] = {}  # field weight -> the tokens found in fields of that weight

    def analyse(text: str) -> Analysed:
        found = known.get(text)
        if found is None:
            found = analysed.get(text)
            if found is None:
                found = analysed[text] = analyse_text(text)
        return found

    def tokenise(text: str) -> tuple[str, ...]:
        return analyse(text)[1]

    def add(words: tuple[str, ...], weight: float) -> None:
        found_in.setdefault(weight, []).extend(words)

    phrasings: list[Phrasing] = []
    for lang, question in fact.all_questions():
        norm, words = analyse(question)
        phrasings.append((lang, question, norm, tuple(set(words))))
        add(words, W_QUESTION)
    key_phrases: list[tuple[str, ...]] = []
    key_texts: dict[str, list[str]] = {}
    for lang in LANGS:
        for keyword in fact.keywords.get(lang, ()):
            text, words = analyse(keyword)
            add(words, W_KEYWORD)
            if len(set(words)) >= 2:
                key_phrases.append(tuple(set(words)))
            if lang == "en" and " " in text:
                key_texts.setdefault(text.split(" ", 1)[0], []).append(f" {text} ")
            elif lang != "en" and len(text) >= 3:
                key_texts.setdefault(text[0], []).append(text)
        add(tokenise(fact.answer.get(lang)), W_ANSWER)
        for fig in fact.figures:
            add(tokenise(fig.counts.get(lang)), W_FIGURE_TEXT)
            for part in (fig.base, fig.period):
                if part is not None:
                    add(tokenise(part.get(lang)), W_FIGURE_TEXT)
        if topic is not None:
            add(tokenise(topic.title.get(lang)), W_TOPIC)
    for fig in fact.figures:
        value = fig.value
        add(tokenise(f"{value:g}" if isinstance(value, float) else value.replace("-", " ")), W_FIGURE)
        add(tokenise(fig.as_of[:4]), W_FIGURE_TEXT)
    fields: dict[str, float] = {}
    for weight in sorted(found_in):  # lightest first, so each token ends with its best weight
        fields.update(dict.fromkeys(found_in[weight], weight))
    phrasings_with: dict[str, list[int]] = {}
    for number, (_lang, _text, _norm, toks) in enumerate(phrasings):
        for tok in toks:
            phrasings_with.setdefault(tok, []).append(number)
    langs = tuple(fact.questions)
    return FactDoc(
        fact,
        topic,
        langs,
        fields,
        tuple(phrasings),
        {tok: _shared(tuple(numbers)) for tok, numbers in phrasings_with.items()},
        tuple(key_phrases),
        {start: tuple(texts) for start, texts in key_texts.items()},
    )


@lru_cache(maxsize=1 << 10)
def _shared(positions: tuple[int, ...]) -> tuple[int, ...]:
    """One tuple object for each distinct run of phrasing positions: facts share a few of them (a
    word in the first phrasing only, in the first two, ...), and 10,000 facts hold about 300,000,
    some 17 MB as separate tuples."""
    return positions
