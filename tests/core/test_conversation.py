"""Follow-ups and two-part questions in the core (bot/answer/conversation.py), with the
shipped knowledge base and no mocks; the command line's conversations (ask --json, chat)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answer.conversation import Conversations, Turn
from bot.answer.reply import Answerer, newest_figure_date, render_text
from bot.answer.two_part import answer_alone, has_follow_up_cue

ROOT = Path(__file__).resolve().parents[2]
USAGE_Q = "what is the usage rate of the card these days?"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fragment_is_read_against_the_previous_question(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", USAGE_Q).fact_ids == ("usage-rate",)
    reply = talk.ask(answerer, "a", "and 2024?")
    assert reply.fact_ids == ("usage-rate",) and reply.question == "and 2024?"
    values = [line.value for line in reply.figures]
    assert "18.52%" in values and "15.67%" in values  # the 2024 figures, asked for by the fragment
    # alone, the same fragment is not answered
    assert not answerer.ask("and 2024?").answered


def test_a_fragment_naming_another_subject_is_asked_for_the_previous_date(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "j", "2024年10月の登録者数は？").fact_ids == ("registrations",)
    rate = talk.ask(answerer, "j", "利用率は？")
    assert rate.fact_ids == ("usage-rate",) and "15.67%" in [line.value for line in rate.figures]  # October 2024's


def test_a_short_question_left_unanswered_keeps_the_previous_subject(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "how many people have registered the card as their health insurance?").fact_ids == ("registrations",)
    assert not talk.ask(answerer, "a", "how many in Osaka?").answered  # no regional figures
    when = talk.ask(answerer, "a", "when was that?")
    assert (when.fact_ids, when.reason) == (("registrations",), "follow_up_dates")
    # so does one pointing back at the answer that is declined ("that"): the next follow-up is about registrations
    assert not talk.ask(answerer, "a", "how many is that as a share of everyone in japan?").answered
    source = talk.ask(answerer, "a", "ソースある？")
    assert (source.fact_ids, source.reason) == (("registrations",), "follow_up_sources")


def test_a_fragment_asking_who_decided_names_its_own_fact(answerer: Answerer) -> None:
    for first, then in (
        ("when did they stop issuing new health insurance cards?", "who decided that?"),
        ("保険証の新規発行はいつ終わった？", "それって誰が決めたの？"),
        # "when was that decided" asks about the decision, not for the dates of the answer given
        ("when did they stop issuing new health insurance cards?", "when was that decided?"),
    ):
        talk = Conversations()
        assert talk.ask(answerer, "a", first).fact_ids == ("issuance-stopped",), first
        assert talk.ask(answerer, "a", then).fact_ids == ("issuance-end-ordinance",), then


def test_the_month_or_year_before_is_counted_back_from_the_previous_date(answerer: Answerer) -> None:
    ja = Conversations()
    assert ja.ask(answerer, "j", "2025年10月の利用率は？").answered
    before = ja.ask(answerer, "j", "前の月は？")
    assert before.fact_ids == ("usage-rate",) and "35.62%" in [line.value for line in before.figures]  # September 2025
    talk = Conversations()
    assert talk.ask(answerer, "a", "what was the usage rate in October 2024?").fact_ids == ("usage-rate",)
    earlier = talk.ask(answerer, "a", "and the month before?")
    assert (earlier.kind, earlier.reason) == ("decline", "no_figure_for_date") and "September 2024" in earlier.sentence
    latest = Conversations()
    assert latest.ask(answerer, "b", "how many people had registered the card as insurance in October 2025?").fact_ids == ("registrations",)
    year = latest.ask(answerer, "b", "and a year earlier?")
    assert year.fact_ids == ("registrations",) and "77.47 million people" in [line.value for line in year.figures]


def test_a_month_after_the_latest_figures_is_that_month_of_their_year(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "m", "利用率、最新いくつ？").fact_ids == ("usage-rate",)
    november = talk.ask(answerer, "m", "11月は？")  # November 2025: no figure yet
    assert (november.kind, november.reason) == ("decline", "no_figure_for_date")
    assert "2025年11月" in november.sentence


def test_a_date_alone_is_asked_of_the_previous_question(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "usage rate june 2025?").fact_ids == ("usage-rate-2025-monthly",)
    # a month without a year takes the previous question's; no fact has July 2025: declined saying so
    july = talk.ask(answerer, "a", "july?")
    assert (july.kind, july.reason) == ("decline", "no_figure_for_date") and "July 2025" in july.sentence
    # September 2025 is not in the monthly series but the usage-rate fact has it
    september = talk.ask(answerer, "a", "september?")
    assert september.fact_ids == ("usage-rate",) and "35.62%" in [line.value for line in september.figures]
    ja = Conversations()
    assert ja.ask(answerer, "j", "マイナ保険証の利用率って2023年はどのくらいだった？").fact_ids == ("usage-rate",)
    assert ja.ask(answerer, "j", "2024年は？").fact_ids == ("usage-rate",)
    other = Conversations()
    assert other.ask(answerer, "b", "registrations oct 2024?").fact_ids == ("registrations",)
    assert other.ask(answerer, "b", "and sept 2025?").fact_ids == ("registrations",)
    assert other.ask(answerer, "b", "and back in 2023?").fact_ids == ("registrations",)  # "back in" is not a topic
    # 「4月からは？」 after December 2025 asks about April 2026, after the grace period's end
    grace = Conversations()
    assert grace.ask(answerer, "g", "my shaho card expired dec 1 2025, can i still use it at the clinic?").fact_ids == ("expired-certificate-grace-period",)
    april = grace.ask(answerer, "g", "4月からは？")
    assert (april.kind, april.reason) == ("decline", "no_figure_for_date") and "2026年4月" in april.sentence
    # with no month in the question before, the month after the last date of its answer
    until = Conversations()
    assert until.ask(answerer, "u", "今持ってる紙の保険証っていつまで使えるんやっけ？").fact_ids == ("old-certificate-expiry",)
    after = until.ask(answerer, "u", "ほな４月からは？")
    assert (after.kind, after.reason) == ("decline", "no_figure_for_date") and "2026年4月" in after.sentence


def test_requests_about_the_previous_answer(answerer: Answerer) -> None:
    talk = Conversations()
    talk.ask(answerer, "a", "How many people have registered the card as their insurance card?")
    sources = talk.ask(answerer, "a", "source?")
    assert sources.fact_ids == ("registrations",) and sources.focus == "sources"
    assert render_text(sources).splitlines()[0] == "Sources of that answer:"
    japanese = talk.ask(answerer, "a", "in Japanese please")
    assert japanese.lang == "ja" and japanese.fact_ids == ("registrations",) and "万人" in japanese.headline
    dates = talk.ask(answerer, "a", "それいつの数字？")
    assert dates.lang == "ja" and dates.focus == "dates" and dates.headline.startswith("2025年10月時点")
    rest = talk.ask(answerer, "a", "how many don't?")
    assert rest.fact_ids == ("registrations",)
    link = talk.ask(answerer, "a", "and a link to the original article?")
    assert link.fact_ids == ("registrations",) and link.focus == "sources"
    survey = Conversations()
    survey.ask(answerer, "s", "what share of pharmacies make use of the shared medication data?")
    for question in ("which survey was that from?", "どの調査？"):
        reply = survey.ask(answerer, "s", question)
        assert (reply.fact_ids, reply.focus) == (("pharmacies-using-shared-data",), "sources"), question


def test_a_fragment_naming_another_subject_gets_that_subject(answerer: Answerer) -> None:
    talk = Conversations()
    talk.ask(answerer, "a", "How many digits does the My Number have?")
    assert talk.ask(answerer, "a", "and when did the system start?").fact_ids == ("system-launch",)
    talk.ask(answerer, "b", "usage rate of the card?")
    assert talk.ask(answerer, "b", "how many registered?").fact_ids == ("registrations",)
    # a question naming nobody, then "what about hospitals?": the fact with the hospitals' figure
    talk.ask(answerer, "c", "how often do people use the card at the front desk, compared with all eligibility checks?")
    assert talk.ask(answerer, "c", "what about hospitals?").fact_ids == ("usage-rate-by-facility",)


def test_a_fragment_naming_who_asks_the_previous_question_about_them(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "how many hospitals use the system to view patient data?").fact_ids == ("hospitals-using-system",)
    pharmacies = talk.ask(answerer, "a", "what about pharmacies?")
    assert pharmacies.fact_ids == ("pharmacies-using-shared-data",) and pharmacies.reason == "follow_up_subject"
    # the previous answer already has a figure for them: it stays the answer
    by_kind = Conversations()
    assert by_kind.ask(answerer, "b", "usage rate at hospitals in october 2025?").fact_ids == ("usage-rate-by-facility",)
    assert by_kind.ask(answerer, "b", "and pharmacies?").fact_ids == ("usage-rate-by-facility",)
    # typed as people type them: "n clincs", "pharmacys?"
    typed = Conversations()
    assert typed.ask(answerer, "t", "usage rate in october 2025, hosptials only?").fact_ids == ("usage-rate-by-facility",)
    assert typed.ask(answerer, "t", "n clincs").fact_ids == ("usage-rate-by-facility",)
    assert typed.ask(answerer, "t", "pharmacys?").fact_ids == ("usage-rate-by-facility",)
    # the previous question named nobody: the fact that fits both and gives their figure
    ja = Conversations()
    assert ja.ask(answerer, "c", "マイナ保険証の利用率は？").fact_ids == ("usage-rate",)
    assert ja.ask(answerer, "c", "じゃあ薬局は？").fact_ids == ("usage-rate-by-facility",)
    # alone, neither fragment is answered
    assert not answerer.ask("what about pharmacies?").answered and not answerer.ask("and pharmacies?").answered
    # asked of them, the question gets the previous answer again, which has no figure for them: declined
    clinics = Conversations()
    clinics.ask(answerer, "d", "what did hospitals say the benefit for patients was?")
    assert clinics.ask(answerer, "d", "and for the hospitals themselves?").fact_ids == ("no-merit-for-hospitals",)
    assert not clinics.ask(answerer, "d", "what about clinics?").answered


def test_a_fragment_is_not_answered_because_the_previous_question_was_exact(answerer: Answerer) -> None:
    """Read with the previous question, a fragment must earn its answer: the previous question being
    one of a fact's phrasings says nothing about the fragment."""
    talk = Conversations()
    assert talk.ask(answerer, "a", "What is the usage rate of the My Number health insurance card?").fact_ids == ("usage-rate",)
    assert not talk.ask(answerer, "a", "is the card popular with dentists").answered


