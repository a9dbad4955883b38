"""Checks on the chart declarations of facts (`chart: <group>` and `series: <key>`).

A chart group becomes one bar chart of every figure of its facts, so those figures must be
comparable amounts in one unit. A series becomes lines over time: one line for each base its
figures give (a rate counted two ways, such as the usage rate before and after its change of
basis, is two lines that are never joined). It needs at least two figures in its main unit at
different dates, and no two on the same line at the same date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import groupby

from bot.knowledge.model import Fact, Figure
from bot.knowledge.yamlsafe import Problem

MAX_BARS = 12  # beyond this the labels of a bar chart no longer fit in a readable image


def series_unit(figures: Sequence[Figure]) -> str | None:
    """The unit a dated series is drawn in: the one most of its figures use (the first on a tie).

    A series fact may carry a side figure in another unit (registrations: people over time,
    plus the share of cardholders once); the line follows the unit of the many, not the one.
    """
    counts = Counter(f.unit for f in figures if f.unit != "date")
    if not counts:
        return None
    best = max(counts.values())
    return next(f.unit for f in figures if counts.get(f.unit) == best)


def series_line(fig: Figure) -> str:
    """Which line of a dated series a figure belongs on: its base (in English), or "" for none.

    Figures on different bases count different things, so they are drawn as separate lines."""
    return fig.base.en if fig.base else ""


def _problem(fact: Fact, field_name: str, message: str) -> Problem:
    return Problem(fact.file, fact.line, 0, f"{fact.id}.{field_name}", message)


def _groups(facts: Sequence[Fact], attribute: str) -> Iterator[tuple[str, list[Fact]]]:
    """Each key with its facts, in the order the keys first appear, one group at a time: a reload
    runs these checks beside the event loop, and a list for every key kept to the end (thousands
    at 10,000 facts) would hasten a full collection (see `loader.ASIDE_MIN_BYTES`)."""
    first: dict[str, int] = {}
    for i, fact in enumerate(facts):
        key = getattr(fact, attribute)
        if key:
            first.setdefault(key, i)
    keyed = sorted((i for i, fact in enumerate(facts) if getattr(fact, attribute)), key=lambda i: first[getattr(facts[i], attribute)])
    for key, run in groupby(keyed, key=lambda i: getattr(facts[i], attribute)):
        yield key, [facts[i] for i in run]


def _check_chart_group(key: str, members: list[Fact]) -> list[Problem]:
    problems = []
    for fact in members:
        if not fact.figures:
            problems.append(_problem(fact, "chart", f"is in chart group {key!r} but has no figures; give it a figure or remove 'chart'"))
    figured = [f for f in members if f.figures]
    if not figured:
        return problems
    first = figured[0]
    unit = first.figures[0].unit
    if unit == "date":
        problems.append(_problem(first, "chart", f"chart group {key!r} holds dates; a bar chart needs amounts (percent, people, hospitals, ...)"))
        return problems
    for fact in figured:
        for j, fig in enumerate(fact.figures):
            if fig.unit != unit:
                problems.append(
                    _problem(
                        fact,
                        f"figures[{j}].unit",
                        f"is {fig.unit!r}, but chart group {key!r} is in {unit!r} (from fact {first.id!r}); one bar chart compares one unit",
                    )
                )
    bars = sum(len(f.figures) for f in figured)
    if bars > MAX_BARS:
        problems.append(_problem(first, "chart", f"chart group {key!r} has {bars} figures; at most {MAX_BARS} fit in one readable chart"))
    return problems


def _check_series(key: str, members: list[Fact]) -> list[Problem]:
    figures = [fig for fact in members for fig in fact.figures]
    first = members[0]
    unit = series_unit(figures)
    if unit is None:
        return [_problem(first, "series", f"series {key!r} has no figures with amounts; a dated series needs at least 2")]
    problems = []
    seen: dict[tuple[str, str], Fact] = {}
    for fact in members:
        for j, fig in enumerate(fact.figures):
            if fig.unit != unit:
                continue
            place = (series_line(fig), fig.as_of)
            if place in seen:
                on = f" on the line of base {place[0]!r}" if place[0] else ""
                problems.append(
                    _problem(
                        fact,
                        f"figures[{j}].as_of",
                        f"series {key!r} already has a {unit!r} figure as of {fig.as_of}{on} (fact {seen[place].id!r}); one value per date",
                    )
                )
            else:
                seen[place] = fact
    dates = {as_of for _line, as_of in seen}
    if len(dates) < 2:
        problems.append(
            _problem(
                first, "series", f"series {key!r} has {len(dates)} dated {unit!r} figure(s); a line over time needs at least 2 with different 'as_of' dates"
            )
        )
    return problems


def check_charts(facts: Sequence[Fact]) -> list[Problem]:
    """Every problem with the chart groups and dated series of these facts: groups first, then
    series, each in the order its first fact appears."""
    series: dict[str, Fact] = {}  # series key -> its first fact
    for fact in facts:
        if fact.series:
            series.setdefault(fact.series, fact)
    problems: list[Problem] = []
    for key, members in _groups(facts, "chart"):
        problems.extend(_check_chart_group(key, members))
        if key in series:
            problems.append(
                _problem(
                    members[0],
                    "chart",
                    f"{key!r} names both a chart group and a series (fact {series[key].id!r}); charts are asked for by this name, so use two names",
                )
            )
    for key, members in _groups(facts, "series"):
        problems.extend(_check_series(key, members))
    return problems
