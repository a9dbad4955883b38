"""Numbers written in prose, in English and Japanese, read as values.

Used by the validator to check that an answer sentence states no number its figures do not
declare: "70 million" and "7000万" are both 70000000, "29.6%" is 29.6, "2024年12月2日" holds 2024, 12, 2.
"""

from __future__ import annotations

import re
import unicodedata

_SCALES_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALES_JA = {"千": 1e3, "万": 1e4, "億": 1e8, "兆": 1e12}
_NUMBER = re.compile(
    r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(thousand|million|billion|trillion|千万|千|万|億|兆)?(\s*%)?",
    re.IGNORECASE,
)


def numbers_in(text: str) -> list[tuple[str, float]]:
    """Every number in the text with its value, scale words applied."""
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[str, float]] = []
    for match in _NUMBER.finditer(text):
        digits, scale = match.group(1), (match.group(2) or "").lower()
        value = float(digits.replace(",", ""))
        if scale == "千万":
            value *= 1e7
        elif scale in _SCALES_EN:
            value *= _SCALES_EN[scale]
        elif scale in _SCALES_JA:
            value *= _SCALES_JA[scale]
        found.append((match.group(0).strip(), value))
    return found


def same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
