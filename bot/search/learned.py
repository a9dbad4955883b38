"""The learned half of the matcher: a TF-IDF nearest-centroid model of the facts, trained on the
knowledge base's own texts each time an index is built.

Training texts, per fact: every question phrasing, its keywords (one text per language) and its
answer sentences. Features (`_features`): character 2-4-grams of each normalised word (they carry
typos, inflections and Japanese without spaces) and the matcher's canonical tokens (synonyms and
stems already applied), weighted by scikit-learn's `TfidfVectorizer` (sublinear term frequency,
inverse document frequency over the training texts). A fact is represented by the normalised sum
of its texts' vectors (its centroid); a question is scored by cosine similarity with the centroids
of the facts the lexical stage shortlisted, so a question costs a sparse product over at most
`index.SHORTLIST` rows whatever the size of the knowledge base.

Why a centroid and not a per-fact classifier: a multinomial logistic regression stores a dense
facts x features matrix and took seconds to fit on the shipped 27 facts on a busy machine; the
centroid model fits in a tenth of a second there, its size grows with the text, not facts x
features, and combined with the lexical score it ranks the right fact first as often on the
labelled sets. Above `LEARNED_MAX_FACTS` facts the model is not built (fitting grows with the
text and would take the reload past its budget): the matcher is then the lexical scoring alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.knowledge.model import LANGS
from bot.search.facts import FactDoc
from bot.text.normalise import normalise, tokenise_normalised

LEARNED_MAX_FACTS = 2_000  # larger knowledge bases use the lexical scoring alone
_NGRAMS = (2, 3, 4)


def _features(text: str) -> list[str]:
    """Character n-grams of each normalised word (padded with spaces) and canonical word tokens."""
    norm = normalise(text)
    out: list[str] = []
    for word in norm.split():
        padded = f" {word} "
        for n in _NGRAMS:
            if len(padded) < n:
                break
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    out.extend("w:" + tok for tok in tokenise_normalised(norm))
    return out


def _training_texts(doc: FactDoc) -> list[str]:
    texts = [text for _lang, text, _norm, _toks in doc.phrasings]
    fact = doc.fact
    for lang in LANGS:
        keywords = fact.keywords.get(lang, ())
        if keywords:
            texts.append(" ".join(keywords))
        answer = fact.answer.get(lang)
        if answer:
            texts.append(answer)
    return texts


class CentroidModel:
    """Cosine similarity of a question with each fact's TF-IDF centroid; read-only once built."""

    def __init__(self, docs: Sequence[FactDoc]) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for idx, doc in enumerate(docs):
            for text in _training_texts(doc):
                texts.append(text)
                owners.append(idx)
        vectorizer = TfidfVectorizer(analyzer=_features, sublinear_tf=True)
        rows = vectorizer.fit_transform(texts)
        membership = sparse.csr_matrix((np.ones(len(owners)), (owners, np.arange(len(owners)))), shape=(len(docs), len(owners)))
        self._centroids = normalize(membership @ rows).tocsr()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf: np.ndarray = vectorizer.idf_
        self._n_features = len(self._idf)

    def similarity(self, question: str, positions: Sequence[int]) -> list[float]:
        """Cosine similarity of `question` with the centroids of the facts at `positions`."""
        counts = Counter(f for f in _features(question) if f in self._vocabulary)
        if not counts or not positions:
            return [0.0] * len(positions)
        cols = [self._vocabulary[f] for f in counts]
        vals = np.array([(1.0 + math.log(c)) for c in counts.values()]) * self._idf[cols]
        vals /= float(np.sqrt(vals @ vals))
        vector = sparse.csr_matrix((vals, (cols, [0] * len(cols))), shape=(self._n_features, 1))
        sims = (self._centroids[list(positions)] @ vector).toarray().ravel()
        return [float(s) for s in sims]


def build_model(docs: Sequence[FactDoc]) -> CentroidModel | None:
    """The learned model of these facts, or None when there are too many (or none) to train on."""
    if not docs or len(docs) > LEARNED_MAX_FACTS:
        return None
    return CentroidModel(docs)
