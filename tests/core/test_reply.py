"""Replies built from the shipped knowledge base: figures, dates, sources, language."""

from bot.answer.format import date_text, value_text
from bot.answer.reply import Answerer, render_text
from bot.knowledge.model import Figure, Text


def test_answer_has_sentence_figure_base_period_and_source(answerer: Answerer) -> None:
    reply = answerer.ask("What percentage of hospitals use the system to view patient data?")
    assert reply.kind == "answer" and reply.fact_id == "hospitals-using-system"
    text = render_text(reply)
    assert "29.6%" in text and "68.2%" in text
    assert "892" in text  # the base
    assert "July" in text and "2023" in text  # the period
    assert "https://www.japantimes.co.jp/" in text  # the source link
    assert "Ministry of Health" in text  # who ran the survey


def test_japanese_question_gets_japanese_reply(answerer: Answerer) -> None:
    reply = answerer.ask("システムを使って患者情報を見ている病院は何%？")
    assert reply.lang == "ja" and reply.fact_id == "hospitals-using-system"
    assert "出典" in render_text(reply) or "報道" in render_text(reply)


def test_dated_series_shows_latest_and_the_articles_figure(answerer: Answerer) -> None:
    reply = answerer.ask("what is the usage rate of my number insurance cards")
    assert reply.fact_id == "usage-rate"
    values = [line.value for line in reply.figures]
    assert values[0] == "47.26%"  # the latest on the current (claims) basis, first
    assert values[1] == "37.14%"  # the same month on the old basis, beside it
    assert "about 4%" in values  # the 2023 article's figure, with its date
    labels = {line.value: line.label for line in reply.figures}
    # one "latest" per basis, each named: the two bases are never read as one series
    assert labels["47.26%"] == "latest, new basis" and labels["37.14%"] == "latest, old basis"
    assert "2023" in labels["about 4%"]
    assert {s.id for s in reply.sources} >= {"kobe-journal-3788428582", "kyodo-2023-12-03"}


def test_a_year_asked_about_is_shown(answerer: Answerer) -> None:
    reply = answerer.ask("usage rate in november 2024")
    assert reply.fact_id == "usage-rate"
    assert "18.52%" in [line.value for line in reply.figures]


def test_off_topic_is_declined_with_what_the_bot_knows(answerer: Answerer) -> None:
    reply = answerer.ask("tell me a joke")
    assert reply.kind == "decline" and reply.fact_id is None and reply.topics
    assert "%" not in render_text(reply)


def test_no_figure_for_a_near_topic_question(answerer: Answerer) -> None:
    for question in (
        "What is the usage rate at dental clinics?",
        "How much does the card cost?",
        "マイナンバーカードの手数料はいくら？",
        "is the usage rate higher for men or women?",
        "マイナ保険証のデータって警察も見れるん？",
        "is my employer able to see my medical data once it's linked?",
        "when is the next-gen my number card coming out?",
        "is there any data on how long a card check takes at reception?",
        "is there a charge to get the card?",
        "What share of hospitals in the 2023 survey reported system errors at the reception desk?",
        "訪問診療でマイナ保険証が使われた件数は？",
        "カードリーダーを置いてない病院は何％？",
        "患者がいちばん多くあげたメリットってなんだった？",
        "how many people got their data leaked?",
        "how many hospitals answered the ministry survey in total?",
        "何病院が回答したん？",
        "how do i regster my numbr card as helth insurance",
        "how do I link my card to my insurance?",
        "What share of patients found the card handy or convenient in the ministry's questionnaire?",
        # "wants to know" asks, so the subject it names counts
        "my boss wants to know how much money the govt paid hospitals as subsidies to install the readers. any figure?",
    ):
        reply = answerer.ask(question)
        assert reply.kind == "decline", question
        assert reply.reason == "not_covered"


