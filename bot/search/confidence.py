"""The matcher's confidence: an estimate of the probability that the top fact is the right one.

A logistic model over a few numbers of the search result (`features`): the top fact's combined,
lexical and learned scores, its lead over the runner-up, and the share of the question's weight
the knowledge base knows at all. Its coefficients were fitted on the dev split of the labelled
questions (`python -m tests.quality.calibrate` fits them and prints their reliability on every
labelled set); a knowledge base too large for the learned model has its own coefficients, fitted
the same way on the lexical scores alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation
    from bot.search.result import SearchResult

# (combined score, lead over the runner-up, learned score, lexical score, known share)
LEARNED_COEF = (1.731, 5.883, 0.145, 3.095, 0.44)
LEARNED_INTERCEPT = -2.981
LEXICAL_COEF = (1.529, 5.556, 0.0, 1.729, 5.156)
LEXICAL_INTERCEPT = -6.926


def features(result: SearchResult) -> tuple[float, float, float, float, float]:
    cands = result.candidates
    if not cands:
        return (0.0, 0.0, 0.0, 0.0, result.known_share)
    top = cands[0]
    lead = top.score - (cands[1].score if len(cands) > 1 else 0.0)
    return (top.score, lead, top.learned, top.lexical, result.known_share)


def confidence(result: SearchResult, learned: bool) -> float:
    """Probability that `result.top` is right: 1.0 for an exact phrasing, 0.0 with no candidate."""
    top = result.top
    if top is None:
        return 0.0
    if top.exact:
        return 1.0
    coef, intercept = (LEARNED_COEF, LEARNED_INTERCEPT) if learned else (LEXICAL_COEF, LEXICAL_INTERCEPT)
    z = intercept + sum(c * x for c, x in zip(coef, features(result), strict=True))
    return 1.0 / (1.0 + math.exp(-z))
