"""The learned half of the matcher: a TF-IDF nearest-centroid model of the facts, trained on the
knowledge base's own texts each time an index is built.

Training texts, per fact: every question phrasing, its keywords (one text per language) and its
answer sentences. Features (`_features`): character 2-4-grams of each normalised word (they carry
typos, inflections and Japanese without spaces) and the matcher's canonical tokens (synonyms and
stems already applied), weighted by scikit-learn's `TfidfVectorizer` (sublinear term frequency,
inverse document frequency over the training texts). A fact is represented by the normalised sum
of its texts' vectors (its centroid); a question is scored by cosine similarity with the centroids
of the facts the lexical stage shortlisted. The centroids are kept by feature, so a question
reads only the rows of its own features (a few hundred), never the whole matrix: as a dense
features x facts array when it is small (the shipped knowledge base: about 23,000 x 27), else by
column of the sparse matrix.

Why a centroid and not a per-fact classifier: a multinomial logistic regression stores a dense
facts x features matrix and took seconds to fit on the shipped 27 facts on a busy machine; the
centroid model fits in a tenth of a second there, its size grows with the text, not facts x
features, and combined with the lexical score it ranks the right fact first as often on the
labelled sets. Fitting grows with the text (about 1.2 s at 1,000 synthetic facts on a busy
two-core machine) and is redone whenever a fact changes, so above `LEARNED_MAX_FACTS` facts the
model is not built and the matcher is the lexical scoring alone, which keeps a reload of a large
knowledge base within its budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.knowledge.model import LANGS
from bot.search.facts import FactDoc
from bot.text.normalise import normalise, tokenise_normalised

if TYPE_CHECKING:
    import numpy as np

# numpy, scipy and scikit-learn are imported when a model is first built, not with the bot: a
# knowledge base too large for the model never pays their memory (about 100 MB) or import time.

LEARNED_MAX_FACTS = 500  # larger knowledge bases use the lexical scoring alone
_NGRAMS = (2, 3, 4)
DENSE_MAX_CELLS = 4_000_000  # features x facts up to which the centroids are also kept dense (32 MB)


def _features(text: str) -> list[str]:
    """Character n-grams of each normalised word (padded with spaces) and canonical word tokens."""
    norm = normalise(text)
    return _features_of(norm, tokenise_normalised(norm))


def _features_of(norm: str, toks: Sequence[str]) -> list[str]:
    """`_features` of a text, given its normalised form and its tokens (duplicates kept)."""
    out: list[str] = []
    for word in norm.split():
        out.extend(_word_ngrams(word))
    out.extend("w:" + tok for tok in toks)
    return out


@lru_cache(maxsize=1 << 15)
def _word_ngrams(word: str) -> tuple[str, ...]:
    """A word's character n-grams, cached: words recur across texts and questions."""
    padded = f" {word} "
    return tuple(padded[i : i + n] for n in _NGRAMS if len(padded) >= n for i in range(len(padded) - n + 1))


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
        import numpy as np
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        self._np = np
        texts: list[str] = []
        owners: list[int] = []
        for idx, doc in enumerate(docs):
            for text in _training_texts(doc):
                texts.append(text)
                owners.append(idx)
        vectorizer = TfidfVectorizer(analyzer=_features, sublinear_tf=True)
        rows = vectorizer.fit_transform(texts)
        membership = sparse.csr_matrix((np.ones(len(owners)), (owners, np.arange(len(owners)))), shape=(len(docs), len(owners)))
        # by feature (CSC): a question reads only the columns of its own features
        centroids = normalize(membership @ rows).tocsc()
        self._starts: np.ndarray = centroids.indptr[:-1]  # per feature: where its entries start
        self._lengths: np.ndarray = np.diff(centroids.indptr)  # per feature: how many facts have it
        self._rows: np.ndarray = centroids.indices
        self._weights: np.ndarray = centroids.data
        self._n_facts = len(docs)
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf: np.ndarray = vectorizer.idf_
        # A small model is also kept as a dense features x facts array: a question then reads its
        # rows in one gather, which halves the model's share of the shipped knowledge base's p99
        # (the bench's 2 ms target); a large one would not fit, and keeps the gather by column.
        self._dense: np.ndarray | None = np.ascontiguousarray(centroids.toarray().T) if centroids.shape[0] * centroids.shape[1] <= DENSE_MAX_CELLS else None

    def similarity(self, norm: str, toks: Sequence[str], positions: Sequence[int]) -> list[float]:
        """Cosine similarity of a question with the centroids of the facts at `positions`, given the
        question's normalised text and its tokens (duplicates kept), which the matcher has already."""
        if not positions:
            return []
        np = self._np
        counts = Counter(map(self._vocabulary.get, _features_of(norm, toks)))  # column -> its count
        counts.pop(None, None)  # features no training text has
        if not counts:
            return [0.0] * len(positions)
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        vals = (1.0 + np.log(tf)) * self._idf[cols]
        vals /= float(np.sqrt(vals @ vals))
        if self._dense is not None:
            return (vals @ self._dense[cols])[list(positions)].tolist()
        # the question's columns of the centroid matrix, gathered in one go and summed per fact
        starts, lengths = self._starts[cols], self._lengths[cols]
        ends = np.cumsum(lengths)  # where each column's entries end once gathered
        gathered = int(ends[-1])
        if not gathered:
            return [0.0] * len(positions)
        offsets = np.arange(gathered) + np.repeat(starts - ends + lengths, lengths)
        sims = np.bincount(self._rows[offsets], weights=self._weights[offsets] * np.repeat(vals, lengths), minlength=self._n_facts)
        return sims[list(positions)].tolist()


def build_model(docs: Sequence[FactDoc]) -> CentroidModel | None:
    """The learned model of these facts, or None when there are too many (or none) to train on."""
    if not docs or len(docs) > LEARNED_MAX_FACTS:
        return None
    return CentroidModel(docs)