def test_a_declared_subjects_word_in_another_sense_is_not_that_subject(answerer: Answerer) -> None:
    # "cost" of care, "lost" as confused, "the card itself" as against the insurance link
    for question, fact in (
        ("my insurance card expired last week, until when can I still use it and pay the normal cost at a clinic?", "expired-certificate-grace-period"),
        ("how many people actually have a My Number card? I mean just the card itself", "cardholders"),
    ):
        reply = answerer.ask(question)
        assert (reply.kind, reply.fact_id) == ("answer", fact), question
    assert answerer.ask("How many people have lost their My Number card?").fact_id is None
    # to "charge" a patient the normal copay is not a fee for the card
    assert answerer.search("people show up with expired cards. can we still charge them the normal copay? till when?").gaps == ()
    assert answerer.search("is there a charge to get the card?").gaps == ("card-costs",)
    # to "carry the card at all" is to hold one; to carry it around daily is how often it is used
    assert answerer.search("How many people in Japan carry the card at all?").gaps == ()
    # points docked for undated stats are no Mynapoint rewards; points for registering are
    assert answerer.search("I need the latest usage rate, my prof docks points for undated stats").gaps == ()
    assert answerer.search("how many points for registering the card?").gaps == ("mynapoints",)
    assert answerer.search("what share of people who have the card actually carry it around daily?").gaps == ("use-frequency",)
    assert answerer.search("how many of the patients in the survey were 65 or older?").gaps == ("age-groups",)
    # before summer 2026 is within what the facts say of the over-75s; from summer 2026 is not
    assert (
        answerer.ask("my grandma is 82 and in a care home. does she need to do anything before summer 2026?").fact_id == "late-elderly-eligibility-certificates"
    )
    assert answerer.search("what happens to the over-75s from summer 2026?").gaps == ("from-august-2026",)


def test_bad_input_declines_cleanly(answerer: Answerer) -> None:
    for question in ("", "   ", "\x00\x07\x1b[31m", "👍🎉🔥", "?!?!...", "x" * 10_000):
        reply = answerer.ask(question)
        assert reply.kind == "decline", repr(question[:20])
        assert render_text(reply)


def test_long_question_reason(answerer: Answerer) -> None:
    reply = answerer.ask("how many people registered " * 100)
    assert reply.reason == "too_long" and "limit" in reply.sentence


def test_value_and_date_formats() -> None:
    fig = Figure(70_000_000.0, "people", Text("x", "x"), "2023-12-03", "s", "more_than")
    assert value_text(fig, "en") == "more than 70 million people"
    assert value_text(fig, "ja") == "7,000万人超"
    assert date_text("2024-12-02", "en") == "2 December 2024"
    assert date_text("2024-12-02", "ja") == "2024年12月2日"
    assert date_text("2025-10", "en") == "October 2025"


def test_strict_mode_ignores_chatter(answerer: Answerer) -> None:
    for chatter in ("anyone up for lunch?", "same", "lol same, see you all tomorrow", "good morning everyone", "did anyone watch the game"):
        assert not answerer.ask(chatter, strict=True).answered, chatter
    assert answerer.ask("How many people have registered their My Number card as a health insurance card?", strict=True).answered


def test_every_message_has_english_and_japanese_with_the_same_placeholders() -> None:
    import string

    from bot.messages import MESSAGES

    for key, texts in MESSAGES.items():
        assert set(texts) == {"en", "ja"}, key
        fields = [{name for _, name, _, _ in string.Formatter().parse(texts[lang]) if name} for lang in ("en", "ja")]
        assert fields[0] == fields[1], key


def test_a_number_of_years_answers_how_long_not_how_many(answerer: Answerer) -> None:
    reply = answerer.ask("how many years is the eligibility certificate valid?")
    assert reply.fact_id == "issuance-end-ordinance"
    text = render_text(reply)
    assert "up to 5 years:" in text and "up to 1 year:" in text
    # a count asked of the same subject is not answered with a number of years
    assert not answerer.ask("What's an eligibility certificate exactly? how many have been issued?").answered


def test_a_claim_asked_about_as_legit_or_gossip_is_what_is_asked(answerer: Answerer) -> None:
    # the sentence that asks ("ward gossip or an actual stat?") names nothing; the claim before it does
    reply = answerer.ask("my sister (nurse) says half the hospitals think the card is useless for patients. ward gossip or an actual stat?")
    assert reply.fact_id == "no-merit-for-patients"
    assert not answerer.ask("my sister says it will rain all weekend. gossip or fact?").answered
