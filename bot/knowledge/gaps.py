"""Declared gaps: the subjects `knowledge/not_covered.yaml` says the sources give no figure for.

A text mentions a gap when one of its English terms occurs in it as whole words, or one of its
Japanese terms occurs in it as text (both after normalising). The policy declines a question that
mentions one, saying which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.model import Gap
from bot.text.normalise import normalise

_JA_SPACE = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


class GapMatcher:
    """The declared gaps of one knowledge base; read-only once built."""

    def __init__(self, gaps: Iterable[Gap]) -> None:
        self._ids: list[str] = []
        # English terms by their first word (a normalised text is words between single spaces, so
        # a term is there as whole words when the text, between spaces, holds it between spaces):
        # only the terms starting with one of the text's words are looked for
        self._english: dict[str, list[tuple[str, int]]] = {}  # first word -> (" term ", gap position)
        self._japanese: list[tuple[str, int]] = []  # (term, gap position)
        for position, gap in enumerate(gaps):
            self._ids.append(gap.id)
            for term in map(normalise, gap.terms.get("en", ())):
                if term:
                    self._english.setdefault(term.split()[0], []).append((f" {term} ", position))
            self._japanese.extend((term, position) for term in map(normalise, gap.terms.get("ja", ())) if term)
        # Japanese terms typed in ASCII ("iPhone", "56.5"): looked for in every text, the others only
        # in a text with some Japanese in it
        self._japanese_ascii = [(term, position) for term, position in self._japanese if term.isascii()]

    def __call__(self, norm: str) -> tuple[str, ...]:
        """Ids of the gaps a normalised text mentions, in the order they are declared."""
        found: set[int] = set()
        starts = self._english.keys() & norm.split()
        if starts:
            padded = f" {norm} "
            found.update(position for word in starts for term, position in self._english[word] if term in padded)
        if norm.isascii():
            found.update(position for term, position in self._japanese_ascii if term in norm)
        else:
            # a space typed between two Japanese words (「とうろくかいじょ したひと」) is not in the terms
            joined = _JA_SPACE.sub("", norm) if " " in norm else norm
            found.update(position for term, position in self._japanese if term in joined)
        return tuple(self._ids[position] for position in sorted(found))