def test_a_full_question_is_answered_on_its_own(answerer: Answerer) -> None:
    talk = Conversations()
    talk.ask(answerer, "a", USAGE_Q)
    alone = answerer.ask("When did Japan stop issuing new health insurance cards?")
    followed = talk.ask(answerer, "a", "When did Japan stop issuing new health insurance cards?")
    assert followed.fact_ids == (alone.fact_id,) == ("issuance-stopped",)


def test_no_context_after_the_window_or_in_another_conversation(answerer: Answerer) -> None:
    clock = Clock()
    talk = Conversations(window=300, clock=clock)
    talk.ask(answerer, ("channel", "alice"), USAGE_Q)
    assert not talk.ask(answerer, ("channel", "bob"), "source?").answered  # another person
    clock.now += 301
    assert not talk.ask(answerer, ("channel", "alice"), "source?").answered  # too late
    assert talk.last(("channel", "alice")) is None


def test_memory_is_bounded_and_expires() -> None:
    clock = Clock()
    talk = Conversations(window=60, limit=3, clock=clock)
    for n in range(5):
        talk.remember(n, Turn(f"question {n}", "en", (), clock.now))
    assert len(talk) == 3 and talk.last(0) is None and talk.last(4) is not None  # the oldest went first
    clock.now += 61
    assert talk.last("someone else") is None and len(talk) == 0  # no question outlives the window, asked about or not
    talk.remember("new", Turn("q", "en", (), clock.now))
    assert len(talk) == 1
    talk.forget("new")
    assert len(talk) == 0


