"""Which charts the knowledge base holds, and what each one shows. No drawing here.

A chart is named by a key: a chart group (`chart:` on facts, a bar chart of all their figures),
a dated series (`series:` on facts, lines over the `as_of` dates, one line per base, so
that a rate counted two ways is never drawn as one line) or, for a fact in neither,
the fact's own id (a bar chart of that fact's figures). Everything a picture needs, its labels,
values, base, period and sources, is worked out here as plain data in one language, so the
drawing code only lays it out and the data can be tested without pixels.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from bot.answer.format import date_text, source_line, value_text
from bot.knowledge.charts_check import series_line, series_unit
from bot.knowledge.model import Fact, Figure, KnowledgeBase

BAR, LINE = "bar", "line"
# Units a bar can measure. A calendar year or a day is a point in time, not an amount; a bar
# for "2016" would only look like a quantity.
AMOUNT_UNITS = ("percent", "people", "hospitals", "count", "years")


class ChartError(Exception):
    """A chart that cannot be made; the message is one line for a person."""


class UnknownChart(ChartError, LookupError):
    pass


class NothingToChart(ChartError):
    pass


@dataclass(frozen=True)
class ChartSpec:
    key: str
    kind: str  # BAR or LINE
    title_en: str
    title_ja: str
    fact_ids: tuple[str, ...]
    topic: str

    def title(self, lang: str) -> str:
        return self.title_ja if lang == "ja" else self.title_en


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_label: str


@dataclass(frozen=True)
class Point:
    when: date
    value: float
    value_label: str
    note: int  # 1-based number of its source in the footer; 0 when the chart has one source
    line: int = 0  # index into ChartData.lines: which basis the point is counted on


@dataclass(frozen=True)
class ChartData:
    """One chart in one language, ready to draw."""

    spec: ChartSpec
    lang: str
    unit: str
    heading: str
    subtitle: tuple[str, ...]
    axis_label: str
    footer: tuple[str, ...]
    source_ids: tuple[str, ...]  # the sources named in the footer, in its order (for links beside the image)
    bars: tuple[Bar, ...] = field(default=())
    points: tuple[Point, ...] = field(default=())
    lines: tuple[str, ...] = field(default=())  # a label per line when a series has several bases


# ---------------------------------------------------------------- discovery


def available_charts(kb: KnowledgeBase) -> list[ChartSpec]:
    """Every declared chart (groups and series), in the order their first facts appear."""
    order: list[tuple[str, str]] = []
    members: dict[tuple[str, str], list[Fact]] = {}
    for fact in kb.facts:
        for kind, key in ((BAR, fact.chart), (LINE, fact.series)):
            if key:
                if (kind, key) not in members:
                    order.append((kind, key))
                members.setdefault((kind, key), []).append(fact)
    return [_spec(kb, key, kind, members[(kind, key)]) for kind, key in order]


def chart_for_fact(kb: KnowledgeBase, fact_id: str) -> ChartSpec | None:
    """The declared chart a fact belongs to (its chart group first, else its series), or None."""
    fact = kb.fact(fact_id)
    if fact is None or not (fact.chart or fact.series):
        return None
    kind, key = (BAR, fact.chart) if fact.chart else (LINE, fact.series)
    return next(s for s in available_charts(kb) if s.kind == kind and s.key == key)


def find_chart(kb: KnowledgeBase, name: str) -> ChartSpec:
    """The chart a person means by a name: a chart key, a fact id, or a topic with one chart."""
    charts = available_charts(kb)
    for spec in charts:
        if spec.key == name:
            return spec
    fact = kb.fact(name)
    if fact is not None:
        declared = chart_for_fact(kb, name)
        if declared is not None:
            return declared
        if not _amount_figures(fact):
            raise NothingToChart(f"Fact {name!r} has no amounts to chart (only dates or years, or no figures).")
        return _spec(kb, fact.id, BAR, [fact])
    topic = kb.topic(name)
    if topic is not None:
        in_topic = [s for s in charts if s.topic == topic.id]
        if len(in_topic) == 1:
            return in_topic[0]
        if not in_topic:
            raise NothingToChart(f"Topic {name!r} has no charts.")
        raise UnknownChart(f"Topic {name!r} has {len(in_topic)} charts: {', '.join(s.key for s in in_topic)}; name one of them.")
    known = ", ".join(s.key for s in charts) or "none"
    raise UnknownChart(f"No chart, fact or topic named {name!r}. Charts: {known}.")


# ---------------------------------------------------------------- the data of one chart


def chart_data(kb: KnowledgeBase, spec: ChartSpec, lang: str) -> ChartData:
    facts = [f for f in (kb.fact(i) for i in spec.fact_ids) if f is not None]
    if spec.kind == LINE:
        return _line_data(kb, spec, facts, lang)
    return _bar_data(kb, spec, facts, lang)


def _spec(kb: KnowledgeBase, key: str, kind: str, facts: list[Fact]) -> ChartSpec:
    titles = [_line_title(facts, lang) if kind == LINE else _bar_title(kb, facts, lang) for lang in ("en", "ja")]
    return ChartSpec(key, kind, titles[0], titles[1], tuple(f.id for f in facts), facts[0].topic)


def _amount_figures(fact: Fact) -> list[Figure]:
    return [f for f in fact.figures if f.unit in AMOUNT_UNITS]


def _bar_figures(facts: list[Fact]) -> list[Figure]:
    """The figures a bar chart draws: those in the unit of the first amount (the checker makes a
    declared group all one unit; a single fact may carry a date beside its amounts)."""
    amounts = [fig for fact in facts for fig in _amount_figures(fact)]
    return [fig for fig in amounts if fig.unit == amounts[0].unit] if amounts else []


def _series_figures(facts: list[Fact]) -> tuple[list[Figure], list[Figure]]:
    """(the series in its main unit, ordered by date; the figures in other units)."""
    figures = [fig for fact in facts for fig in fact.figures]
    unit = series_unit(figures)
    main = sorted((f for f in figures if f.unit == unit and not _rounded_beside_exact(f, figures)), key=lambda f: _as_date(f.as_of))
    return main, [f for f in figures if f.unit != unit and f.unit != "date"]


ROUNDED_NEAR_DAYS = 40  # a rounded figure this close to an exact one of the same base adds nothing to a line


def _rounded_beside_exact(fig: Figure, figures: list[Figure]) -> bool:
    """A figure given roughly ("about 4%", the article's) next to an exact one of the same unit and
    base within `ROUNDED_NEAR_DAYS` (4.33% for November 2023): drawn, it would be a false dip."""
    if fig.qualifier != "about":
        return False
    when = _as_date(fig.as_of)
    return any(
        other.qualifier is None and other.unit == fig.unit and other.base == fig.base and abs((_as_date(other.as_of) - when).days) <= ROUNDED_NEAR_DAYS
        for other in figures
    )


def _distinct(texts: list[str]) -> list[str]:
    """Unique texts in order, dropping any that another one contains: "hospitals that use the
    system" adds nothing beside "hospitals that use the system (multiple-choice question)"."""
    unique = list(dict.fromkeys(t for t in texts if t))
    return [t for t in unique if not any(t != other and t in other for other in unique)]


def _bar_subject(figures: list[Figure], lang: str) -> str:
    """What the bars have in common, as a phrase: the thing counted, or the base it is a share of."""
    counts = _distinct([f.counts.get(lang) for f in figures])
    bases = _distinct([f.base.get(lang) for f in figures if f.base])
    if len(counts) == 1:
        return counts[0]
    if len(bases) == 1:
        if figures[0].unit == "percent":
            return f"{bases[0]}に占める割合" if lang == "ja" else f"share of {bases[0]}"
        return bases[0]
    return counts[0]


def _bar_title(kb: KnowledgeBase, facts: list[Fact], lang: str) -> str:
    topic = kb.topic(facts[0].topic)
    heading = topic.title.get(lang) if topic else facts[0].id
    figures = _bar_figures(facts)
    if not figures:
        return heading
    return f"{heading}{'：' if lang == 'ja' else ': '}{_bar_subject(figures, lang)}"


def _line_title(facts: list[Fact], lang: str) -> str:
    main, _ = _series_figures(facts)
    subject = _common_subject([f.counts.get(lang) for f in main]) if main else facts[0].id
    return f"{subject}の推移" if lang == "ja" else f"{_capitalise(subject)}, over time"


def _bar_data(kb: KnowledgeBase, spec: ChartSpec, facts: list[Fact], lang: str) -> ChartData:
    figures = _bar_figures(facts)
    if not figures:
        raise NothingToChart(f"Chart {spec.key!r} has no amounts to draw.")
    counts = [f.counts.get(lang) for f in figures]
    bases = [f.base.get(lang) if f.base else "" for f in figures]
    times = [_when(f, lang) for f in figures]
    counts_vary, bases_vary, times_vary = (len(set(x)) > 1 for x in (counts, bases, times))
    bars = []
    for fig, count, base, when in zip(figures, counts, bases, times, strict=True):
        if counts_vary or not (bases_vary or times_vary):
            label = count
            if times_vary:
                label += f"（{when}）" if lang == "ja" else f" ({when})"
        elif bases_vary:
            label = base + (f"（{when}）" if lang == "ja" else f" ({when})") * times_vary
        else:
            label = when
        bars.append(Bar(label, float(fig.value), value_text(fig, lang)))
    subtitle = []
    if len(figures) > 1 and not counts_vary:
        subtitle.append(_capitalise(counts[0]))
    meta = []
    if not (bases_vary and not counts_vary):
        distinct_bases = _distinct(bases)
        if distinct_bases:
            meta.append(("対象：" if lang == "ja" else "Base: ") + ("；" if lang == "ja" else "; ").join(distinct_bases))
    if not times_vary:
        meta.append(times[0])
    if meta:
        subtitle.append("　".join(meta) if lang == "ja" else " · ".join(meta))
    topic = kb.topic(facts[0].topic)
    return ChartData(
        spec=spec,
        lang=lang,
        unit=figures[0].unit,
        heading=topic.title.get(lang) if topic else spec.title(lang),
        subtitle=tuple(subtitle),
        axis_label=axis_label(figures[0].unit, lang),
        footer=_source_lines(kb, [f.source for f in figures], lang),
        source_ids=tuple(dict.fromkeys(f.source for f in figures)),
        bars=tuple(bars),
    )


def _common_subject(texts: list[str]) -> str:
    """What figures counted on different bases share, for a title: their common beginning
    ("usage rate: share of checks ..." and "usage rate: people ..." give "usage rate"), or the
    first text when they share too little."""
    unique = list(dict.fromkeys(texts))
    if len(unique) == 1:
        return unique[0]
    prefix = unique[0]
    for text in unique[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    # cut back to the last separator, so that no half of a phrase is left ("usage rate: card")
    cut = max(prefix.rfind(sep) for sep in (":", "：", "（", "(", "、", ","))
    prefix = prefix[:cut].rstrip() if cut > 0 else ""
    return prefix if len(prefix) >= 3 else unique[0]


def _line_data(kb: KnowledgeBase, spec: ChartSpec, facts: list[Fact], lang: str) -> ChartData:
    main, others = _series_figures(facts)
    if len({f.as_of for f in main}) < 2:
        raise NothingToChart(f"Series {spec.key!r} has fewer than 2 dated figures to draw.")
    sources = list(dict.fromkeys(f.source for f in main))
    numbered = len(sources) > 1
    # one line per base, in the order the bases first appear over time; never joined
    line_keys = list(dict.fromkeys(series_line(f) for f in main))
    several = len(line_keys) > 1
    points = tuple(
        Point(
            _as_date(f.as_of),
            float(f.value),
            value_text(f, lang),
            sources.index(f.source) + 1 if numbered else 0,
            line_keys.index(series_line(f)) if several else 0,
        )
        for f in main
    )
    subject = _common_subject([f.counts.get(lang) for f in main])
    lines = tuple(_line_label([f for f in main if series_line(f) == key], subject, lang) for key in line_keys) if several else ()
    meta = []
    bases = _distinct([f.base.get(lang) for f in main if f.base])
    if len(bases) == 1:
        meta.append(("対象：" if lang == "ja" else "Base: ") + bases[0])
    first, last = date_text(main[0].as_of, lang), date_text(main[-1].as_of, lang)
    meta.append(f"{first}〜{last}" if lang == "ja" else f"{first} to {last}")
    footer = list(_source_lines(kb, sources, lang, numbered=numbered))
    for fig in others:
        also = (
            f"{value_text(fig, lang)}（{fig.counts.get(lang)}、{date_text(fig.as_of, lang)}）"
            if lang == "ja"
            else f"{value_text(fig, lang)} ({fig.counts.get(lang)}, {date_text(fig.as_of, lang)})"
        )
        footer.append(("ほかに報告された数値：" if lang == "ja" else "Also reported: ") + also)
    return ChartData(
        spec=spec,
        lang=lang,
        unit=main[0].unit,
        heading=spec.title(lang),
        subtitle=("　".join(meta) if lang == "ja" else " · ".join(meta),),
        axis_label=axis_label(main[0].unit, lang),
        footer=tuple(footer),
        source_ids=tuple(sources),
        points=points,
        lines=lines,
    )


def _line_label(figures: list[Figure], subject: str, lang: str) -> str:
    """The legend of one line: the head of its base ("Old basis") and what it counts, without
    the subject the title already gives."""
    fig = figures[0]
    counts = fig.counts.get(lang)
    if subject and counts.startswith(subject):
        counts = counts[len(subject) :].lstrip(" :：、,")
    if not fig.base:
        return counts
    base = fig.base.get(lang)
    head = base.split("：", 1)[0] if lang == "ja" else base.split(":", 1)[0]
    return f"{head}：{counts}" if lang == "ja" else f"{_capitalise(head)}: {counts}"


def _source_lines(kb: KnowledgeBase, source_ids: list[str], lang: str, numbered: bool = False) -> tuple[str, ...]:
    lines = []
    for n, sid in enumerate(dict.fromkeys(source_ids), start=1):
        src = kb.sources.get(sid)
        text = source_line(src, lang) if src else sid
        lines.append(f"[{n}] {text}" if numbered else text)
    return tuple(lines)


def _when(fig: Figure, lang: str) -> str:
    if fig.period:
        return ("調査期間：" if lang == "ja" else "Period: ") + fig.period.get(lang)
    return f"{date_text(fig.as_of, lang)}時点" if lang == "ja" else f"As of {date_text(fig.as_of, lang)}"


_AXIS_LABELS = {
    "percent": ("Percent (%)", "割合（%）"),
    "people": ("People (millions)", "人数（万人）"),
    "hospitals": ("Hospitals", "病院数"),
    "count": ("Count", "件数"),
    "years": ("Years", "年数"),
}


def axis_label(unit: str, lang: str) -> str:
    en, ja = _AXIS_LABELS.get(unit, (unit, unit))
    return ja if lang == "ja" else en


def axis_scale(unit: str, lang: str) -> float:
    """What the axis numbers are divided by: people read in millions (en) or 万 (ja)."""
    if unit == "people":
        return 1e4 if lang == "ja" else 1e6
    return 1.0


def _as_date(iso: str) -> date:
    parts = [int(p) for p in iso.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def display_width(text: str) -> int:
    """Columns a text takes: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = set("、。，．）」』】〕％%・ー〜：；？！,.)]:;?!")


def wrap(text: str, columns: int) -> list[str]:
    """Break a text into lines of at most `columns` display columns: at spaces between Latin
    words, anywhere between CJK characters, never before closing punctuation."""
    tokens: list[str] = []
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in "WF"
        if tokens and not wide and ch != " " and not tokens[-1].endswith(" ") and not _is_wide(tokens[-1][-1]):
            tokens[-1] += ch
        elif tokens and ch == " ":
            tokens[-1] += ch
        else:
            tokens.append(ch)
    lines: list[str] = []
    current = ""
    for token in tokens:
        if current and display_width(current + token.rstrip()) > columns and token[0] not in _NO_LINE_START:
            lines.append(current.rstrip())
            current = token
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"
