"""Fit the confidence model's coefficients (bot/search/confidence.py) on the dev split.

    python -m tests.quality.calibrate

Prints the coefficients for the matcher with the learned model and for the lexical scoring alone
(the matcher of knowledge bases too large for the learned model), and the reliability of each on
every labelled set: of the questions given a confidence in a band, how many had the right fact
first. Questions the policy settles before the confidence (an exact phrasing, a declared gap) are
left out. Copy the printed coefficients into bot/search/confidence.py.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.knowledge import default_knowledge_path, load_knowledge
from bot.search import confidence as conf
from bot.search.index import SearchIndex
from tests.quality.test_quality import _all_questions

BANDS = ((0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


def _rows(index: SearchIndex, items: list[dict]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    features, right, splits = [], [], []
    for item in items:
        result = index.search(item["q"])
        if result.gaps or result.top is None or result.top.exact:
            continue
        ok = {item.get("expect"), *(item.get("accept") or [])} - {None}
        features.append(conf.features(result))
        right.append(int(result.top.fact_id in ok))
        splits.append(item["split"])
    return np.array(features), np.array(right), splits


def main() -> None:
    kb = load_knowledge([default_knowledge_path()]).kb
    assert kb is not None
    lexical = SearchIndex(kb)
    lexical.model = None  # what a knowledge base too large for the learned model gets
    items = _all_questions()
    for name, index in (("LEARNED", SearchIndex(kb)), ("LEXICAL", lexical)):
        x, y, splits = _rows(index, items)
        dev = np.array([s == "dev" for s in splits])
        model = LogisticRegression(C=100.0, max_iter=5000).fit(x[dev], y[dev])
        print(f"{name}_COEF = {tuple(round(float(c), 3) for c in model.coef_[0])}")
        print(f"{name}_INTERCEPT = {round(float(model.intercept_[0]), 3)}")
        p = model.predict_proba(x)[:, 1]
        for split in dict.fromkeys(splits):
            mine = np.array([s == split for s in splits])
            cells = []
            for lo, hi in BANDS:
                band = mine & (p >= lo) & (p < hi)
                cells.append(f"[{lo:.1f},{min(hi, 1):.1f}) {y[band].mean() if band.any() else float('nan'):.2f} of {band.sum()}")
            print(f"  {split:8} " + "; ".join(cells))


if __name__ == "__main__":
    main()
