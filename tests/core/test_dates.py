"""Questions about a month or a year: the fact with a figure for it, or a decline saying so."""

from __future__ import annotations

import pytest

from bot.answer.reply import Answerer
from bot.knowledge.model import KnowledgeBase
from bot.search.dates import asked_dates, earlier, fact_dates, holds, shown


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("2024年10月の利用率おしえて", ("2024-10",)),
        ("２０２５年９月時点の登録数は？", ("2025-09",)),
        ("usage rate oct 2025 plz", ("2025-10",)),
        ("usage rate octber 2025 plz", ("2025-10",)),  # a mistyped month before a year
        ("usagerate nov2024", ("2024-11",)),  # a month typed against its year
        ("oct.2025 please", ("2025-10",)),
        ("septmber 2024?", ("2024-09",)),
        ("since 2025, in early 2025", ("2025",)),  # words before a year that are not months
        ("What was the usage rate in July 2025?", ("2025-07",)),
        ("on 3 October 2025 and in 2027", ("2025-10", "2027")),
        ("registrations 2025/09", ("2025-09",)),
        ("りようりつ、2025ねん4がつは？", ("2025-04",)),  # a year and a month in kana
        ("2024ねんの とうろくすう", ("2024",)),
        ("利用率、2023年の十月は何パーセント？", ("2023-10",)),  # a month in kanji numerals, after 年の
        ("2025年十二月の登録数", ("2025-12",)),
        ("the usage rate in spring 2025, say April?", ("2025-04",)),  # a month with the one year the text names
        ("in 2025, what was it", ("2025",)),  # a comma after a year
        ("一月あたりの件数、2024年", ("2024",)),  # "per month" is no month
        ("令和6年11月時点の利用率", ("2024-11",)),  # a year of the Japanese era
        ("令和元年", ("2019",)),
        ("a mid-2025 usage number, June would be perfect", ("2025-06",)),  # a year after a hyphen
        ("he swears it was like 2000", ()),  # not a year this knowledge is about: a number
        ("what is 29.6%?", ()),
        ("87.4% of 2,025 people", ()),  # not years: a share and a count
        ("and back when that kyodo article came out?", ("2023-12",)),  # the news article's month
        ("usage rate at the time of the article?", ("2023-12",)),
        ("記事が出た頃の登録者数", ("2023-12",)),
        ("ok and back when that hospital survey came out in 2023?", ("2023-12", "2023")),
    ],
)
def test_asked_dates(text: str, dates: tuple[str, ...]) -> None:
    assert asked_dates(text) == dates


def test_a_fact_holds_the_months_and_years_of_its_figures(kb: KnowledgeBase) -> None:
    usage = fact_dates(next(f for f in kb.facts if f.id == "usage-rate"))
    assert holds(usage, ("2024-10",)) and holds(usage, ("2025",))
    assert not holds(usage, ("2025-07",)) and not holds(usage, ("2027",))
    assert shown("2025-07", "en") == "July 2025" and shown("2025-07", "ja") == "2025年7月" and shown("2027", "en") == "2027"
    # a day something was usable up to covers the months from its as_of to it
    grace = fact_dates(next(f for f in kb.facts if f.id == "expired-certificate-grace-period"))
    assert holds(grace, ("2026-02",)) and holds(grace, ("2025-12",)) and not holds(grace, ("2026-04",))


def test_a_fact_with_every_date_asked_ranks_above_one_with_some(answerer: Answerer) -> None:
    # the basis-change fact has October 2025 only; the usage rate has both months
    assert answerer.ask("2024年10月と2025年10月の利用率をそれぞれ教えて").fact_id == "usage-rate"


def test_a_month_within_a_period_something_was_usable_is_answered(answerer: Answerer) -> None:
    question = "my old 保険証 expired in Nov 2025, could I have used it at a clinic in February 2026?"
    assert answerer.ask(question).fact_id == "expired-certificate-grace-period"


def test_the_fact_with_a_figure_for_the_asked_month_is_preferred(answerer: Answerer) -> None:
    reply = answerer.ask("2024年10月の利用率おしえて")
    assert (reply.kind, reply.fact_id) == ("answer", "usage-rate")


