"""Which charts exist and what each one shows, from the shipped knowledge files (no drawing)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.charts import BAR, LINE, NothingToChart, UnknownChart, available_charts, chart_data, chart_for_fact, find_chart
from bot.charts.spec import display_width, wrap
from bot.knowledge import KnowledgeBase


def test_available_charts_lists_groups_and_series(kb: KnowledgeBase) -> None:
    charts = {spec.key: spec for spec in available_charts(kb)}
    assert {key: spec.kind for key, spec in charts.items()} == {
        "hospital-use": BAR,
        "hospital-merits": BAR,
        "patient-merits": BAR,
        "usage-rate": LINE,
        "registrations": LINE,
    }
    assert charts["hospital-merits"].fact_ids == ("no-merit-for-patients", "duplicate-prescriptions", "no-merit-for-hospitals")
    assert charts["hospital-use"].topic == "hospital-survey"


def test_titles_fit_discord_autocomplete(kb: KnowledgeBase) -> None:
    # Discord choice names are 1 to 100 characters; the titles are what the autocomplete lists.
    for spec in available_charts(kb):
        for lang in ("en", "ja"):
            assert 1 <= len(spec.title(lang)) <= 100, spec.title(lang)
    titles = [spec.title_en for spec in available_charts(kb)]
    assert len(set(titles)) == len(titles)
    assert all(display_width(spec.title_ja) > len(spec.title_ja) for spec in available_charts(kb))  # written in Japanese


def test_chart_for_fact(kb: KnowledgeBase) -> None:
    assert chart_for_fact(kb, "no-merit-for-hospitals").key == "hospital-merits"  # type: ignore[union-attr]
    assert chart_for_fact(kb, "usage-rate").kind == LINE  # type: ignore[union-attr]
    assert chart_for_fact(kb, "system-launch") is None
    assert chart_for_fact(kb, "no-such-fact") is None


def test_find_chart_by_key_fact_and_topic(kb: KnowledgeBase) -> None:
    assert find_chart(kb, "hospital-use").key == "hospital-use"
    assert find_chart(kb, "hospitals-using-system").key == "hospital-use"
    assert find_chart(kb, "patient-survey").key == "patient-merits"  # the topic's only chart
    single = find_chart(kb, "survey-overview")  # a fact in no group: a chart of its own figures
    assert (single.key, single.kind, single.fact_ids) == ("survey-overview", BAR, ("survey-overview",))


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        (
            "no-such-thing",
            UnknownChart,
            "No chart, fact or topic named 'no-such-thing'. Charts: hospital-use, hospital-merits, patient-merits, registrations, usage-rate.",
        ),
        ("hospital-survey", UnknownChart, "Topic 'hospital-survey' has 2 charts: hospital-use, hospital-merits; name one of them."),
        ("eligibility-certificate", NothingToChart, "Fact 'eligibility-certificate' has no amounts to chart (only dates or years, or no figures)."),
        ("system-launch", NothingToChart, "Fact 'system-launch' has no amounts to chart (only dates or years, or no figures)."),
    ],
)
def test_find_chart_errors_are_one_line(kb: KnowledgeBase, name: str, error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        find_chart(kb, name)
    assert str(caught.value) == message


def test_hospital_use_data(kb: KnowledgeBase) -> None:
    data = chart_data(kb, find_chart(kb, "hospital-use"), "en")
    assert [(b.value, b.value_label) for b in data.bars] == [(29.6, "29.6%"), (68.2, "68.2%")]
    assert data.bars[1].label == "hospitals not using the system"
    assert data.heading == "The 2023 hospital survey"
    assert data.subtitle == ("Base: 892 hospitals that had installed the system · Period: July to September 2023",)
    assert data.axis_label == "Percent (%)"
    assert len(data.footer) == 1 and "Kyodo News" in data.footer[0] and "3 December 2023" in data.footer[0]


def test_patient_merits_bars_differ_by_base(kb: KnowledgeBase) -> None:
    data = chart_data(kb, find_chart(kb, "patient-merits"), "ja")
    assert [b.label for b in data.bars] == ["郵送調査に回答した患者", "インターネット調査に回答した患者"]
    assert data.subtitle == ("カードを使うメリットを感じないと答えた患者", "2023年12月3日時点")


def test_qualified_values_keep_their_qualifier(kb: KnowledgeBase) -> None:
    data = chart_data(kb, find_chart(kb, "hospital-merits"), "en")
    assert [b.value_label for b in data.bars] == ["51%", "31.8%", "over 42%"]
    # "hospitals that use the system" adds nothing beside the longer base that contains it
    assert data.subtitle == ("Base: hospitals that use the system (multiple-choice question) · Period: July to September 2023",)


def test_usage_rate_series_keeps_its_two_bases_apart(kb: KnowledgeBase) -> None:
    data = chart_data(kb, find_chart(kb, "usage-rate"), "en")
    old = [(p.when, p.value) for p in data.points if p.line == 0]
    new = [(p.when, p.value) for p in data.points if p.line == 1]
    # monthly figures from April 2023; the article's rounded "about 4%" of 3 December 2023, beside
    # the exact 4.33% and 4.29%, is left out (drawn, it would be a false dip)
    assert old[:4] == [(date(2023, 4, 1), 6.3), (date(2023, 10, 1), 4.49), (date(2023, 11, 1), 4.33), (date(2023, 12, 1), 4.29)]
    assert old[4:7] == [(date(2024, 1, 1), 4.6), (date(2024, 3, 1), 5.47), (date(2024, 4, 1), 6.56)]
    assert date(2023, 12, 3) not in [when for when, _value in old]
    assert old[-1] == (date(2025, 10, 1), 37.14) and len(old) == 17
    assert new == [(date(2025, 10, 1), 47.26)]  # the claims basis is a line of its own, not joined to the old one
    assert data.lines == (
        "Old basis: card checks as a share of online eligibility checks",
        "New basis (main figure from the December 2025 release): card users as a share of insurance claims",
    )
    assert data.spec.title_en == "Usage rate, over time" and data.spec.title_ja == "利用率の推移"
    assert data.points[0].value_label == "6.3%"
    assert data.footer[0] == "[1] Survey: Ministry of Health, Labour and Welfare; Reported by: Jiji Press (medical news)"
    assert len(data.source_ids) == len(data.footer) == 10  # every report numbered in the footer
    assert data.subtitle == ("April 2023 to October 2025",)  # the bases are in the legend, not the subtitle
    ja = chart_data(kb, find_chart(kb, "usage-rate"), "ja")
    assert ja.lines[0].startswith("旧基準：") and ja.lines[1].startswith("新基準")


def test_registrations_series_keeps_side_figure_in_footer(kb: KnowledgeBase) -> None:
    data = chart_data(kb, find_chart(kb, "registrations"), "en")
    assert data.unit == "people" and [p.value for p in data.points] == [70e6, 77.47e6, 86.55e6, 87.3e6]
    assert data.lines == ()  # one base: one line, no legend
    assert data.footer[-1].startswith("Also reported: 87.8% (share of My Number cardholders")


@pytest.mark.parametrize(
    ("text", "columns", "lines"),
    [
        ("hospitals not using the system", 12, ["hospitals", "not using", "the system"]),
        ("患者にとって特にメリットはない、または分からない", 12, ["患者にとって", "特にメリット", "はない、また", "は分からない"]),
        # 、 may not start a line: it stays on the line before, over the limit
        ("あいうえおか、きく", 12, ["あいうえおか、", "きく"]),
        ("対象：892病院", 8, ["対象：", "892病院"]),
    ],
)
def test_wrap(text: str, columns: int, lines: list[str]) -> None:
    assert wrap(text, columns) == lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("ab") == 2 and display_width("病院") == 4 and display_width("892病院") == 7