def test_two_part_questions_get_both_facts(answerer: Answerer) -> None:
    reply = answer_alone(answerer, "usage rate and registrations please")
    assert set(reply.fact_ids) == {"usage-rate", "registrations"} and reply.fact_id == reply.fact_ids[0]
    text = render_text(reply)
    assert "47.26%" in text and "87.3 million people" in text  # each fact with its figures
    assert text.count("japantimes.co.jp") == 2  # and its sources
    both = answer_alone(answerer, "マイナンバーは何桁？あと制度はいつ始まった？")
    assert set(both.fact_ids) == {"my-number-digits", "system-launch"}


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        # "at that time" points at a time, not back at the first part's subject
        ("how many people had registered by the end of 2023, and what was the usage rate at that time?", {"usage-rate", "registrations"}),
        # a second question may start "until when"
        ("when did the my number system start and until when can the old insurance cards be used?", {"system-launch", "old-certificate-expiry"}),
        # それぞれ asks for each: a noun phrase with の is still a subject, and それぞれ does not refer back
        ("マイナ保険証の登録者数と、マイナンバーカードの保有者数をそれぞれ知りたい", {"registrations", "cardholders"}),
        # "(latest)" says which figure, not more of the subject
        ("pharmacies using the shared data (latest) + pharmacy usage rate for Oct 2025?", {"pharmacies-using-shared-data", "usage-rate-by-facility"}),
        # a list, one question a line
        ("1) usage rate latest\n2) how many registered?", {"usage-rate", "registrations"}),
        # the two subjects in quotes
        ("「利用率」と「登録者数」、2024年10月時点でそれぞれいくつ？", {"usage-rate", "registrations"}),
        # "it" in the second part is the card, not the first part's figure
        ("how many people hold a My Number card, and how many have registered it as their insurance card?", {"cardholders", "registrations"}),
        # a long "what share of ..." names a subject of its own
        (
            "what share of hospitals use the system to view patient data, and what share of pharmacies use the shared data?",
            {"hospitals-using-system", "pharmacies-using-shared-data"},
        ),
        # と followed by a comma after a figure's noun lists two, without 両方
        ("マイナンバーカードの保有者数と、保険証としての登録数を教えて", {"cardholders", "registrations"}),
        # a word pointing back does not make the second part the first part's question
        ("how many people hold the card, and what share of them registered it as insurance?", {"cardholders", "registrations"}),
        # the second part counts the first part's people ("what % said" = "what % of hospitals said")
        (
            "what % of hospitals use the system, and what % said patients get no merit from it?",
            {"hospitals-using-system", "no-merit-for-patients"},
        ),
        # the first part's question asked again for someone else ("... and what share for themselves?")
        (
            "what share of hospitals saw no benefit for patients, and what share for the hospitals themselves?",
            {"no-merit-for-patients", "no-merit-for-hospitals"},
        ),
        # a bare second part is about what the first part asks about (the certificate's validity)
        ("しかくかくにんしょって何？あと有効期限は？", {"eligibility-certificate", "issuance-end-ordinance"}),
        # a subject with its month is still a bare subject; "that same month" is the first part's month
        ("the number of registrations in September 2025, and the usage rate that same month?", {"registrations", "usage-rate"}),
        # "what % of those" counts the first part's hospitals
        ("what % of hospitals use the system and what % of those see no merit for patients", {"hospitals-using-system", "no-merit-for-patients"}),
        # と followed by a comma after a date's noun (日) lists two as well
        ("新規発行停止日と、既存の保険証が使える最終日を教えて", {"issuance-stopped", "old-certificate-expiry"}),
        # a bare "for X?" asks the first part's question again for X
        ("what did hospitals say about merit for patients, and for themselves?", {"no-merit-for-patients", "no-merit-for-hospitals"}),
        # a topic named first, then what is asked of it
        ("eligibility certificate: who gets one and how long is it valid?", {"eligibility-certificate", "issuance-end-ordinance"}),
        # a second Japanese sentence that asks with 教えて is a question of its own; "the mail respondents" are who answered by mail
        ("2025年10月の利用率は何％？あと同じころの登録件数も教えて", {"usage-rate-basis-change", "registrations"}),
        # と between two figures' nouns lists them; a question in the te-form is followed by another
        ("2025年9月の利用率と登録件数は？", {"usage-rate", "registrations"}),
        ("マイナンバー制度はいつ始まって、番号は何桁？", {"system-launch", "my-number-digits"}),
        # with 両方, a と between two nouns is the list asked for, not the comma after it (nor the や of やつ)
        ("マイナ保険証の登録件数と利用率、最新のやつ両方教えて", {"registrations", "usage-rate"}),
        # いくつ asks, and so does a side ending 「…で？」
        ("利用率は2024年11月でいくつ？あと登録件数は2024年10月で？", {"usage-rate", "registrations"}),
        (
            "what % of the mail respondents saw no merit, and what % of hospitals said it helped with duplicate meds?",
            {"patients-no-merit", "duplicate-prescriptions"},
        ),
        # 「…は何桁で、…は何人？」: a first question asked with で and a comma, then a second
        ("マイナンバーは何桁で、カードを持っている人は何人？", {"my-number-digits", "cardholders"}),
        # a bare subject, "and", then a question of its own
        ("the number of digits and when did the system start?", {"my-number-digits", "system-launch"}),
        # the と of にとって joins no list: the two subjects are either side of 「と、」
        ("病院にとってのメリットなしと、患者にとってのメリットなし、それぞれ何％？", {"no-merit-for-hospitals", "no-merit-for-patients"}),
        # a figure's noun listed with 「と、」, then a question of its own
        (
            "薬局の共有データ活用率と、カードを使っていない患者でメリットが分からないと答えた割合を教えてください",
            {"pharmacies-using-shared-data", "non-users-unaware-of-merit"},
        ),
        # two figures' nouns listed with 「と、」, however long
        (
            "2023年の病院調査で、患者にメリットないって答えた割合と、病院自身にメリットないって答えた割合は？",
            {"no-merit-for-patients", "no-merit-for-hospitals"},
        ),
        # 「…何％が見てないの？」 asks for the rest of the first part's figure, which the same fact gives
        ("病院の何％がシステムで患者情報見てて、何％が見てないの？", {"hospitals-using-system"}),
        # a second part's "one" is what the first part asks about ...
        ("What's the max validity of the eligibility certificate and who gets one?", {"issuance-end-ordinance", "eligibility-certificate"}),
        ("how long are eligibility certificates valid and who gets them?", {"issuance-end-ordinance", "eligibility-certificate"}),
        # ... which, when the first fact answers it too, is one question (not that fact and the runner-up)
        ("When was the health ministry survey done and how many hospitals were in it", {"survey-overview"}),
        ("what's an eligibility certificate and who gets one?", {"eligibility-certificate"}),
        # one figure for each of a list of places (病院・診療所・薬局) is one question, not two
        ("2025年10月の利用率、病院・診療所・薬局でそれぞれ何％？", {"usage-rate-by-facility"}),
    ],
)
def test_two_part_questions_in_other_shapes(answerer: Answerer, question: str, facts: set[str]) -> None:
    assert set(answer_alone(answerer, question).fact_ids) == facts


def test_a_second_part_at_the_first_parts_month_is_asked_for_that_month(answerer: Answerer) -> None:
    reply = answer_alone(answerer, "what was the usage rate in October 2024, and how many registrations were there that month?")
    assert reply.fact_ids == ("usage-rate", "registrations")
    text = render_text(reply)
    assert "15.67%" in text and "77.47 million people" in text  # both parts show October 2024's figures
    both = answer_alone(answerer, "2024年10月の利用率と、同じ月の登録数を教えて")
    assert both.fact_ids == ("usage-rate", "registrations")


def test_a_second_part_about_the_first_parts_subject_does_not_split(answerer: Answerer) -> None:
    for question in (
        "what % of hospitals use the system and what % don't?",
        "How many wrong links overall in the data check, and how many for health insurance?",
        "how many mismatched records were found overall, and how many were health insurance?",
    ):
        assert len(answer_alone(answerer, question).fact_ids) <= 1, question
    both = answer_alone(answerer, "登録者数と利用率、両方おしえてください")
    assert both.fact_ids == ("registrations", "usage-rate")  # a bare 利用率 leads its family by a little: enough beside another part


def test_one_question_with_and_stays_one_question(answerer: Answerer) -> None:
    for question in (
        "What is the usage rate of My Number health insurance cards at hospitals and clinics?",
        "病院と診療所と薬局の利用率は？",
        # それぞれ asks for each of the list just before it (mail and online), not for the phrase before 、
        "2025年10月の利用率、病院と診療所それぞれどれくらい？",
        "My grandma refuses to get the card, she says she saw on TV that data leaked. Is that true?",
        # a clause saying when, then the question; the comma of a number
        "When people who'd used the card filled out the paper questionnaire, how many felt it gave them nothing?",
        "is 1,250 the number of hospitals in the survey?",
    ):
        reply = answer_alone(answerer, question)
        assert len(reply.fact_ids) <= 1, question
        assert (reply.kind, reply.fact_id) == (answerer.ask(question).kind, answerer.ask(question).fact_id)


def test_latest_question_leads_with_the_date_and_each_basis_is_labelled(answerer: Answerer) -> None:
    reply = answerer.ask("what is the usage rate now?")
    assert reply.headline == "As of October 2025: 47.26% / 37.14%"
    assert render_text(reply).splitlines()[0] == reply.headline
    labels = [line.label for line in reply.figures]
    assert labels.count("latest") == 0 and "latest, new basis" in labels and "latest, old basis" in labels
    assert not answerer.ask("What is the usage rate of the My Number health insurance card?").headline.startswith("As of")


def test_newest_figure_date(answerer: Answerer) -> None:
    newest = newest_figure_date(answerer.kb)
    assert newest == max((fig.as_of for fact in answerer.kb.facts for fig in fact.figures), key=lambda d: [int(p) for p in d.split("-")])


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120, encoding="utf-8")