@pytest.mark.parametrize(
    ("question", "when"),
    [
        ("What was the usage rate in July 2025?", "July 2025"),
        ("マイナ保険証の利用率、2025年12月はどのくらい？", "2025年12月"),
        ("What will the usage rate be by the end of 2027?", "2027"),
        # a share asked for a month in which a fact only has a date (the day a change was announced)
        ("What was the usage rate in December 2025?", "December 2025"),
        # the monthly figures held start in October 2023: none for the month before
        ("usage rate sept 2023", "September 2023"),
        # a month in kanji numerals: no figure for August 2023 either
        ("マイナ保険証の利用率、2023年の八月は何パーセントだった？", "2023年8月"),
    ],
)
def test_a_month_or_year_without_a_figure_is_declined_saying_so(answerer: Answerer, question: str, when: str) -> None:
    reply = answerer.ask(question)
    assert (reply.kind, reply.reason) == ("decline", "no_figure_for_date")
    assert when in reply.sentence


def test_a_question_about_a_change_in_a_month_is_answered_by_its_date(answerer: Answerer) -> None:
    reply = answerer.ask("how did the ministry change the way the usage rate is counted in December 2025?")
    assert (reply.kind, reply.fact_id) == ("answer", "usage-rate-basis-change")


def test_a_year_in_a_statement_is_context_not_the_question(answerer: Answerer) -> None:
    reply = answerer.ask("I moved to Japan in 2022 as an engineer and the My Number stuff confuses me. When did the online eligibility system start?")
    assert reply.reason != "no_figure_for_date"


def test_a_fact_with_either_of_two_asked_years_answers(answerer: Answerer) -> None:
    reply = answerer.ask("was the plan in 2023 to abolish the paper insurance cards in 2024 or 2025?")
    assert reply.reason != "no_figure_for_date"


def test_a_step_back_or_on_from_a_date() -> None:
    assert earlier("and the month before?", "2025-10") == "2025-09"
    assert earlier("前の月は？", "2025-01") == "2024-12"
    assert earlier("and a year earlier?", "2025-10") == "2024-10"
    assert earlier("前年は？", "2025") == "2024"
    # and on from it
    assert earlier("ok and a year later?", "2023") == "2024"
    assert earlier("and a month later?", "2025-12") == "2026-01"
    assert earlier("翌月は？", "2025-09") == "2025-10"
    assert earlier("and the month after?", "2025") is None  # no month to count on from
    assert earlier("the month before?", "2025") is None  # a month before a whole year: not a date
    assert earlier("and last month?", "2025-10") is None  # before today, not before that date


def test_a_date_in_a_when_question_is_a_guess_not_a_month_asked_for(answerer: Answerer) -> None:
    # "when was it? my coworker swears it was 2022": 2022 is the answer guessed, so no "no figure for 2022"
    result = answerer.search("when was that survey actually carried out? my coworker swears it was 2022")
    assert result.dates == ("2022",) and result.undated == ()
    # a count asked for a year still needs a figure of that year
    assert answerer.search("how many people had registered in 2022?").undated == ("2022",)
    # a "why" question names the time of what it asks the reason for
    reply = answerer.ask("why did everyone get so mad about the card in 2023? I only moved here in 2024")
    assert reply.fact_id == "public-concerns"


def test_the_monthly_usage_rates_around_the_article(answerer: Answerer) -> None:
    # Kyodo's monthly reports: 4.49% in October 2023, 4.33% in November; the month asked comes first
    reply = answerer.ask("マイナ保険証の利用率、2023年の十月は何パーセントだった？")
    assert reply.fact_id == "usage-rate" and reply.figures[0].value == "4.49%"
    reply = answerer.ask("usage rate nov 2023")
    assert reply.fact_id == "usage-rate" and reply.figures[0].value == "4.33%"
    # the article's "about 4%" keeps its label; the earlier monthly figure is not "the article's"
    labels = {line.value: line.label for line in answerer.ask("what's the usage rate?").figures}
    assert labels.get("about 4%") == "at the time of the 2023 survey report" and "4.49%" not in labels
