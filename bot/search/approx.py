"""Figures a question quotes roughly: "about half the hospitals", 「病院の半数」, "around 4 percent",
"3割", "35-something percent", "over 70 million".

People often name a fact by the figure they remember rather than by its subject, and the figure
is what tells neighbouring facts apart: "half the hospitals say there is no merit" is the 51.1%
about patients, not the 42.4% about the hospitals themselves. `quoted_amounts` reads the ranges
such a question quotes; the index ranks a fact holding a figure inside one above neighbours that
hold none (`search.index.NEAR_BONUS`). An exact figure asked about ("what is 29.6%?") is a figure
question instead (`search.figures`); a bare number ("892") or a year is not read here.
"""

from __future__ import annotations

import re

from bot.knowledge.model import Fact, Figure
from bot.search.figures import _AGE_RE, _read_numbers
from bot.text.normalise import clean

Amount = tuple[float, float, str]  # (low, high, "percent" or "count")

COUNT_UNITS = frozenset({"people", "hospitals", "count"})
HALF = (47.5, 54.0)  # "half" as people use it: 51.1% is half, 46.2% is "almost half"
TENTH_SPAN = 3.0  # 「3割」: 27% to 33%
COUNT_SHARE = 0.06  # "70 million" holds 66 to 74 million

_HALF_RE = re.compile(r"\bhalf\b|半分|半数|約半|はんぶん")
_TENTHS_RE = re.compile(r"(?<![\d.])(\d{1,2})\s*割")
_COUNT_UNITS = frozenset({"million", "billion", "thousand", "m", "万", "億", "千"})


def percent_span(value: float) -> tuple[float, float]:
    """The range a percentage quoted as `value` stands for: 4% is 3 to 5, 35% is 33.25 to 36.75."""
    spread = max(1.0, 0.05 * value)
    return value - spread, value + spread


def quoted_amounts(question: str) -> tuple[Amount, ...]:
    """The figures a question quotes: percentages (typed, "half", N割) and counts in millions or 万."""
    text = clean(question)
    found: list[Amount] = []
    if _HALF_RE.search(text):
        found.append((*HALF, "percent"))
    for match in _TENTHS_RE.finditer(text):
        tenths = int(match.group(1)) * 10.0
        found.append((tenths - TENTH_SPAN, tenths + TENTH_SPAN, "percent"))
    for _typed, unit, value, end in _read_numbers(text):
        if _AGE_RE.match(text, end):
            continue
        if unit == "%":
            found.append((*percent_span(value), "percent"))
        elif unit in _COUNT_UNITS and value >= 10_000:
            found.append((value * (1 - COUNT_SHARE), value * (1 + COUNT_SHARE), "count"))
    return tuple(dict.fromkeys(found))


def holds_near(fact: Fact, amounts: tuple[Amount, ...]) -> bool:
    """Does the fact hold a figure inside one of the quoted ranges?"""
    return any(holds_near_one(fig, amounts) for fig in fact.figures)


def holds_near_one(fig: Figure, amounts: tuple[Amount, ...]) -> bool:
    """Is this figure inside one of the quoted ranges?"""
    if not isinstance(fig.value, (int, float)):
        return False
    kind = "percent" if fig.unit == "percent" else "count" if fig.unit in COUNT_UNITS else None
    return any(kind == k and low <= fig.value <= high for low, high, k in amounts)


# "under 4.5%", "over 37.5%": a bound, not a figure read somewhere
_BOUND_BEFORE_RE = re.compile(
    r"(?:\b(?:under|below|over|above|less\s+than|more\s+than|fewer\s+than|at\s+least|at\s+most|nearly|almost|past)|[<>≦≧])\s*$", re.IGNORECASE
)


def precise_percents(question: str) -> tuple[tuple[str, Amount], ...]:
    """The percentages a question quotes with decimals ("9.8%", "22.7 percent"), as typed and as a
    range: a figure someone read somewhere, not a round guess ("half", "under 20%")."""
    text = clean(question)
    found = [
        (typed, (*_precise_span(typed, value), "percent"))
        for typed, unit, value, end in _read_numbers(text)
        if unit == "%" and "." in typed and not _AGE_RE.match(text, end) and not _BOUND_BEFORE_RE.search(text, 0, end - len(typed))
    ]
    return tuple(dict.fromkeys(found))


def _precise_span(typed: str, value: float) -> tuple[float, float]:
    """The range a percentage typed with decimals stands for: its last digit's worth either side
    ("4.3%" is 4.2 to 4.4, "4.49%" 4.48 to 4.50), so 5.1% is not the 4.6% of a neighbouring month."""
    digits = re.search(r"[.．](\d+)", typed)
    step = 10.0 ** -len(digits.group(1)) if digits else 1.0
    return value - step - 1e-9, value + step + 1e-9