def test_ask_json_reads_conversations_one_per_line() -> None:
    lines = [
        {"question": USAGE_Q, "conversation": "a"},
        {"question": "and 2024?", "conversation": "b"},  # another conversation: no context
        {"question": "and 2024?", "conversation": "a"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n{not json\nusage rate and registrations please\n"
    proc = _run("ask", "--json", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["fact_ids"] == ["usage-rate"]
    assert not out[1]["answered"] and out[1]["fact_ids"] == []
    assert out[2]["fact_ids"] == ["usage-rate"] and "18.52%" in out[2]["text"]
    assert out[3] == {"error": out[3]["error"], "line": 4} and "line 4" in proc.stderr and "Traceback" not in proc.stderr
    assert set(out[4]["fact_ids"]) == {"usage-rate", "registrations"} and out[4]["fact_id"] == out[4]["fact_ids"][0]


def test_chat_is_one_conversation_and_topics_give_the_newest_figure() -> None:
    proc = _run("chat", stdin="how many digits does my number have\nsource?\n")
    assert proc.returncode == 0
    assert "Sources of that answer:" in proc.stdout
    assert _run("topics").stdout.splitlines()[0].startswith("Newest figure in the knowledge base: ")
    assert _run("sources", "--lang", "ja").stdout.splitlines()[0].startswith("知識ベースで最も新しい数字：")


def test_after_the_last_date_of_the_previous_answer(answerer: Answerer) -> None:
    # "and after that?": a fact dated after the previous answer's last date, else a decline naming the month after it
    talk = Conversations()
    talk.ask(answerer, "a", "until when can I use my old insurance card?")
    assert talk.ask(answerer, "a", "and after that?").fact_ids == ("expired-certificate-grace-period",)
    talk.ask(answerer, "b", "can I still use an expired insurance card at the clinic?")
    after = talk.ask(answerer, "b", "and after that?")
    assert (after.kind, after.reason) == ("decline", "no_figure_for_date") and "April 2026" in after.sentence
    talk.ask(answerer, "c", "75歳以上の人には資格確認書が届くの？")
    assert talk.ask(answerer, "c", "それ以降は？").reason == "no_figure_for_date"


def test_a_part_we_have_no_figure_for_is_declined_and_the_other_answered(answerer: Answerer) -> None:
    reply = answer_alone(answerer, "since when can people cancel the insurance registration, and roughly how many have cancelled so far?")
    assert (reply.kind, reply.fact_ids, reply.reason) == ("answer", ("registration-cancellation",), "partly_declined")
    assert "28 October 2024" in render_text(reply) and "no sourced figure" in reply.sentence
    ja = answer_alone(answerer, "いつから登録を解除できるの？あと何人くらい解除したの？")
    assert ja.fact_ids == ("registration-cancellation",) and "出典のある数字はありません" in ja.sentence
    # a question wholly about what we have no figure for stays a decline
    assert answer_alone(answerer, "how many people have cancelled their registration?").kind == "decline"
    # a part asking a count of a fact that counts nothing ("how many people aged 75+ got one") is declined as such
    both = answer_alone(answerer, "how long is the eligibility certificate valid, and how many people aged 75+ got one?")
    assert (both.fact_ids, both.reason) == (("issuance-end-ordinance",), "partly_declined")
    assert both.sentence.endswith("For the other part of your question I have no sourced figure.")
    # a bare subject joined by "+" (or "and") is a part of its own; joined by a comma it is context
    plus = answer_alone(answerer, "usage rate nov 2024 + how many people cancelled their registration?")
    assert (plus.fact_ids, plus.reason) == (("usage-rate",), "partly_declined")
    links = answer_alone(answerer, "How many wrong links overall and how many in health insurance?")
    assert (links.fact_ids, links.reason) == (("wrong-links-total-check",), "partly_declined")
    listed = answer_alone(answerer, "マイナ保険証の登録者数と、カード作るのにかかる費用を教えて")
    assert (listed.fact_ids, listed.reason) == (("registrations",), "partly_declined")
    for question, fact in (
        ("資格確認書の有効期限と、発行手数料はいくらですか？", "issuance-end-ordinance"),
        ("how many people registered the card as insurance, and how much did the govt spend advertising it?", "registrations"),
    ):
        reply = answer_alone(answerer, question)
        assert (reply.fact_ids, reply.reason) == ((fact,), "partly_declined"), question
    dentists = answer_alone(answerer, "usage rate at hospitals in oct 2025, and at dentists?")
    assert (dentists.fact_ids, dentists.reason) == (("usage-rate-by-facility",), "partly_declined")
    assert not answer_alone(answerer, "In the 2023 survey, what did hospitals with more than 500 beds say compared to small hospitals?").answered
    # a part pointing back at what we have no figure for is not answered on its own
    union = answer_alone(answerer, "What did the doctors' union survey find, and how did the ministry respond to it?")
    assert not union.answered
    # a part that needs the other part's subject ("it") is read with it, without what we have no figure for
    months = answer_alone(answerer, "how many hospitals took part in that ministry survey, and which months did it run?")
    assert (months.fact_ids, months.reason) == (("survey-overview",), "partly_declined")
    assert "no sourced figure" in months.sentence
    listed = answer_alone(answerer, "1) when did the ministry survey run\n2) how many hospitals answered it?")
    assert (listed.fact_ids, listed.reason) == (("survey-overview",), "partly_declined")
    # and the next follow-up asks about its own subject, not that one again
    talk = Conversations()
    talk.ask(answerer, "p", "how many hospitals took part in that ministry survey, and which months did it run?")
    assert talk.ask(answerer, "p", "any numbers for pharmacies?").fact_ids == ("pharmacies-using-shared-data",)


@pytest.mark.parametrize(
    ("first", "fact", "follow_up", "focus"),
    [
        ("how many ppl registerd the card as health insurence?", "registrations", "is that the newest?", "dates"),
        ("マイナ保険証の登録件数って今どれくらい？", "registrations", "それ最新？", "dates"),
        (
            "in the 2023 survey, how many hospitals use the system to look at patients' data?",
            "hospitals-using-system",
            "and the ones that weren't using it?",
            "",
        ),
        ("in the 2023 survey, how many hospitals use the system to look at patients' data?", "hospitals-using-system", "out of how many?", ""),
        ("duplicate prescriptions hospitals percent", "duplicate-prescriptions", "of all hospitals?", ""),  # its base, not another fact about hospitals
        # 「何月に？」, "which month?": when the previous answer's figures are from
        ("who did that hospital survey anyway?", "survey-overview", "何月に？", "dates"),
        ("who did that hospital survey anyway?", "survey-overview", "which months?", "dates"),
        ("who did that hospital survey anyway?", "survey-overview", "when?", "dates"),
        ("how many ppl registerd the card as health insurence?", "registrations", "as of?", "dates"),
        ("how many ppl registerd the card as health insurence?", "registrations", "source for those?", "sources"),
        ("why did the usage rate jump at the end of 2025?", "usage-rate-basis-change", "whats the new number then", ""),
        # "until when?": the end date the previous answer gives
        ("my old insurance card expired on dec 1 but the clinic still took it, is that allowed?", "expired-certificate-grace-period", "until when?", "dates"),
    ],
)
def test_a_question_about_the_previous_answer_itself_gets_it_again(answerer: Answerer, first: str, fact: str, follow_up: str, focus: str) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", first).fact_ids == (fact,)
    reply = talk.ask(answerer, "a", follow_up)
    assert reply.fact_ids == (fact,) and reply.focus == focus


def test_a_breakdown_of_the_previous_figure_is_answered_only_when_the_answer_gives_it(answerer: Answerer) -> None:
    talk = Conversations()
    first = "when the government checked everything linked to My Number, how many wrong links did they find?"
    assert talk.ask(answerer, "a", first).fact_ids == ("wrong-links-total-check",)
    # the count holds no part for health insurance: declined, not the registrations (which
    # "how many ... health insurance" asks for when it stands alone)
    for fragment in ("how many were health insurance?", "how many of those were health insurance?"):
        reply = talk.ask(answerer, "a", fragment)
        assert not reply.answered, fragment
        assert answerer.ask(fragment).fact_ids == ("registrations",)
    # the patients' figures give mail and online
    assert talk.ask(answerer, "b", "what % of patients said the card had no merit?").fact_ids == ("patients-no-merit",)
    assert talk.ask(answerer, "b", "how many of them were mail?").fact_ids == ("patients-no-merit",)
    # a question of its own that starts the same way is not a breakdown
    assert talk.ask(answerer, "c", first).answered
    assert talk.ask(answerer, "c", "how many were registered as health insurance cards?").fact_ids == ("registrations",)


@pytest.mark.parametrize(
    ("first", "fact", "follow_up"),
    [
        ("what % of hospitals use the system to view patient data?", "hospitals-using-system", "what about clinics?"),
        ("what share of hospitals said it helped with duplicate prescriptions?", "duplicate-prescriptions", "and clinics?"),
    ],
)
def test_a_subject_we_have_no_figure_for_is_declined_in_a_follow_up(answerer: Answerer, first: str, fact: str, follow_up: str) -> None:
    # the previous question asked of clinics is declined: neither the previous answer nor a
    # neighbouring fact (the usage rate at clinics) answers it
    talk = Conversations()
    assert talk.ask(answerer, "a", first).fact_ids == (fact,)
    reply = talk.ask(answerer, "a", follow_up)
    assert reply.kind == "decline" and reply.question == follow_up


def test_a_bare_subject_after_a_what_is_question_is_asked_of_it(answerer: Answerer) -> None:
    # 「有効期限は？」 alone is the old cards' expiry; after 「資格確認書ってなに？」 it is the certificate's
    talk = Conversations()
    assert talk.ask(answerer, "a", "資格確認書ってなに？").fact_ids == ("eligibility-certificate",)
    assert talk.ask(answerer, "a", "有効期限は？").fact_ids == ("issuance-end-ordinance",)
    assert Conversations().ask(answerer, "b", "有効期限は？").fact_ids != ("issuance-end-ordinance",)


def test_the_card_itself_after_the_registrations_asks_for_the_cardholders(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "マイナ保険証の登録って何人くらい？").fact_ids == ("registrations",)
    assert talk.ask(answerer, "a", "カード自体持ってる人は？").fact_ids == ("cardholders",)


def test_a_follow_up_pointing_back_at_the_previous_answer_is_read_with_it(answerer: Answerer) -> None:
    # alone, "as a % of cardholders" asks for the cardholders; "a year after that" asks it of the registrations
    talk = Conversations()
    assert talk.ask(answerer, "a", "registrations oct 2024?").fact_ids == ("registrations",)
    assert talk.ask(answerer, "a", "and a year after that, as a % of cardholders?").fact_ids == ("registrations",)
    # "those" inside its own message points at what it names, not back
    talk.ask(answerer, "b", "When did new issuance of the old health insurance cards end?")
    assert talk.ask(answerer, "b", "and the eligibility certificates, how long do those last?").fact_ids == ("issuance-end-ordinance",)


def test_a_follow_up_naming_a_year_the_answer_has_no_figure_for_is_declined(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "y", "what share of hospitals said patients get no merit from the card?").fact_ids == ("no-merit-for-patients",)
    reply = talk.ask(answerer, "y", "same question for the hospitals in the 2025 survey?")
    assert reply.kind == "decline" and reply.reason == "no_figure_for_date"


def test_the_subject_named_again_in_the_singular_asks_about_something_else(answerer: Answerer) -> None:
    # the previous question named hospitals and patients; "the hospital itself" swaps out the patients
    talk = Conversations()
    assert talk.ask(answerer, "h", "what share of hospitals said there is no merit for patients?").fact_ids == ("no-merit-for-patients",)
    assert talk.ask(answerer, "h", "and for the hospital itself?").fact_ids == ("no-merit-for-hospitals",)


def test_how_many_in_a_part_is_a_breakdown_of_the_previous_figure(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "b", "how many mislinked records did the big data check turn up?").fact_ids == ("wrong-links-total-check",)
    reply = talk.ask(answerer, "b", "how many in the health insurance system?")
    # the check's figure is not broken down that way here, and it is no new question (alone, it
    # would be read as the registrations as health insurance)
    assert (reply.kind, reply.reason) == ("decline", "subject_not_covered")


def test_which_basis_a_figure_is_on_is_about_the_previous_answer(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "b", "usage rate pharmacies").fact_ids == ("usage-rate-by-facility",)
    basis = talk.ask(answerer, "b", "is that the old or new way of counting")
    assert (basis.fact_ids, basis.reason) == (("usage-rate-by-facility",), "follow_up_same")


def test_why_two_numbers_is_about_the_previous_answer(answerer: Answerer) -> None:
    for why in ("why two numbers?", "なんで２つあるの？", "which one is the real one", "どっちが正しいの？", "which one is mail?", "exact numbers?"):
        talk = Conversations()
        assert talk.ask(answerer, "t", "what share of patients answering online saw no merit in the card?").fact_ids == ("patients-no-merit",)
        reply = talk.ask(answerer, "t", why)
        assert reply.fact_ids == ("patients-no-merit",) and reply.reason == "follow_up_same"
        assert not answerer.ask(why).answered  # alone, it asks nothing


def test_a_part_we_have_no_figure_for_after_a_greeting_and_a_question(answerer: Answerer) -> None:
    text = "Hi, in the online patient survey what % saw no merit? and was that everyone or only people who had used the card?"
    reply = answer_alone(answerer, text)
    assert reply.fact_ids == ("patients-no-merit",) and reply.reason == "partly_declined"


def test_a_fragment_naming_a_declared_gap_is_declined_not_read_in_context(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "g", "what share of hospitals saw no merit for themselves?").fact_ids == ("no-merit-for-hospitals",)
    reply = talk.ask(answerer, "g", "how many hospitals responded?")
    assert (reply.kind, reply.reason) == ("decline", "not_covered")


def test_which_month_was_that_asks_for_the_dates_of_the_previous_answer(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "m", "what was the usage rate back in the article?").fact_ids == ("usage-rate",)
    reply = talk.ask(answerer, "m", "hmm which month was that")
    assert reply.fact_ids == ("usage-rate",) and reply.reason == "follow_up_dates"


def test_the_cards_people_already_had_after_the_end_of_issuance(answerer: Answerer) -> None:
    for first, then in (
        ("when did they stop issuing the old paper insurance cards?", "and the ones we already had?"),
        ("古い保険証の新規発行はいつ止まった？", "じゃあ今持ってるやつは？"),
    ):
        talk = Conversations()
        assert talk.ask(answerer, "o", first).fact_ids == ("issuance-stopped",)
        assert talk.ask(answerer, "o", then).fact_ids == ("old-certificate-expiry",), then


def test_the_whole_country_after_a_place_we_have_no_figure_for(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "What's the usage rate in Hokkaido?").reason == "not_covered"
    assert talk.ask(answerer, "a", "ok then nationally?").fact_ids == ("usage-rate",)
    ja = Conversations()
    assert ja.ask(answerer, "j", "大阪の利用率を教えて").reason == "not_covered"
    assert ja.ask(answerer, "j", "じゃあ全国では？").fact_ids == ("usage-rate",)
    # with no place asked about before, "nationally?" is a fragment like any other
    alone = Conversations()
    assert not alone.ask(answerer, "b", "ok then nationally?").answered


def test_a_share_of_someone_asked_of_the_previous_figure(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "How many people have linked their card as their insurance card by now?").fact_ids == ("registrations",)
    # alone, "cardholders" names the count of cardholders; here it is the base of the registrations' share
    assert answerer.ask("as a % of cardholders?").fact_id == "cardholders"
    assert talk.ask(answerer, "a", "as a % of cardholders?").fact_ids == ("registrations",)
    # "what % is that", 「それって何％？」: the previous figure as a share, of whoever its answer says
    for first, then in (("how many people have registered the card as insurance?", "what % is that"), ("マイナ保険証の登録者数は？", "それって何％？")):
        share = Conversations()
        assert share.ask(answerer, "s", first).fact_ids == ("registrations",)
        assert share.ask(answerer, "s", then).fact_ids == ("registrations",)
    assert not Conversations().ask(answerer, "x", "what % is that").answered


def test_a_part_of_a_year_is_a_date_follow_up(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "what's the most recent usage rate?").fact_ids == ("usage-rate",)
    assert talk.ask(answerer, "a", "what about late 2024?").fact_ids == ("usage-rate",)


def test_a_second_japanese_question_about_part_of_the_first_ones_figure_is_a_second_part(answerer: Answerer) -> None:
    # 「…何件？そのうち何件…？」: two questions; we hold the first one's figure, not the second's
    reply = answer_alone(answerer, "ひもづけの誤りって全部で何件あったん？そのうち何件直ったの？")
    assert reply.fact_ids == ("wrong-links-total-check",) and reply.reason == "partly_declined"
    assert not answerer.ask("ひもづけの誤りって全部で何件あったん？そのうち何件直ったの？").answered  # read as one question


def test_after_that_names_the_one_of_two_close_facts_the_previous_answer_did_not_give(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "s", "on what day could nobody get a fresh paper insurance card anymore?").fact_ids == ("issuance-stopped",)
    # alone, "how long ... using mine" reads as the length of a My Number; after the day issuing
    # stopped, the two are close and the time the existing ones stayed valid is what is asked
    reply = talk.ask(answerer, "s", "and how long could i keep using mine after that")
    assert reply.fact_ids == ("old-certificate-expiry",)


def test_a_japanese_breakdown_of_the_previous_figure_is_answered_only_when_the_answer_gives_it(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "j", "紐付けの誤りは全部で何件見つかったの？").fact_ids == ("wrong-links-total-check",)
    # 「そのうち保険証は？」: the check's count is not broken down by health insurance here
    assert (talk.ask(answerer, "j", "そのうち保険証は？").kind, talk.last("j").fact_ids) == ("decline", ("wrong-links-total-check",))
    mail = Conversations()
    assert mail.ask(answerer, "m", "患者調査でメリットないって答えた人の割合は？").fact_ids == ("patients-no-merit",)
    assert mail.ask(answerer, "m", "そのうち郵送は？").fact_ids == ("patients-no-merit",)  # its figures are by mail and online


def test_the_earliest_figure_after_a_year_we_have_none_for(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "e", "what was the maina hokensho usage rate in 2022?").reason == "no_figure_for_date"
    reply = talk.ask(answerer, "e", "ok what's the earliest you have then")
    assert reply.fact_ids == ("usage-rate",)
    assert not Conversations().ask(answerer, "x", "ok what's the earliest you have then").answered  # alone, it names nothing
    ja = Conversations()
    assert ja.ask(answerer, "j", "2022年のマイナ保険証の利用率ってどのくらいだったんですか？").reason == "no_figure_for_date"
    assert ja.ask(answerer, "j", "じゃあ一番古いのは？").fact_ids == ("usage-rate",)


def test_a_month_later_counts_on_from_the_month_asked(answerer: Answerer) -> None:
    talk = Conversations()
    first = "how many people had registered the card for insurance by Sep 2025, and what was the usage rate then?"
    assert talk.ask(answerer, "l", first).fact_ids == ("registrations", "usage-rate")
    reply = talk.ask(answerer, "l", "and a month later?")
    assert reply.fact_ids == ("registrations", "usage-rate") and reply.reason == "follow_up_date"
    # a question about what was just answered keeps that question as the context
    quoted = Conversations()
    quoted.ask(answerer, "q", first)
    assert quoted.ask(answerer, "q", "87.4% of what exactly?").fact_ids == ("registrations",)
    assert quoted.ask(answerer, "q", "and a month later?").fact_ids == ("registrations", "usage-rate")
    # "when that kyodo story came out" is the article's month, December 2023; a year after it we have
    # no figure for December 2024, and "a year later" is rough: the month beside it that has one
    after = Conversations()
    assert after.ask(answerer, "k", "what was the usage rate when that kyodo story came out?").fact_ids == ("usage-rate",)
    later = after.ask(answerer, "k", "and a year later?")
    assert later.fact_ids == ("usage-rate",) and later.reason == "follow_up_date" and later.figures[0].as_of == "November 2024"
    # a month step is exact: no figure for that month is declined saying so
    exact = Conversations()
    exact.ask(answerer, "m", "what was the usage rate in May 2024?")
    assert exact.ask(answerer, "m", "and a month later?").reason == "no_figure_for_date"


def test_when_the_article_came_out_is_its_month(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "a", "How many people have registered their My Number card to work as a health insurance card?").fact_ids == ("registrations",)
    reply = talk.ask(answerer, "a", "what was it back when the article came out")
    assert reply.fact_ids == ("registrations",) and reply.reason == "follow_up_date"
    assert reply.figures[0].as_of == "3 December 2023"
    ja = Conversations()
    ja.ask(answerer, "j", "利用率は？")
    assert ja.ask(answerer, "j", "記事が出た頃は？").figures[0].as_of == "2023年12月3日"


@pytest.mark.parametrize(
    ("first", "fact", "follow_up", "reason"),
    [
        ("what is 29.6%?", "hospitals-using-system", "hospitals or patients tho", "follow_up_same"),
        ("what is 29.6%?", "hospitals-using-system", "「それいつの？」", "follow_up_dates"),
        ("what is 29.6%?", "hospitals-using-system", "whats teh soruce", "follow_up_sources"),
        ("wen did teh old insurence cards stop bein isued", "issuance-stopped", "n the ones alredy out ther??", "follow_up_subject"),
        ("how many people have registered the card as insurance?", "registrations", "where's that number from tho", "follow_up_sources"),
        ("how many people have registered the card as insurance?", "registrations", "as % of card holders?", "follow_up:confident"),
        ("what's the maina hokensho usage rate?", "usage-rate", "wait is that % of people or % of something else", "follow_up_same"),
    ],
)
def test_follow_ups_typed_loosely(answerer: Answerer, first: str, fact: str, follow_up: str, reason: str) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "t", first).fact_ids == (fact,)
    reply = talk.ask(answerer, "t", follow_up)
    assert reply.reason == reason and reply.answered
    assert reply.fact_ids == ((fact,) if reason != "follow_up_subject" else ("old-certificate-expiry",))


def test_a_last_japanese_question_after_a_first_ones_question_mark_is_a_second_part(answerer: Answerer) -> None:
    assert answer_alone(answerer, "マイナンバーって何年に始まったの？番号って何桁あるの？").fact_ids == ("system-launch", "my-number-digits")
    # 「…ってこと？」 checks the first question's reading: one question
    assert len(answer_alone(answerer, "利用率ってそもそも何の割合なの？患者の何割が使ってるってこと？").fact_ids) <= 1


def test_a_time_clause_before_the_first_question_and_now_after_it(answerer: Answerer) -> None:
    talk = Conversations()
    first = "settling an argument: back in late 2023, about how many people had registered the card as insurance, and how many actually used it?"
    assert talk.ask(answerer, "n", first).fact_ids == ("registrations", "usage-rate")
    now = talk.ask(answerer, "n", "and now?")
    assert now.fact_ids == ("registrations", "usage-rate") and now.reason == "follow_up_same"
    assert talk.ask(answerer, "n", "今は？").fact_ids == ("registrations", "usage-rate")
    assert not Conversations().ask(answerer, "x", "and now?").answered  # alone, it asks nothing


def test_when_was_that_survey_asks_about_the_survey_not_the_previous_figures_dates(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "w", "in the 2023 hospital survey, what share of hospitals used the system to view patient data?").fact_ids == (
        "hospitals-using-system",
    )
    assert talk.ask(answerer, "w", "when was that survey run").fact_ids == ("survey-overview",)


def test_a_bare_subject_after_a_figure_asked_for_is_a_subject_of_its_own(answerer: Answerer) -> None:
    # "what's the usage rate?" names a figure, not a thing whose registrations could be asked
    for follow_up in ("and registrations?", "what about the number of registrations?"):
        talk = Conversations()
        assert talk.ask(answerer, "r", "what's the maina hokensho usage rate?").fact_ids == ("usage-rate",)
        assert talk.ask(answerer, "r", follow_up).fact_ids == ("registrations",)


@pytest.mark.parametrize(
    ("first", "fact", "follow_up", "expected"),
    [
        # "ok and these days?", "newest number?": the same facts, newest figures first
        ("what was the usage rate when the kyodo story came out?", "usage-rate", "ok and these days?", ("usage-rate",)),
        ("how many people had registered the card as insurance in late 2023?", "registrations", "newest number?", ("registrations",)),
        # "wait is that % of ppl or % of visits": what the previous figure counts, which its answer says
        ("what's the maina hokensho usage rate?", "usage-rate", "wait is that % of ppl or % of visits", ("usage-rate",)),
        # "grandpa's 80 btw": an age, not a figure asked about
        (
            "what do you show at the clinic if you never linked the card?",
            "eligibility-certificate",
            "grandpa's 80 btw",
            ("late-elderly-eligibility-certificates",),
        ),
        # "when was that announced": the previous answer's dates
        ("how many wrong links did the full check of my number data find?", "wrong-links-total-check", "when was that announced", ("wrong-links-total-check",)),
        # "just insurance?": a part of the previous figure it does not give
        ("how many wrong links did the full check of my number data find?", "wrong-links-total-check", "just insurance?", ()),
    ],
)
def test_more_follow_ups_typed_loosely(answerer: Answerer, first: str, fact: str, follow_up: str, expected: tuple[str, ...]) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "f", first).fact_ids == (fact,)
    reply = talk.ask(answerer, "f", follow_up)
    assert reply.fact_ids == expected and reply.answered == bool(expected)


def test_a_second_part_pointing_back_whose_best_fact_is_the_first_parts_keeps_one_fact(answerer: Answerer) -> None:
    # "which months did it run?" alone leads with the survey; its runner-up is no second subject
    reply = answer_alone(answerer, "how many hospitals were in that ministry survey, and which months did it run?")
    assert reply.fact_ids == ("survey-overview",)


def test_a_two_part_follow_up_pointing_back_answers_only_the_part_not_just_answered(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "e", "until when could the old insurance cards be used?").fact_ids == ("old-certificate-expiry",)
    reply = talk.ask(answerer, "e", "what if it already expired, could you still use it?")
    assert reply.fact_ids == ("expired-certificate-grace-period",)
    # alone, it is two questions
    assert len(answer_alone(answerer, "what if it already expired, could you still use it?").fact_ids) == 2


def test_a_breakdown_naming_a_subject_of_its_own_gets_that_subject(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "h", "how many people actually have a My Number card?").fact_ids == ("cardholders",)
    # "how many of them …" reads as a breakdown, but "registered it as insurance" is the registrations
    assert talk.ask(answerer, "h", "and how many of them registered it as insurance?").fact_ids == ("registrations",)


def test_just_the_misspelt_insurance_ones_is_a_breakdown(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "b", "how many wrong links did the full check of my number data find?").fact_ids == ("wrong-links-total-check",)
    assert not talk.ask(answerer, "b", "just the helth insurnce ones?").answered
    assert "survey-mode-difference" in answerer.search("why the gap between the online and mailed answers?").gaps


def test_from_after_an_answer_without_figures_does_not_fail(answerer: Answerer) -> None:
    # the eligibility certificate's fact has no figures, so no last date to count from
    talk = Conversations()
    assert talk.ask(answerer, "z", "what is an eligibility certificate?").fact_ids == ("eligibility-certificate",)
    reply = talk.ask(answerer, "z", "and after that?")
    assert reply.kind in ("answer", "suggest", "decline")


FOLLOW_UP_SHAPES = (
    "and after that?",
    "from april?",
    "until when?",
    "source?",
    "in japanese",
    "英語で",
    "and 2024?",
    "the month before?",
    "a year later?",
    "and now?",
    "what % is that",
    "just insurance?",
    "そのうち保険証は？",
    "and the rest?",
    "why?",
    "out of how many?",
    "and hospitals?",
    "患者は？",
    "それいつの？",
    "which one is mail?",
    "hospitals or patients tho",
    "ok what's the earliest you have then",
    "and registrations?",
    "what if it already expired, could you still use it?",
)


def test_every_follow_up_shape_after_every_fact_gets_a_reply(answerer: Answerer) -> None:
    """No reading of a follow-up fails on a fact without figures, dates or sources of some kind."""
    for fact in answerer.kb.facts:
        first = next(q for _lang, q in fact.all_questions())
        for follow_up in FOLLOW_UP_SHAPES:
            talk = Conversations()
            talk.ask(answerer, "p", first)
            assert talk.ask(answerer, "p", follow_up).kind in ("answer", "suggest", "decline"), (first, follow_up)


def test_a_did_you_mean_with_one_suggestion_is_what_a_follow_up_about_it_means(answerer: Answerer) -> None:
    talk = Conversations()
    first = talk.ask(answerer, "d", "percnt of hosptials lookng at patint data")
    assert first.kind == "suggest" and [s.fact_id for s in first.suggestions] == ["hospitals-using-system"]
    assert talk.ask(answerer, "d", "source?").fact_ids == ("hospitals-using-system",)


def test_the_other_language_asked_with_a_reason_and_a_publication_date(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "l", "what share of patients answering online saw no merit in the card?").fact_ids == ("patients-no-merit",)
    reply = talk.ask(answerer, "l", "日本語で言うと？同僚に見せたい")
    assert reply.fact_ids == ("patients-no-merit",) and reply.lang == "ja"
    # a longer question that asks for another figure in Japanese is a question of its own
    other = Conversations()
    assert other.ask(answerer, "o", "how many people registered the card as insurance?").fact_ids == ("registrations",)
    assert other.ask(answerer, "o", "マイナ保険証の利用率を日本語で教えて、同僚に見せたいので").fact_ids == ("usage-rate",)
    dates = Conversations()
    assert dates.ask(answerer, "d", "how many wrong links did the full check of my number data find?").fact_ids == ("wrong-links-total-check",)
    assert dates.ask(answerer, "d", "when did that come out again").reason == "follow_up_dates"


def test_the_one_in_my_wallet_is_the_thing_the_first_part_asked_about(answerer: Answerer) -> None:
    reply = answer_alone(answerer, "when did they stop issuing the old insurance certificates, and until when can I keep using the one in my wallet?")
    assert reply.fact_ids == ("issuance-stopped", "old-certificate-expiry")


def test_at_that_point_is_the_first_parts_month(answerer: Answerer) -> None:
    reply = answer_alone(answerer, "usage rate in Oct 2024 and how many registrations were there at that point?")
    assert set(reply.fact_ids) == {"usage-rate", "registrations"}


def test_ok_and_starts_a_follow_up_but_ok_so_starts_a_message(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "o", "what's the usage rate these days?").fact_ids == ("usage-rate",)
    dated = talk.ask(answerer, "o", "ok and what was it back in 2023 when everyone was complaining")
    assert dated.fact_ids == ("usage-rate",) and dated.reason == "follow_up_date"
    assert talk.ask(answerer, "o", "wait is that % of people or what").fact_ids == ("usage-rate",)
    # a long message opening with "ok so" is no follow-up: its one-suggestion reply stays the context
    assert not has_follow_up_cue("ok so I finally read that article about hospitals not seeing any merit")
    assert has_follow_up_cue("ok but since when is that even allowed")


def test_the_other_language_after_a_declined_follow_up_is_that_decline(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "d", "恐縮ですが、マイナンバーの紐付け誤りは総点検で何件見つかったのでしょうか。").fact_ids == ("wrong-links-total-check",)
    assert not talk.ask(answerer, "d", "そのうち健康保険の分は？").answered
    again = talk.ask(answerer, "d", "in english pls")
    assert again.kind == "decline" and again.lang == "en"
    # the subject stays: a question about the answer before the decline still reads against it
    assert talk.ask(answerer, "d", "source?").fact_ids == ("wrong-links-total-check",)


def test_out_of_how_many_after_a_share_without_a_count_is_the_fact_that_counts_them(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "b", "in that 2023 survey, what share said the data helped with duplicate prescriptions?").fact_ids == (
        "duplicate-prescriptions",
    )
    base = talk.ask(answerer, "b", "out of how many hospitals?")
    assert base.fact_ids == ("survey-overview",) and any(f.value == "892 hospitals" for f in base.figures)


def test_who_swapped_in_gets_the_fact_a_did_you_mean_would_offer_about_them(answerer: Answerer) -> None:
    talk = Conversations()
    first = "厚労省の調査で、マイナ保険証は患者にメリットないって答えた病院って何割なん？"
    assert talk.ask(answerer, "p", first).fact_ids == ("no-merit-for-patients",)
    assert talk.ask(answerer, "p", "患者側は？").fact_ids == ("patients-no-merit",)


def test_themselfs_asks_for_the_hospitals_themselves(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "t", "hw many hospitls see no benfit for patints w the mynumber card").fact_ids == ("no-merit-for-patients",)
    assert talk.ask(answerer, "t", "wat abt for themselfs").fact_ids == ("no-merit-for-hospitals",)


def test_versus_joins_two_parts_but_two_places_are_one_subject(answerer: Answerer) -> None:
    assert answer_alone(answerer, "jan 2025 usage rate vs jan 2024 usage rate?").fact_ids == ("usage-rate-2025-monthly", "usage-rate")
    assert answer_alone(answerer, "hospitals vs clinics usage in oct 2025?").fact_ids == ("usage-rate-by-facility",)
    assert answer_alone(answerer, "hospitsls and clinisc usage octobr 2025").fact_ids == ("usage-rate-by-facility",)


def test_a_question_whose_other_part_alone_is_declined_answers_the_part_we_know(answerer: Answerer) -> None:
    reply = answer_alone(answerer, "When did the My Number system launch, and how much did building it cost?")
    assert reply.fact_ids == ("system-launch",) and reply.reason == "partly_declined"
    assert "other part" in reply.sentence
    # one question with an "and" inside it is not two: it keeps its own reply
    assert answer_alone(answerer, "roughly how many people tried to use the card and got turned away at clinics").kind != "answer"


def test_a_first_part_that_is_a_close_call_alone_takes_the_fact_the_whole_question_is_answered_with(answerer: Answerer) -> None:
    # alone, "the usage rate in October 2025" is a close call with the change of basis (both hold that month)
    assert answerer.ask("What was the usage rate in October 2025").kind == "suggest"
    reply = answer_alone(answerer, "What was the usage rate in October 2025, and how many registrations were there at that time?")
    assert set(reply.fact_ids) == {"usage-rate", "registrations"}


def test_pointing_back_at_a_subject_we_have_no_figure_for_is_declined_as_it_was(answerer: Answerer) -> None:
    talk = Conversations()
    first = talk.ask(answerer, "u", "doctors union survey mynacard trouble")
    assert first.kind == "decline" and first.reason == "not_covered"
    again = talk.ask(answerer, "u", "is that a govt survey?")
    assert again.kind == "decline" and again.reason == "not_covered"
    # "it" is most often the card, not the subject declined: read as usual
    assert talk.ask(answerer, "u", "what's the usage rate of it these days?").answered


def test_who_counted_that_asks_for_the_source_of_the_previous_answer(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "w", USAGE_Q).fact_ids == ("usage-rate",)
    again = talk.ask(answerer, "w", "who counted that?")
    assert again.fact_ids == ("usage-rate",) and again.reason == "follow_up_sources"


def test_whats_the_latest_one_and_is_that_a_share_of_people_are_about_the_previous_answer(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "l", "利用率って2024年の秋ごろどれくらいだった？").fact_ids == ("usage-rate",)
    assert talk.ask(answerer, "l", "それって人の割合？").fact_ids == ("usage-rate",)
    assert talk.ask(answerer, "l", "去年の同じ時期は？").fact_ids == ("usage-rate",)
    assert talk.ask(answerer, "l", "thx. what's the latest one?").fact_ids == ("usage-rate",)


def test_since_when_asks_when_the_previous_answers_subject_began(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "s", "do foreigners get a my number too?").fact_ids == ("system-launch",)
    assert talk.ask(answerer, "s", "since when?").fact_ids == ("system-launch",)
    # after an answer that says nothing of when anything began, it is declined, not given the figures' "as of"
    talk = Conversations()
    assert talk.ask(answerer, "n", "is the my number 12 digits?").fact_ids == ("my-number-digits",)
    assert not talk.ask(answerer, "n", "since when?").answered


def test_a_fragment_about_it_the_card_names_its_own_subject(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "e", "until when can the old insurance cards be used?").fact_ids == ("old-certificate-expiry",)
    assert talk.ask(answerer, "e", "and if it already expired?").fact_ids == ("expired-certificate-grace-period",)


def test_who_counted_that_after_a_number_we_do_not_have_is_declined(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "w", "since when can people cancel the registration?").fact_ids == ("registration-cancellation",)
    assert not talk.ask(answerer, "w", "how many ppl have done it").answered
    assert talk.ask(answerer, "w", "who counted that tho").kind == "decline"  # that number, not the answer before it
    # right after an answer, it asks for that answer's sources
    talk = Conversations()
    talk.ask(answerer, "s", "since when can people cancel the registration?")
    assert talk.ask(answerer, "s", "who counted that").fact_ids == ("registration-cancellation",)


def test_the_count_a_share_stands_for_is_declined_when_the_sources_give_none(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "n", "what share of hospitals saw no merit for themselves?").fact_ids == ("no-merit-for-hospitals",)
    assert talk.ask(answerer, "n", "how many hospitals is that in actual numbers").kind == "decline"
    talk = Conversations()
    assert talk.ask(answerer, "j", "利用率の最新は？").fact_ids == ("usage-rate",)
    assert talk.ask(answerer, "j", "それって何人？").kind == "decline"


def test_why_so_different_asks_a_reason_the_sources_do_not_give(answerer: Answerer) -> None:
    talk = Conversations()
    assert talk.ask(answerer, "y", "what share of patients said no merit by mail and online?").fact_ids == ("patients-no-merit",)
    assert talk.ask(answerer, "y", "why are those two different?").kind == "decline"
    assert talk.ask(answerer, "y", "郵送とネットで数字ちがうのなんで？").kind == "decline"  # the reason asked last
    # "why are there two numbers?" is about the figures given: they are given again
    assert talk.ask(answerer, "y", "why are there two numbers").fact_ids == ("patients-no-merit",)
