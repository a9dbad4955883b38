"""Dates a question asks about, and the dates a fact has figures for.

"What was the usage rate in July 2025?", 「2024年10月の利用率」, "registrations oct 2024": the
question names a month or a year. A fact answers it only if one of its figures is dated then
(its `as_of`, or a date in its period or in what it counts). The index ranks the facts that hold
the asked date above those that do not, and the policy declines a question about a month or a
year for which the best fact has no figure, instead of giving a figure from another date as if
it answered ("the usage rate in December 2025", "in 2027").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

from bot.knowledge.model import Fact
from bot.text.normalise import clean

_MONTHS = {name: n for n, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december")),
    start=1) for name in names}  # fmt: skip
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"(20[1-3]\d)"  # 2010-2039: "like 2000" is a count, not a year
_PATTERNS = (
    re.compile(_YEAR + r"\s*年\s*の?\s*(\d{1,2})\s*月"),  # 2025年10月, 2023年の10月
    re.compile(r"(?<!\d)" + _YEAR + r"[/.-](\d{1,2})(?![\d/.-])"),  # 2025/10, 2025-10
    re.compile(rf"\b({_MONTH_NAME})(?:\.?\s*|\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+){_YEAR}\b", re.IGNORECASE),  # Oct 2025, October 3, 2025, nov2024
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+({_MONTH_NAME})\.?,?\s+{_YEAR}\b", re.IGNORECASE),  # 3 October 2025
)
_YEAR_RE = re.compile(r"(?<![\d.,/])(?<!\d-)" + _YEAR + r"(?![\d%]|[.,]\d)\s*年?")  # "2024", "in 2024, …", "mid-2025", 「2024年」
# a month without its year ("september?", 「9月は？」), read in a follow-up with the previous
# question's year; "may" and "mar" alone are words, not months
_BARE_MONTH_RE = re.compile(rf"\b(?!may\b|mar\b)({_MONTH_NAME})\b\.?|(?<![年\d])(\d{{1,2}})\s*月", re.IGNORECASE)


# a word just before a year that is a month name mistyped ("octber 2025", "septmber 2024")
_BEFORE_YEAR_RE = re.compile(r"\b([a-z]{4,})(?=\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?20\d\d\b)", re.IGNORECASE)
_FULL_MONTHS = tuple(name for name in _MONTHS if len(name) >= 4 and name != "sept")


# 「2025ねん4がつ」: a year and a month written in kana after their digits
_KANA_DATE = {"ねん": "年", "がつ": "月"}
_KANA_DATE_RE = re.compile(r"(\d)\s*(ねん|がつ)")
# 「十月」「十一月」「三月」: a month written in kanji numerals
_KANJI_DIGITS = {c: n for n, c in enumerate("一二三四五六七八九", start=1)}
_KANJI_MONTH_RE = re.compile(r"(?<![一二三四五六七八九十百千万])(十[一二]?|[一二三四五六七八九])(?=\s*月(?!曜|間|あたり|当たり))")


# "back when the Kyodo article came out", "when that hospital survey came out", 「記事が出た頃」: the month
# of the news article the knowledge starts from, which made the survey public (Kyodo, 3 December 2023:
# `kyodo-2023-12-03` in knowledge/sources.yaml)
ARTICLE_MONTH = "December 2023"
_ARTICLE_TIME_RE = re.compile(
    r"\b(?:(?:back|around|right|just)\s+)?(?:when|by\s+the\s+time|at\s+the\s+time)\s+(?:the|that|this)\s+(?:(?:kyodo|hospital|ministry|news|survey|original)\s+){0,2}"
    r"(?:article|piece|story|report|news|survey(?:\s+results)?)\s+(?:came\s+out|ran|was\s+(?:published|written|out|released)|hit|dropped)\b"
    r"|\b(?:(?:back|around|right|just)\s+)?at\s+the\s+time\s+of\s+(?:the|that)\s+(?:kyodo\s+)?(?:article|piece|story)\b"
    r"|(?:その|あの|共同(?:通信)?の)?(?:記事|ニュース|報道)(?:が出た|の出た|の)(?:頃|ころ|時|とき|時点)",
    re.IGNORECASE,
)


_ARTICLE_TIME_WORDS = ("when", "When", "WHEN", "time", "Time", "記事", "ニュース", "報道")  # one of them is in every match


def article_time_as_month(text: str) -> str:
    """The text with "when the article came out" written as the article's month."""
    if not any(word in text for word in _ARTICLE_TIME_WORDS):
        return text  # most texts: no regex run (it is read several times per question)
    return _ARTICLE_TIME_RE.sub(f" {ARTICLE_MONTH} ", text)


def _kanji_month(match: re.Match[str]) -> str:
    text = match.group(1)
    return str(10 + _KANJI_DIGITS.get(text[1:], 0) if text[0] == "十" else _KANJI_DIGITS[text])


def _month_typo(match: re.Match[str]) -> str:
    word = match.group(1).lower()
    if word in _MONTHS:
        return match.group(1)
    allowed = 2 if len(word) >= 6 else 1
    for month in _FULL_MONTHS:
        if Levenshtein.distance(word, month, score_cutoff=allowed) <= allowed:
            return month
    return match.group(1)


