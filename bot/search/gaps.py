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


class GapMatcher:
    """The declared gaps of one knowledge base; read-only once built."""

    def __init__(self, gaps: Iterable[Gap]) -> None:
        self._gaps: list[tuple[str, re.Pattern[str] | None, tuple[str, ...]]] = []
        for gap in gaps:
            en_terms = [normalise(t) for t in gap.terms.get("en", ()) if normalise(t)]
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in en_terms) + r")\b") if en_terms else None
            ja_terms = tuple(normalise(t) for t in gap.terms.get("ja", ()) if normalise(t))
            self._gaps.append((gap.id, pattern, ja_terms))
        # one search for any gap's English term first: most texts mention none
        patterns = [pattern.pattern for _id, pattern, _ja in self._gaps if pattern is not None]
        self._any_term = re.compile("|".join(patterns)) if patterns else None

    def __call__(self, norm: str) -> tuple[str, ...]:
        """Ids of the gaps a normalised text mentions, in the order they are declared."""
        english = self._any_term is not None and self._any_term.search(norm) is not None
        found = []
        for gap_id, pattern, ja_terms in self._gaps:
            if (english and pattern is not None and pattern.search(norm)) or any(t in norm for t in ja_terms):
                found.append(gap_id)
        return tuple(found)
