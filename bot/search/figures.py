"""Figures as questions: "what is 29.6%?", "２９．６％って何の数字？", "is 892 hospitals or patients?".

A question that is mostly a number (a cue such as "what is", "where does ... come from",
"何の数字", or hardly any other words) asks which fact holds that figure. Numbers are read after
NFKC (full-width digits and "％" become ASCII), with their unit words: "68.2 percent" = "68.2%",
"87.30 million" = "8730万" = 87,300,000, "200k" = 200,000. A bare year ("2024") is not read as a figure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from bot.search.facts import FactDoc
from bot.text.normalise import clean

_MULTIPLIERS = {"million": 1e6, "m": 1e6, "billion": 1e9, "trillion": 1e12, "万": 1e4, "億": 1e8, "兆": 1e12, "千": 1e3, "thousand": 1e3, "k": 1e3}
_NUMBER_RE = re.compile(r"(?<![\d.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|percent|パーセント|million|billion|trillion|thousand|m\b|k\b|万|億|兆|千)?", re.IGNORECASE)
_CUE_RE = re.compile(
    r"\bwhat(?:'s|\s+is|\s+does|\s+was)\b|\bwhat\s*[?？]|\bwhere\s+(?:does|did|is)\b.*\bfrom\b|\bcome\s+from\b|\bmeans?\b|\bstand\s+for\b|\bor\b"
    r"|\b(?:which|what)\s+(?:month|year|date|survey)\s+(?:is|was)\s+(?:that|it|this)(?:\s+(?:from|for))?\b"  # "4.33% - which month is that from?"
    r"|何の数字|なんの数字|何の数|って何|とは|何を表|どこから",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[a-z]{3,}|[\u3400-\u9fff\u30a0-\u30ff]{2,}")
# a number followed by one of these is an age ("75歳以上", "75+", "over 75s"), not a figure
_AGE_RE = re.compile(r"\s*(?:歳|才|さい|\+|years?\s+old|yo\b|and\s+over|or\s+older|s\b)", re.IGNORECASE)
# a number followed by one of these is part of a date (「4月からは？」): the question asks about a time
_DATE_UNIT_RE = re.compile(r"\s*(?:月|日|年|がつ|にち|ねん)")
# the question asks for another number, with this one as context ("of the 892 hospitals, what
# share ...", 「８９２の病院のうち何％？」), unless it also asks what the number is
# a number with a counter ("１２桁の番号", "１台いくら") describes what the question is about; it asks
# what the number is only in so many words (「１２桁って何の数字？」)
_COUNTER_RE = re.compile(r"\s*(?:桁|台|枚|回|個|本|か所|ヶ所|カ所)")
_OTHER_NUMBER_RE = re.compile(r"何[％%割人件]|なんぱーせんと|\bhow\s+many\b|\bwhat\s+(?:percent(?:age)?|share|proportion)\b", re.IGNORECASE)
_WHAT_FIGURE_RE = re.compile(r"何の|なんの|って何|とは|\bmeans?\b|\bstand\s+for\b|\bcome\s+from\b|\brefer", re.IGNORECASE)
_ABOVE = frozenset({"over", "more_than", "at_least"})  # qualifiers of a figure rounded down
# say nothing of a subject: words for a figure, who quotes it, and the topic every figure is about
_FIGURE_WORDS_RE = re.compile(
    r"\b(?:figure|number|stat|statistic)s?\b|\b(?:people|everyone|they|media|news)\s+(?:keep\s+)?(?:quot|cit|mention|say|post|shar)\w*"
    r"|\b(?:the\s+)?(?:maina|my\s*number|mynumber)(?:\s+(?:hokensho|health\s+insurance|insurance))?(?:\s+cards?)?\b",
    re.IGNORECASE,
)
# a sentence of a longer message that asks what a percentage is ("what's 73.7% about?", 「６０．１％って何？」)
_ASKS_PERCENT_RE = re.compile(
    r"\bwhat(?:'s|\s+is|\s+does|\s+was)\s+(?:the\s+)?\d[\d.,]*\s*(?:%|percent)|\d[\d.,]*\s*(?:%|percent|パーセント)\s*(?:って(?:何|なに|なん)|とは)",
    re.IGNORECASE,
)
MAX_OTHER_WORDS = 6  # more words than this besides the number: a question about a subject, not a figure


def figure_key(value: float) -> str:
    """A figure's value as a comparable key (87.30 and 87.3 are the same figure)."""
    return f"{round(value, 6):g}"


def _read_numbers(text: str) -> list[tuple[str, str, float, int]]:
    """(as typed, unit, value, where it ends) of every number in a cleaned text."""
    found = []
    for match in _NUMBER_RE.finditer(text):
        digits, unit = match.group(1), (match.group(2) or "").lower()
        value = float(digits.replace(",", ""))
        value *= _MULTIPLIERS.get(unit, 1.0)
        if unit in ("percent", "パーセント"):
            unit = "%"
        found.append((f"{digits}%" if unit == "%" else match.group(0).strip(), unit, value, match.end()))
    return found