def asked_dates(text: str, year: str | None = None) -> tuple[str, ...]:
    """The months ("2025-07") and years ("2027") a text names, in order, each once; with
    `year`, a month named without one ("september?") is read as that year's."""
    text = article_time_as_month(clean(text))
    text = _BEFORE_YEAR_RE.sub(_month_typo, text)
    text = _KANA_DATE_RE.sub(lambda m: m.group(1) + _KANA_DATE[m.group(2)], text)
    text = _KANJI_MONTH_RE.sub(_kanji_month, text)
    found: list[str] = []
    rest = text
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            first, second = match.group(1), match.group(2)
            named_year, month = (first, int(second)) if first.isdigit() else (second, _MONTHS[first.lower()])
            if 1 <= month <= 12:
                found.append(f"{named_year}-{month:02d}")
            rest = rest.replace(match.group(0), " ")
    years = _YEAR_RE.findall(rest)
    if len(years) == 1 and year is None:
        year = years[0]  # "in spring 2025, say April?": the month of the year the text names
    if year is not None and not found:
        for match in _BARE_MONTH_RE.finditer(rest):
            month = _MONTHS[match.group(1).lower()] if match.group(1) else int(match.group(2))
            if 1 <= month <= 12:
                found.append(f"{years[0] if years else year}-{month:02d}")
        if found:
            years = []
    return tuple(dict.fromkeys(found + years))


# "the month before?", 「前の月は？」: one month (or year) before the date talked about ("last
# month" and 先月 are before today, not before that date)
_EARLIER_RE = re.compile(
    r"\b(?:the\s+)?(month|year)\s+before\b|\b(?:previous|prior|preceding)\s+(month|year)\b|\ba\s+(month|year)\s+(?:earlier|before)\b"
    r"|(前の月|前月|前の年|前年|1年前|一年前|1か月前|1ヶ月前|ひと月前)",
    re.IGNORECASE,
)
# "a year later?", "the month after?", 「1年後は？」: counted on from the date asked before
_LATER_RE = re.compile(
    r"\b(?:the\s+)?(month|year)\s+after\b|\b(?:a|one)\s+(month|year)\s+(?:later|after)\b|(次の月|翌月|翌年|1年後|一年後|1か月後|1ヶ月後|ひと月後)",
    re.IGNORECASE,
)


def earlier(text: str, base: str) -> str | None:
    """The date a text asks for by counting back from `base` ("2025-10" and "the month before?"
    give "2025-09") or on from it ("a year later?"), or None when it names no such step (or a
    month before or after a bare year)."""
    text = clean(text)
    match = _EARLIER_RE.search(text)
    by = -1
    if match is None:
        match, by = _LATER_RE.search(text), 1
    if match is None:
        return None
    step = next(group for group in match.groups() if group)
    year = int(base[:4])
    if step.lower() == "year" or "年" in step:
        return f"{year + by}{base[4:]}"
    if len(base) < 7:
        return None
    month = int(base[5:7]) + by
    if month == 0:
        return f"{year - 1}-12"
    return f"{year + 1}-01" if month == 13 else f"{year}-{month:02d}"


# the part of a year named before it ("late 2024", "early-2025", "the end of 2023"): part of the date
_PART_OF_YEAR_RE = re.compile(
    r"\b(?:(?:the\s+)?(?:end|beginning|start|middle)\s+of|late|early|mid|autumn|fall|spring|summer|winter)\s*-?\s*(?=(?:19|20)\d\d\b)", re.IGNORECASE
)


def without_dates(text: str) -> str:
    """The text with its dates (months, years, bare months) taken out."""
    text = clean(text)
    for pattern in (_ARTICLE_TIME_RE, _PART_OF_YEAR_RE, *_PATTERNS, _YEAR_RE, _BARE_MONTH_RE, _EARLIER_RE):
        text = pattern.sub(" ", text)
    return text


def fact_dates(fact: Fact, counting: bool = False) -> frozenset[str]:
    """Every year and month ("2025", "2025-10") the fact has a figure for (`counting`: a figure
    that is not itself a date or a year); a day something was usable up to covers the months from
    its `as_of` to it."""
    keys: set[str] = set()
    for fig in fact.figures:
        if counting and fig.unit in ("date", "year"):
            continue
        stamps: list[str] = [fig.as_of]
        if fig.unit == "date" and isinstance(fig.value, str):
            stamps.append(fig.value)
            if fig.qualifier == "up_to":  # usable up to a day: every month from its as_of to that day
                stamps += _months_between(fig.as_of, fig.value)
        elif fig.unit == "year":
            stamps.append(str(int(fig.value)))
        for text in (fig.period, fig.counts):
            if text is not None:
                stamps += asked_dates(text.get("en"))
        for stamp in stamps:
            keys.add(stamp[:4])
            if len(stamp) >= 7:
                keys.add(stamp[:7])
    return frozenset(keys)


def _months_between(start: str, end: str) -> list[str]:
    """The months from `start` to `end` ("2025-12-01", "2026-03-31" -> 2025-12 … 2026-03), at most 10 years of them."""
    year, month = int(start[:4]), int(start[5:7]) if len(start) >= 7 else 1
    last = (int(end[:4]), int(end[5:7]) if len(end) >= 7 else 12)
    out: list[str] = []
    while (year, month) <= last and len(out) < 120:
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def holds(dates: frozenset[str], asked: Iterable[str]) -> bool:
    """Does a fact with figures for `dates` have one for any asked month or year ("in 2024 or
    2025?" is answered by a fact with either)?"""
    return any(key in dates for key in asked)


def shown(key: str, lang: str) -> str:
    """A date key as people write it: "July 2025" / 「2025年7月」, or the year alone."""
    if len(key) == 4:
        return f"{key}年" if lang == "ja" else key
    year, month = key.split("-")
    if lang == "ja":
        return f"{year}年{int(month)}月"
    return f"{_MONTH_NAMES[int(month) - 1]} {year}"
