"""The best phrasing of every fact at once, for a knowledge base small enough for the learned model.

`score.score_fact` finds a fact's best phrasing for a text by walking, for each word of the text,
the fact's phrasings that hold it. On the shipped knowledge base a question fully scores every fact
(there are fewer than the shortlist), so that walk, repeated per fact and per sentence of a long
message, was the largest part of a question's time, and the per-question target on the shipped base
(p99 within 2 ms) was met only on an idle machine. Here the same sums are made for all phrasings in
a few numpy operations: per phrasing, the question's weight it explains and the weight of its own
words the question holds, their F1, and per fact the best. The sums are added in the same order as the walk
(the text's words in order), so the F1s are the same numbers and the same phrasing is chosen.

Built only with the learned model (numpy is loaded then anyway, and the arrays grow with the
phrasings of every fact, which a large knowledge base's shortlist avoids reading); texts whose
typos have two readings take the walk (`Scoring.words` is None).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.search.facts import FactDoc
from bot.search.score import SAME_F1, Scoring


class PhraseTable:
    """Every phrasing of the facts, by the words it holds; read-only once built."""

    def __init__(self, docs: Sequence[FactDoc], phrase_totals: Sequence[tuple[float, ...]]) -> None:
        import numpy as np

        self._np = np
        rows: dict[str, list[int]] = {}  # word -> the phrasings (rows) holding it
        starts: list[int] = []  # per fact: its first row
        row = 0
        for doc in docs:
            starts.append(row)
            for _lang, _text, _norm, toks in doc.phrasings:
                for tok in dict.fromkeys(toks):
                    rows.setdefault(tok, []).append(row)
                row += 1
        self._rows = {tok: np.array(numbers, dtype=np.intp) for tok, numbers in rows.items()}
        self._starts = np.array(starts, dtype=np.intp)
        self._ends = np.array([*starts[1:], row], dtype=np.intp)
        self._totals = np.array([t for totals in phrase_totals for t in totals], dtype=np.float64)
        self._count = row
        self._positions = np.arange(row, dtype=np.intp)
        # np.maximum.reduceat needs every fact to have a phrasing (the validator requires some)
        self.usable = row > 0 and all(doc.phrasings for doc in docs)

    def best(self, scoring: Scoring) -> PhraseScores | None:
        """Per fact, its best phrasing's F1 for the text; None when the text needs the walk."""
        if scoring.words is None or not self.usable or not scoring.total:
            return None
        np = self._np
        explained = np.zeros(self._count)  # the question's weight each phrasing explains
        shared = np.zeros(self._count)  # the weight of each phrasing's words the question holds
        for word, _sim, _weight, gain in scoring.words:
            rows = self._rows.get(word)
            if rows is not None:
                explained[rows] += gain
                shared[rows] += scoring.idf[word]
        recall = explained / scoring.total
        precision = shared / self._totals
        with np.errstate(divide="ignore", invalid="ignore"):
            f1 = np.where(shared > 0, 2 * recall * precision / (recall + precision), 0.0)
        best = np.maximum.reduceat(f1, self._starts)
        # per fact, its first phrasing within SAME_F1 of its best, as the walk keeps the first of equals
        near = f1 >= np.repeat(best, self._ends - self._starts) - SAME_F1
        first = np.minimum.reduceat(np.where(near, self._positions, self._count), self._starts)
        return PhraseScores(f1[first].tolist(), (first - self._starts).tolist())


class PhraseScores:
    """One text's best phrasing for every fact: its F1 and its number among the fact's phrasings."""

    def __init__(self, f1: list[float], number: list[int]) -> None:
        self._f1 = f1
        self._number = number

    def of(self, doc: FactDoc, position: int) -> tuple[float, str]:
        """The best phrasing's F1 and text for `doc`, the fact at `position`."""
        return self._f1[position], doc.phrasings[self._number[position]][1]