def asks_about_percent(sentence: str) -> bool:
    """Does a sentence ask what a percentage is, right at the number ("what's 73.7% about?")?"""
    return bool(_ASKS_PERCENT_RE.search(clean(sentence)))


_PERSON = r"\b(?:grand\w*|mom|mum|dad|mother|father|he|she|aunt|uncle|husband|wife|i)"


def asked_figure(question: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(the figures as shown to the user, their keys) when the question asks what a figure is, or
    what two figures quoted together are ("where do 36.3 and 46.2 come from?")."""
    text = clean(question)
    numbers = [n for n in _read_numbers(text) if not _AGE_RE.match(text, n[3])]
    if any(_DATE_UNIT_RE.match(text, n[3]) for n in numbers):
        return None  # 「４月からは？」, 「2025年6月って…」: a question about a time
    if not 1 <= len(numbers) <= 2:
        return None
    for typed, unit, value, _end in numbers:
        if not unit and value.is_integer() and 1900 <= value <= 2100:
            return None  # a year: a question about a date, not about a figure
        if not unit and re.search(rf"\b(?:over|under|aged?|above|below|than)\s+{re.escape(typed)}(?![\d.])", text):
            return None  # an age: "people over 75", "aged 65"
        if not unit and 60 <= value < 120 and re.search(rf"{_PERSON}(?:'s|\s+is|\s+turned|\s+turns|'m|\s+am)\s+{re.escape(typed)}(?![\d.])", text):
            return None  # "grandpa's 80 btw", "my mom is 77": an age
    if len(numbers) == 2 and any(float(n[2]).is_integer() for n in numbers):
        return None  # two figures only when both are precise ("36.3 and 46.2"), not "12 or 16 digits"
    rest = _FIGURE_WORDS_RE.sub(" ", _NUMBER_RE.sub(" ", text))
    if len(_WORD_RE.findall(_CUE_RE.sub(" ", rest))) > MAX_OTHER_WORDS:  # the words of the cue ("where does … come from") are not a subject
        return None
    if not _CUE_RE.search(rest) and len(_WORD_RE.findall(rest)) > 2:
        return None
    counted = _COUNTER_RE.match(text, numbers[0][3]) and _WORD_RE.search(rest)  # "１２桁？" alone asks what it is
    if (_OTHER_NUMBER_RE.search(rest) or counted) and not _WHAT_FIGURE_RE.search(rest):
        return None
    return tuple(n[0] for n in numbers), tuple(figure_key(n[2]) for n in numbers)


def _keys(value: float) -> set[str]:
    """The keys a figure answers to: its value, and its value rounded the way people quote it
    (47.26% as "47%" or "47.3%", 87,300,000 as "87 million" or "8730万")."""
    keys = {figure_key(value)} | {figure_key(round(value, d)) for d in (0, 1)}
    if value >= 1000:
        magnitude = 10 ** (len(str(int(value))) - 1)
        keys |= {figure_key(round(value / magnitude, d) * magnitude) for d in (1, 2, 3)}
    return keys


def figure_holders(docs: Sequence[FactDoc]) -> tuple[dict[str, tuple[int, ...]], ...]:
    """Figure key -> positions of the facts holding a figure of exactly that value; of those
    holding one that rounds to it (47.26% as "47%", or "over 42%" for 42.4%); and of those with that number in a figure's
    base ("993 pharmacies that answered"), in the order they are read. Dates are not figures."""
    exact: defaultdict[str, list[int]] = defaultdict(list)
    values: defaultdict[str, list[int]] = defaultdict(list)
    bases: defaultdict[str, list[int]] = defaultdict(list)
    for idx, doc in enumerate(docs):
        for fig in doc.fact.figures:
            found = [float(fig.value)] if isinstance(fig.value, (int, float)) else []
            # "over 42%" is the figure a more precise "42.4%" was rounded down to
            above = [v + tenth / 10 for v in found for tenth in range(1, 10)] if fig.qualifier in _ABOVE and fig.unit == "percent" else []
            in_base = [value for _typed, _unit, value, _end in _read_numbers(clean(fig.base.get("en")))] if fig.base is not None else []
            for table, keys in (
                (exact, {figure_key(v) for v in found}),
                (values, {k for v in found for k in _keys(v)} | {figure_key(v) for v in above}),
                (bases, {k for v in in_base for k in _keys(v)}),
            ):
                for key in keys:
                    if not table[key] or table[key][-1] != idx:
                        table[key].append(idx)
    return tuple({key: tuple(p) for key, p in table.items()} for table in (exact, values, bases))
