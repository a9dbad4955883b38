"""The chart declarations on facts are checked like the rest of the knowledge files."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.knowledge.charts_check import check_charts, series_line, series_unit


def _facts_after(folder: Path, old: str, new: str, count: int = 1):
    path = folder / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    result = load_knowledge([folder], chart_checks=False)
    assert result.kb is not None, [str(p) for p in result.problems]
    # the loader itself reports exactly what check_charts finds
    assert [str(p) for p in load_knowledge([folder]).problems] == [str(p) for p in check_charts(result.kb.facts)]
    return result.kb.facts


def _messages(facts) -> list[str]:
    return [f"{p.path}: {p.message}" for p in check_charts(facts)]


def test_shipped_knowledge_has_valid_charts(kb: KnowledgeBase) -> None:
    assert check_charts(kb.facts) == []
    assert {f.chart for f in kb.facts if f.chart} == {"hospital-use", "hospital-merits", "patient-merits"}
    assert {f.series for f in kb.facts if f.series} == {"usage-rate", "registrations"}
    # the usage rate is counted on two bases: two lines, each with at most one value per date
    usage = kb.fact("usage-rate")
    assert usage is not None
    assert len({series_line(f) for f in usage.figures}) == 2


def test_chart_group_mixing_units(mini_dir: Path) -> None:
    # hospitals-using is in percent, launch-year in years: one bar chart cannot compare them.
    facts = _facts_after(mini_dir, "    source: test-source\n", "    source: test-source\n    chart: mixed\n", count=2)
    problems = check_charts(facts)
    assert [f"{p.path}: {p.message}" for p in problems] == [
        "launch-year.figures[0].unit: is 'year', but chart group 'mixed' is in 'percent' (from fact 'hospitals-using'); one bar chart compares one unit"
    ]
    assert problems[0].file.endswith("facts.yaml") and problems[0].line == 20  # the fact's own line


def test_chart_group_of_dates(mini_dir: Path) -> None:
    text = (mini_dir / "facts.yaml").read_text(encoding="utf-8")
    text = text.replace("      - value: 2016\n        unit: year", '      - value: "2016-01-01"\n        unit: date')
    text = text.replace("  - id: launch-year", "  - id: launch-year\n    chart: dates")
    (mini_dir / "facts.yaml").write_text(text, encoding="utf-8")
    result = load_knowledge([mini_dir], chart_checks=False)
    assert result.kb is not None, [str(p) for p in result.problems]
    assert _messages(result.kb.facts) == ["launch-year.chart: chart group 'dates' holds dates; a bar chart needs amounts (percent, people, hospitals, ...)"]
    assert load_knowledge([mini_dir]).kb is None


def test_chart_group_fact_without_figures(mini_dir: Path) -> None:
    text = (mini_dir / "facts.yaml").read_text(encoding="utf-8")
    figures = '    figures:\n      - value: 2016\n        unit: year\n        counts: {en: "year it started", ja: "開始年"}\n        as_of: "2023-12-03"\n'
    assert figures in text
    text = (
        text.replace(figures, "    figures: []\n")
        .replace("It started in 2016.", "It started long ago.")
        .replace("2016年に始まりました。", "昔に始まりました。")
    )
    (mini_dir / "facts.yaml").write_text(text, encoding="utf-8")
    facts = _facts_after(mini_dir, "  - id: launch-year\n", "  - id: launch-year\n    chart: empty\n")
    assert _messages(facts) == ["launch-year.chart: is in chart group 'empty' but has no figures; give it a figure or remove 'chart'"]


def test_series_needs_two_dates(mini_dir: Path) -> None:
    facts = _facts_after(mini_dir, "  - id: hospitals-using\n", "  - id: hospitals-using\n    series: share\n")
    assert _messages(facts) == [
        "hospitals-using.series: series 'share' has 1 dated 'percent' figure(s); a line over time needs at least 2 with different 'as_of' dates"
    ]


def test_series_with_two_dates_is_fine_and_same_date_is_not(mini_dir: Path) -> None:
    second = (
        '      - value: 35.0\n        unit: percent\n        counts: {en: "hospitals using it", ja: "利用している病院"}\n'
        '        base: {en: "892 hospitals", ja: "892病院"}\n'
        '        as_of: "2024-06"\n    source: test-source\n  - id: launch-year'
    )
    facts = _facts_after(mini_dir, "    source: test-source\n  - id: launch-year", second)
    facts = _facts_after(mini_dir, "  - id: hospitals-using\n", "  - id: hospitals-using\n    series: share\n")
    assert check_charts(facts) == []
    facts = _facts_after(mini_dir, 'as_of: "2024-06"', 'as_of: "2023-12-03"')
    assert _messages(facts) == [
        "hospitals-using.figures[1].as_of: series 'share' already has a 'percent' figure as of 2023-12-03 on the line of base '892 hospitals' (fact 'hospitals-using'); one value per date",
        "hospitals-using.series: series 'share' has 1 dated 'percent' figure(s); a line over time needs at least 2 with different 'as_of' dates",
    ]


def test_same_date_on_another_base_is_another_line(mini_dir: Path) -> None:
    # a rate counted two ways (the usage rate before and after its change of basis) has two
    # values for one month, one on each base; neither line repeats a date
    second = (
        '      - value: 35.0\n        unit: percent\n        counts: {en: "hospitals using it", ja: "利用している病院"}\n'
        '        base: {en: "all hospitals", ja: "全病院"}\n'
        '        as_of: "2023-12-03"\n    source: test-source\n  - id: launch-year'
    )
    facts = _facts_after(mini_dir, "    source: test-source\n  - id: launch-year", second)
    facts = _facts_after(mini_dir, "  - id: hospitals-using\n", "  - id: hospitals-using\n    series: share\n")
    # two bases on one date: no repeated date, but still only one date to draw a line over
    assert _messages(facts) == [
        "hospitals-using.series: series 'share' has 1 dated 'percent' figure(s); a line over time needs at least 2 with different 'as_of' dates"
    ]
    facts = _facts_after(mini_dir, 'ja: "全病院"}\n        as_of: "2023-12-03"', 'ja: "全病院"}\n        as_of: "2024-06"')
    assert check_charts(facts) == []


def test_same_name_for_group_and_series(mini_dir: Path) -> None:
    facts = _facts_after(mini_dir, "  - id: hospitals-using\n", "  - id: hospitals-using\n    chart: twin\n")
    facts = _facts_after(mini_dir, "  - id: launch-year\n", "  - id: launch-year\n    series: twin\n")
    messages = _messages(facts)
    assert (
        "hospitals-using.chart: 'twin' names both a chart group and a series (fact 'launch-year'); charts are asked for by this name, so use two names"
        in messages
    )


def test_series_unit_follows_the_majority(kb: KnowledgeBase) -> None:
    registrations = kb.fact("registrations")
    assert registrations is not None
    units = [f.unit for f in registrations.figures]
    assert units.count("percent") == 2 and units.count("people") > 2
    assert series_unit(registrations.figures) == "people"
