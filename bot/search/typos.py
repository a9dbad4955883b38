"""Typo repair: an English word the knowledge base does not know, read as the known words it is
probably a misspelling of."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.text.normalise import canonical_word, typo_targets

TYPO_CUTOFF = 0.78  # OSA similarity (edits incl. transpositions) for a typo of a known word (len >= 4)
MAX_FUZZY = 2  # known words one typo may stand for
_CACHE_MAX = 100_000


class TypoRepair:
    """Repairs against the knowledge base's own words (`known`), its synonyms' words, and stop
    words: a word closest to a stop word is a misspelt stop word ("actualy") and is dropped."""

    def __init__(self, known: Iterable[str]) -> None:
        known = set(known)
        self._known = known
        # what each candidate spelling stands for: a known token, or None for a stop word
        self._target: dict[str, str | None] = {w: c for w, c in typo_targets().items() if c is None or c in known}
        self._target.update({t: t for t in known if t.isascii() and t.isalpha() and len(t) >= 3})
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(self._target):  # sorted: ties between repairs must not depend on hash order
            self._by_length[len(word)].append(word)
        self._cache: dict[str, tuple[tuple[str, float], ...] | None] = {}
        self._split_cache: dict[str, str | None] = {}

    def __call__(self, word: str) -> tuple[tuple[str, float], ...] | None:
        """Known words `word` is probably a misspelling of, with a similarity in (0, 1].

        Returns () when it is none of them, and None when it is a misspelt stop word."""
        if word in self._cache:
            return self._cache[word]
        found: tuple[tuple[str, float], ...] | None = ()
        if word.isascii() and word.isalpha() and len(word) >= 4:
            pool = [w for k in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(k, ())]
            hits = process.extract(word, pool, scorer=OSA.normalized_similarity, score_cutoff=TYPO_CUTOFF, limit=MAX_FUZZY + 1)
            if not hits and len(word) == 4 and (swapped := word[0] + word[2] + word[1] + word[3]) in self._target:
                # the two middle letters of a four-letter word swapped ("mnay", "wrok") is one edit in
                # four, below the cutoff; a swap at either end turns real words into each other (lost, lots)
                hits = [(swapped, TYPO_CUTOFF, 0)]
            repaired: dict[str, float] = {}
            stop = False
            for w, score, _ in hits:
                target = self._target[w]
                if target is None:
                    stop = stop or not repaired
                    continue
                # similarity rescaled: the cutoff counts 0.5, an exact spelling 1.0
                repaired.setdefault(target, 0.5 + 0.5 * (score - TYPO_CUTOFF) / (1 - TYPO_CUTOFF))
            found = tuple(list(repaired.items())[:MAX_FUZZY])
            # a common prefix of 6+ letters is the same word with another ending (registr-ation / -ered)
            if not found and len(word) >= 6:
                found = tuple(dict.fromkeys((self._target[w], 0.7) for w in pool if w[:6] == word[:6] and self._target[w]))[:MAX_FUZZY]  # type: ignore[misc]
            if stop and not found:
                found = None
        if len(self._cache) < _CACHE_MAX:
            self._cache[word] = found
        return found

    def split(self, word: str, together: Callable[[str, str], bool]) -> str | None:
        """Two words typed without the space between them ("usagerate", "stopissuing"): `word`
        with the space put back, when it is no word or misspelling the knowledge base knows, and
        splits into two of four letters or more that the knowledge base writes side by side
        (`together`); "workplace" and "paperwork" are words of their own, so a split must be seen."""
        if word in self._split_cache:
            return self._split_cache[word]
        found = None
        token = canonical_word(word)
        if token is not None and token not in self._known and self(token) == ():
            for i in range(4, len(word) - 3):
                left, right = word[:i], word[i:]
                if (canonical_word(left) in self._known or canonical_word(right) in self._known) and together(left, right):
                    found = f"{left} {right}"
                    break
        if len(self._split_cache) < _CACHE_MAX:
            self._split_cache[word] = found
        return found
