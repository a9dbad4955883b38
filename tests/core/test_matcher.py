"""The index ranks facts; these use the shipped knowledge base, no mocks."""

import pytest

from bot.answer.reply import Answerer, render_text
from bot.answer.two_part import answer_alone
from bot.knowledge import KnowledgeBase
from bot.search.asking import asking, counted_clause, sentences, share_base, without_set_aside
from bot.search.complete import complete
from bot.search.index import SearchIndex
from bot.text.normalise import tokens


def test_exact_phrasing_ranks_first_with_full_score(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    for fact in kb.facts:
        for _lang, question in fact.all_questions():
            top = index.search(question).top
            assert top is not None and top.fact_id == fact.id and top.exact, question


def test_typo_is_repaired(kb: KnowledgeBase) -> None:
    result = SearchIndex(kb).search("how many hosptials were surveyed")
    assert result.top is not None and result.top.fact_id == "survey-overview"
    assert not result.unknown


def test_two_words_typed_as_one_are_split_only_as_the_knowledge_writes_them(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    glued = index.search("usagerate nov2024 pls thx")
    assert glued.top is not None and glued.top.fact_id == "usage-rate"
    assert not glued.unknown and glued.dates == ("2024-11",)
    # a word of its own whose halves are words too ("paper" + "work") stays whole
    assert index.search("how much paperwork is it").unknown == ("paperwork",)


def test_unknown_topic_word_lowers_known_share(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    known = index.search("what is the usage rate")
    unknown = index.search("what is the usage rate of my gpu")
    assert unknown.unknown == ("gpu",)
    assert unknown.known_share < known.known_share == 1.0


@pytest.mark.parametrize(
    ("question", "fact_id", "neighbour"),
    [
        # a "when" question: the fact with a date ranks above the one about the number's digits
        ("when was the 12-digit personal number scheme introduced?", "system-launch", "my-number-digits"),
    ],
)
def test_the_kind_of_figure_asked_for_ranks_first(kb: KnowledgeBase, question: str, fact_id: str, neighbour: str) -> None:
    ranked = [c.fact_id for c in SearchIndex(kb).search(question).candidates]
    assert fact_id in ranked and neighbour in ranked
    assert ranked.index(fact_id) < ranked.index(neighbour)


def test_a_close_fact_holding_what_a_how_many_question_counts_ranks_first(kb: KnowledgeBase) -> None:
    # the end of issuance scores best on its words, but the question counts registrations
    result = SearchIndex(kb).search("so the old cards stopped in late 2024. how many people had registered for the insurance thing by then?")
    assert result.top is not None and result.top.fact_id == "registrations" and not result.uncovered


@pytest.mark.parametrize(
    ("question", "uncovered"),
    [
        # a misspelt subject is read as the word it stands for
        ("how many clincs use the system to look at patient data?", ("clinic",)),
        # Japanese names what it counts before the cue, the head noun last; the survey's answer
        # mentions the patient survey, but neither its phrasings nor its figures count patients
        ("厚労省の調査に回答した患者は何人でしたか", ("患者",)),
        # "% of" counts too; a phrasing that mentions clinics as its asker's context ("my cousin
        # runs a clinic ...") does not make the hospital survey's facts about clinics
        ("In the 2023 survey what % of clinics (not hospitals) used the system to view data?", ("clinic",)),
        ("was it 63% of clinics that said no merit in the 2023 ministry survey?", ("clinic",)),
        # "so far" names nothing counted
        ("my grandma finally signed up for the insurance thing on her card lol. how many folks have done that so far?", ()),
    ],
)
def test_what_a_how_many_question_counts_must_be_named_by_the_fact(kb: KnowledgeBase, question: str, uncovered: tuple[str, ...]) -> None:
    assert SearchIndex(kb).search(question).uncovered == uncovered


def test_a_number_no_fact_holds_is_not_an_unknown_subject(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    assert index.search("I read the usage rate was 35-something percent?").known_share == 1.0
    assert index.search("what is the usage rate of my gpu").known_share < 1.0  # an unknown word still counts


def test_declared_gap_is_detected(kb: KnowledgeBase) -> None:
    result = SearchIndex(kb).search("what percentage of dental clinics use the card")
    assert result.gaps == ("dental",)


def test_declared_gap_terms_do_not_catch_answerable_questions(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    assert index.search("how do I apply for a My Number card?").gaps == ("card-applications",)
    assert index.search("do I have to apply for an eligibility certificate?").gaps == ()  # issued without applying
    assert index.search("マイナポイントはいくらもらえる？").gaps[-1] == "mynapoints"
    assert index.search("利用率が10ポイント上がった理由は？").gaps == ()  # percentage points
    # why it is asked, after the question, names no subject asked about ("kids" is no age group asked for)
    why = "Random q: when did the country actually stop issuing the normal insurance cards? Need it for my kids' paperwork"
    assert index.search(why).gaps == ()
    # "is that the same survey as …?" asks about the survey the sentence before it names
    same = "I remember a survey from mid-2023 where like 56% of users said no merit. Is that the same one as the hospital survey?"
    assert index.search(same).gaps == ("earlier-online-survey",)


def test_japanese_question_finds_japanese_phrasings(kb: KnowledgeBase) -> None:
    result = SearchIndex(kb).search("マイナ保険証の利用率は今どのくらい？")
    assert result.lang == "ja" and result.top is not None and result.top.fact_id == "usage-rate"


def test_chatty_message_scored_by_its_question_sentence(kb: KnowledgeBase) -> None:
    text = "My neighbour was complaining all morning about paperwork and the weather. Anyway, when did the My Number system start?"
    result = SearchIndex(kb).search(text)
    assert result.top is not None and result.top.fact_id == "system-launch"


def test_empty_question_has_no_candidates(kb: KnowledgeBase) -> None:
    result = SearchIndex(kb).search("   ")
    assert result.tokens == () and result.candidates == ()


def test_completion_offers_phrasings_for_a_half_typed_question(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    offered = complete(index, "how many peo", "en", 25)
    assert offered and all(fid == "registrations" for fid, _text in offered[:3])
    assert all(text.lower().startswith("how many peo") for _fid, text in offered)
    ja = complete(index, "マイナ保険証の利", "ja", 25)
    # both start with what was typed: the usage rate's and the registrations' (利用登録) phrasings
    assert ("usage-rate", "マイナ保険証の利用率は？") in ja[:2] and all(text.startswith("マイナ保険証の利") for _fid, text in ja[:2])
    assert len(complete(index, "usage", "en", 25)) <= 25
    assert complete(index, "x", "en", 25) == []


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("what is 29.6%?", "hospitals-using-system"),
        ("２９．６％って何の数字？", "hospitals-using-system"),
        ("where does 68.2 percent come from", "hospitals-using-system"),
        ("is 892 hospitals or patients?", "survey-overview"),
        ("8730万人って何？", "registrations"),
        ("what is 87.30 million", "registrations"),
        ("pharmacy survey 993", "pharmacies-using-shared-data"),  # a number of a figure's base
        # 87.0% exactly before 87.4% rounded to it
        ("what's the 87% figure?", "pharmacies-using-shared-data"),
        ("what is 87.4%?", "registrations"),
        # "over 42%" is what a precise 42.x% was rounded down to
        ("where does 42.7 percent come from?", "no-merit-for-hospitals"),
        # "figure" says nothing of a subject
        ("what's the 29.6% figure for hospitals in that survey?", "hospitals-using-system"),
        # a number with a counter, alone or asked about in so many words
        ("12桁？", "my-number-digits"),
        ("87.8% means what exactly", "registrations"),
        ("１２桁って何の数字？", "my-number-digits"),
        # which month a figure is from
        ("4.33% - which month is that from?", "usage-rate"),
        ("4.33% — which month is that?", "usage-rate"),
    ],
)
def test_figure_questions_get_the_fact_holding_the_figure(answerer: Answerer, question: str, fact_id: str) -> None:
    reply = answerer.ask(question)
    assert (reply.kind, reply.fact_id, reply.reason) == ("answer", fact_id, "figure")


def test_an_unknown_figure_is_declined_saying_so(answerer: Answerer) -> None:
    reply = answerer.ask("what is 55.5%?")
    assert reply.kind == "decline" and reply.reason == "unknown_figure" and "55.5%" in reply.sentence
    # "over 42%" stands for 42.x%, not for 43.4%
    assert answerer.ask("what is 43.4%?").reason == "unknown_figure"
    # the sentence of a message that asks what a percentage is, and a figure named with its subject
    assert answerer.ask("what's 73.1% about? saw it in a tweet about maina hokensho").reason == "unknown_figure"
    assert answerer.ask("what's the 60.2% figure for hospitals in that survey?").reason == "unknown_figure"
    # "<figure> what?", and the words of the cue do not count against a figure question
    assert answerer.ask("2.1 million what? saw it next to maina hokensho").reason == "unknown_figure"
    assert answerer.ask("where does the 1.2 million number come from in the hospital survey").reason == "unknown_figure"
    # a scale word is part of the figure: "1 trillion yen" is not the "1 year" of a fact, "200k" is 200,000
    assert answerer.ask("1 trillion yen").reason == "unknown_figure"
    assert answerer.ask("what is 200k?").reason == "unknown_figure"
    # two precise figures quoted together name the fact holding both; a declined pair names the one no fact holds
    assert answerer.ask("where do 36.3 and 46.2 come from?").fact_id == "patients-no-merit"
    reply = answerer.ask("36.3 and 55.5?")
    assert reply.reason == "unknown_figure" and "55.5" in reply.sentence and "36.3" not in reply.sentence
    assert answerer.search("29.6 or 36.3?").figure == ""  # two facts' figures: no figure question
    # a month is a time asked about, not a figure
    assert answerer.search("ほな４月からは？").figure == "" and answerer.search("2025年6月って利用率30%こえてた？").figure == ""
    # an age after "over" is no figure
    assert answerer.search("What's the usage rate among people over 75?").figure == ""


@pytest.mark.parametrize(
    "question",
    [
        "７５歳以上のじいちゃんばあちゃんには何が届くの？",  # an age, not a figure
        "８９２の病院のうち、使ってないのは何％？",  # asks for another number, 892 is context
        "of the 892 hospitals, how many look at patient data?",
        # a number with a counter describes what is asked about
        "１２桁の番号って外国人にもふられてるの？",
        "マイナ保険証の読み取り機って１台いくらするん？",
    ],
)
def test_a_number_that_is_context_is_not_a_figure_question(answerer: Answerer, question: str) -> None:
    assert answerer.search(question).figure == ""
    assert answerer.ask(question).reason not in ("figure", "unknown_figure")


def test_learned_model_is_trained_with_the_index_and_ranks_with_it(kb: KnowledgeBase) -> None:
    index = SearchIndex(kb)
    assert index.model is not None
    result = index.search("did patients themselves find the card worth it?")
    assert result.top is not None and result.top.learned > 0 and 0 < result.confidence < 1


def test_a_share_of_whom_is_counted_before_the_cue_in_japanese(answerer: Answerer) -> None:
    # 「病院の何割が」 counts hospitals: the pharmacies' survey, which mentions hospitals too, is not the answer
    assert counted_clause("病院の何割がマイナ保険証の情報を実際に見てるんですか？") == ("病院", True)
    reply = answerer.ask("病院の何割がカードの情報をちゃんと見てるの？")
    assert (reply.kind, reply.fact_id) == ("answer", "hospitals-using-system")
    # 「…って答えたのは何％」 counts what they answered, not a subject of its own
    assert counted_clause("病院のうち、使ってないって答えたのは何％？") == ("", False)
    assert answerer.ask("８９２の病院のうち、使ってないって答えたのは何％？").fact_id == "hospitals-using-system"
    # a past "held" is holding one
    assert answerer.ask("How many people held a My Number card at the end of October 2025?").fact_id == "cardholders"


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("how many clinics were surveyed?", "clinic"),
        ("薬局向けの調査では、何割の薬局が患者情報を活用していましたか？", "薬局"),
    ],
)
def test_what_a_quantity_question_counts_must_be_in_the_answer(answerer: Answerer, question: str, counted: str) -> None:
    """Whatever the matcher ranks first, the answer never counts something else: the fact
    answering holds what is counted (in English after "how many", in Japanese after 「何割の」)."""
    reply = answerer.ask(question)
    if reply.answered:
        fact = answerer.index.docs[answerer.index._position[reply.fact_id]]
        assert any(counted in token for token in fact.fields)
    else:
        assert reply.kind in ("suggest", "decline")


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("とうろくのかいじょって できるの？", 2),  # 登録, 解除: two words apart
        ("ひも付けミスって何件？", 2),  # 紐付, ミス
        ("保険証", 1),  # 保険, 険証 chain: one word
        ("資格確認書", 2),  # four bigrams in a chain: a compound of two words
        ("usage rate", 2),
    ],
)
def test_known_words_of_japanese_count_separate_words(answerer: Answerer, question: str, words: int) -> None:
    assert answerer.search(question).known_words == words


def test_a_four_letter_word_with_its_middle_letters_swapped_is_repaired(answerer: Answerer) -> None:
    # "mnay" is "many" (a stop word), "wrok" is "work"; a swap at the end is left alone, since
    # it turns real words into each other ("lost" is not "lots")
    assert answerer.search("how mnay people registered the card as insurance").unknown == ()
    assert answerer.search("when does the old card stop wrok").unknown == ()
    assert answerer.search("how many people lost the card").unknown == ("lost",)


@pytest.mark.parametrize("question", ["my numbr card regestrations total?", "whats the maina hokenshou usgae rate rn"])
def test_misspelt_inflected_words_are_repaired(answerer: Answerer, question: str) -> None:
    """A misspelt word is stemmed before it is repaired: the stems of the synonyms are targets too."""
    result = answerer.search(question)
    assert result.unknown == () and answerer.ask(question).answered


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("did the hospitals see any merit for themselves, not for patients?", "no-merit-for-hospitals"),
        ("患者じゃなくて病院にとってのメリットがないと答えた割合は？", "no-merit-for-hospitals"),
    ],
)
def test_a_subject_set_aside_is_not_what_is_asked(answerer: Answerer, question: str, fact: str) -> None:
    assert answerer.ask(question).fact_id == fact
    # the words of the clause are left out of the search, not the rest of the question
    assert without_set_aside("what share of clinics (not hospitals) said so?").split() == ["what", "share", "of", "clinics", "said", "so?"]
    assert without_set_aside("hospitals not using the system") == "hospitals not using the system"  # "not" inside a clause stays
    assert "patients" not in without_set_aside("what did the hospitals say about benefits for THEMSELVES, not patients?")  # after a comma, at the end
    assert "patients" not in without_set_aside("for the hospitals themselves — not the patients — how many said so?")


def test_how_many_said_counts_who_said_it_not_what_they_said() -> None:
    assert counted_clause("of the hospitals, how many said the system brought them nothing?") == ("", False)
    assert counted_clause("how many clinics were surveyed?") == ("clinics were surveyed", False)
    # other words for saying so, and people counted whoever they are
    assert counted_clause("among medical centres using it, how many reckon it does nothing for patients?") == ("", False)
    assert counted_clause("how many folks who filled in the paper questionnaire felt it was pointless?") == ("", False)
    assert counted_clause("how many of those places said it helped them notice the same drug twice?") == ("", False)


@pytest.mark.parametrize(
    "question",
    [
        "what fraction of card holders is that?",
        "2025年9月に保険証登録した人は何人？カード持ってる人の何%？",
    ],
)
def test_a_share_of_some_people_is_not_the_count_of_them(answerer: Answerer, question: str) -> None:
    # the registrations are a share of the cardholders (87.4%); the cardholders fact counts them
    reply = answerer.ask(question)
    assert (reply.kind, reply.fact_id) == ("answer", "registrations")
    assert share_base("what % of cardholders have registered it?") == "cardholders"
    assert share_base("カード持ってる人のうち何割？") == "カード持ってる人"
    assert share_base("カード持ってる人に対しては何％？") == "カード持ってる人"
    assert share_base("registration share among cardholders in Sept 2025") == "cardholders"  # a date is not part of them
    # named before the cue: "of everyone who …, what share", 「…のうち…割合」
    assert share_base("of everyone who owns a My Number card, what share have registered it?") == "owns a My Number card"
    assert share_base("カード持ってる人のうち保険証として登録してる割合は？") == "カード持ってる人"
    for question in (
        "of everyone who owns a My Number card, what share have registered it for insurance as of the latest count?",
        "カード持ってる人のうち保険証として登録してる割合、2025年9月だといくつ？",
    ):
        assert answerer.ask(question).fact_id == "registrations"
    # a negative verb ends the people named, as the positive one does
    assert share_base("what % of hospitals weren't using it in that 2023 survey?") == "hospitals"
    assert answerer.ask("what % of hospitals weren't using it in that 2023 survey?").fact_id == "hospitals-using-system"


def test_a_request_is_an_asking_sentence(answerer: Answerer) -> None:
    # 「…を教えてください。」 asks as much as a question mark does: its subject we have no figure for
    # (how to apply for the card) is read for a decline
    assert asking(["マイナンバーカードの申請方法を教えてください。", "必要な書類は何ですか？"])[0].startswith("マイナンバーカード")
    # "I need …", "could someone …" ask; a closing thanks is not the question; what follows
    # "I need one number:" is what is asked
    assert asking(["sup.", "i need the latest registrations number.", "thank u bot ily"]) == ["i need the latest registrations number."]
    assert asking(["Could someone give me that number?", "Thank you so much!"]) == ["Could someone give me that number?"]
    assert asking(["I just need ONE number for my slide lol:", "% of cardholders who registered it, latest you have."])[1].startswith("%")
    assert asking(["I moved here in 2022.", "thanks"]) == ["thanks"]  # nothing else asks: the last sentence
    reply = answerer.ask("マイナンバーカードの申請の仕方を教えてください。持っていく書類は何ですか？")
    assert (reply.kind, reply.reason) == ("decline", "not_covered")


def test_a_context_clause_does_not_pick_the_fact(answerer: Answerer) -> None:
    # the pharmacy is where the asker's mother works; the question is the national usage rate
    message = "やっほー！母が薬局で働いてて、最近マイナ保険証使う人増えたって言ってたんだけど、マイナ保険証の利用率って今どのくらい？"
    assert answerer.ask(message).fact_id == "usage-rate"


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        # a count asked for with one known word is a question, not a topic
        ("how many people were registered?", "registrations"),
        # "the nation's residents" are the population, not a national ID's subject
        ("What share of the nation's residents carry one of those My Number cards nowadays?", "cardholders"),
        # "usage rat": a real word, so the typo repair leaves it alone; read as the usage rate
        ("usage rat in feburary 2025??", "usage-rate-2025-monthly"),
        # a month and year in kana pick the fact with a figure for it
        ("マイナほけんしょうの りようりつ、2025ねん4がつは？", "usage-rate-2025-monthly"),
        # "like 2000" is a number remembered, not a year asked about
        ("how many hospitals in that MHLW survey had the system set up? my coworker swears it was like 2000", "survey-overview"),
        # a share "among cardholders" is taken of them: the registrations (87.4% of cardholders), not their count
        ("I need the registration share among cardholders in Sept 2025", "registrations"),
        # "how long ... valid" asks for a number of years: the ordinance's "up to 5 years"
        ("how long is a 資格確認書 valid at most? my sister says only 1 year", "issuance-end-ordinance"),
        # the article's source named in Japanese
        ("この記事の出どころってどこ？共同通信？", "survey-overview"),
        # a sum in yen that is a bet is not a question about costs
        ("what was the usage rate in november 2024? I bet you 500 yen it was under 20%", "usage-rate"),
        # typos of "didn't"; "opted into" is registering and card "owners" hold one
        ("Hospitals that dint see any benefit for themselfs, whats the %?", "no-merit-for-hospitals"),
        ("How many ID-card owners had opted into using it for medical coverage by the close of October 2025?", "registrations"),
        # romanised 件数 and 最新
        ("maina hokenshou touroku kensuu saishin", "registrations"),
        # 「病院にとって」, 「病院そのもの」: the hospitals themselves, not the patients they see
        ("2023年の調査で、病院にとってメリットがないと答えたのは何％？", "no-merit-for-hospitals"),
        ("病院そのものにとってのメリットがないって答えたのは何割くらいですか", "no-merit-for-hospitals"),
        ("病院側にとってメリットないって答えたの何割だっけ", "no-merit-for-hospitals"),
        # "heads up" and "newbie" are chat; a system "created" is launched
        ("heads up, total newbie to japan stuff here 🙋 when was this my number system even created? like which year?", "system-launch"),
        # full-width ｍｙナンバー, romaji kakuninsyo
        ("ｍｙナンバーの番号って何桁だっけｗ", "my-number-digits"),
        ("shikaku kakuninsyo how long is it vaild", "issuance-end-ordinance"),
        ("shikaku kakuninsyo wa nan nen yuukou?", "issuance-end-ordinance"),  # romaji 何年 and 有効
        ("今の利用率おしえてください〜🙇‍♀️", "usage-rate"),  # 利用率 asks for a rate: one known word is enough when sure
        # "does it do anything for patients": a merit for them
        ("in the 2023 survey, how many hospitals thought the system actually does anything for patients?", "no-merit-for-patients"),
        # "how long is it good for": how long it is valid
        ("my dad just got a 資格確認書 in the post. how long is it good for?", "issuance-end-ordinance"),
    ],
)
def test_questions_as_people_type_them(answerer: Answerer, question: str, fact: str) -> None:
    reply = answerer.ask(question)
    assert reply.answered and reply.fact_id == fact


@pytest.mark.parametrize(
    "question",
    [
        "how many digits of pi do you know?",  # one known word and an unknown one: not a question about the card
        "what was the maina hokensho usage in december 2024?",  # the usage asks for a share; the issuance date of that month is no answer
        "hi, is having a my number card legally mandatory now?",  # a declared gap
        "how many hospitals nationwide have installed the online eligibility system?",  # the survey's 892 are not all of Japan's
        "how long does it take to get a my number card after applying?",  # the 12-digit number is no answer to "how long"
        "what do YOU think, is the My Number card good or bad for patients? just want your honest opinion",  # no opinions
        "マイナ保険証って結局やめたほうがいいと思う？正直な意見ほしい",
        "What percentage of women versus men have registered their My Number card as a health insurance card?",
        "On average how long does a My Number card check take at hospital reception?",
        "調査に答えた患者って何人いたの？",
        "what's the 74.3% figure people quote about maina hokensho?",  # a figure we do not hold
        "マイナ保険証の2024年度の利用率って年間平均で何％くらいだったんですか？",  # no yearly averages
        "What percentage of hospitals in the 2023 survey said their card readers kept malfunctioning?",
        "In the 2023 survey, what did hospitals with more than 500 beds say compared to small hospitals?",
        "How many hospitals in the 2023 survey said the card helped them cut down on paperwork at reception?",
        "hey, how many patients actually took part in the mail and online patient surveys?",
        "マイナ保険証の英語って何て言うの？",
        "Which ministry body took up the survey results, and on what day?",
        "is the number on the card random or does it come from your birthday?",
        "how often does the average person use the card each month?",
        "has anyone taken the government to court over the card?",
        "is it safe to let the clinic see my prescriptions?",
        "which country did Japan copy the My Number system from?",
        "is a doctor's visit cheaper if I show the maina hokensho?",
        "can ambulance crews read my My Number card in an emergency?",
        "電子処方箋ってマイナ保険証で使えるの？",
        "is there a penalty for not getting a My Number card?",
        "didn't an earlier survey find something like 56% saw no merit?",
        "were the patient survey answers from all patients or only card users?",
        "how many hospitals are there in Japan in total?",
        "how many nurses quit because of the card?",
        "which manufacturer makes the most reliable card readers?",
        "is it safer to carry the My Number card or the old card?",
    ],
)
def test_near_topic_questions_are_not_answered(answerer: Answerer, question: str) -> None:
    assert not answerer.ask(question).answered


def test_a_clause_setting_a_subject_aside_with_even(answerer: Answerer) -> None:
    text = "is the card pointless for the hospital itself, not even talking about patients."
    assert "patients" not in without_set_aside(text)
    assert "hospital itself" in without_set_aside(text)


@pytest.mark.parametrize(
    ("question", "gap"),
    [
        ("hi! foreign resident here, I'm on a working holiday visa. do I need a particular visa status to get a my number card?", "visitors"),
        ("外国人でもマイナ保険証つかえますか？在留カードだけじゃだめ？", "visitors"),
        ("ok so what's the usage rate for people in their 20s vs the elderly?", "age-groups"),
        ("マイナンバーカードってどこで申し込めばいいの？市役所？", "card-applications"),
        ("yo how many hospitals nationwide still don't have the online eligibility system installed at all?", "card-reader-counts"),
        ("why is the online number so much higher?", "survey-mode-difference"),
        ("患者アンケート、郵送とネットで数字がちがうのはなんでですか？", "survey-mode-difference"),
        ("why do ppl cancel tho, any data on reasons?", "cancellation-reasons"),
        ("how many people in japan have no health insurance at all", "uninsured"),
        ("hey, can my wife use my maina card at the hospital or does she need her own? she's a dependent on my company insurance", "family-use"),
        ("does the my number card store my blood type?", "card-contents"),
        ("マイナ保険証のカードリーダーの故障率ってデータある？", "system-outages"),
        ("how long does it take for a newborn to get assigned a my number", "number-assignment"),
        ("新しい計算方法の利用率って、何か月遅れで出てくるん？", "survey-publication"),
        ("how much does the government pay hospitals to install the card reader system?", "card-costs"),
        ("what share of prescriptions in Japan are generic drugs?", "generic-drugs"),
        ("マイナンバーカードの作り方教えてー　写真とかいるん？", "card-applications"),
        ("does anyone know how often the card readers fail to read the card at clinics?", "system-outages"),
        ("顔認証の失敗率ってわかる？", "system-outages"),
        ("what share of people under 30 have registered the card for insurance?", "age-groups"),
        ("マイナ保険証が使える病院は全国で何か所？", "card-reader-counts"),
        ("マイナ保険証ってかいがいでもつかえるの？", "abroad"),
        ("マイナカードなくしちゃったらどうなるの？", "card-security"),
    ],
)
def test_subjects_without_a_figure_are_declined_saying_which(answerer: Answerer, question: str, gap: str) -> None:
    reply = answerer.ask(question)
    assert (reply.kind, reply.reason) == ("decline", "not_covered") and gap in answerer.search(question).gaps


def test_a_count_asked_for_instead_of_a_share_is_not_answered_with_a_share(answerer: Answerer) -> None:
    # the survey gives how many hospitals use the system only as shares of the 892
    text = "how many hospitals used the system to view patient data? I mean the count, not the percentage"
    assert answerer.search(text).counted
    assert (answerer.ask(text).kind, answerer.ask(text).reason) == ("decline", "type_mismatch")
    assert answerer.ask("how many hospitals used the system to view patient data?").fact_id == "hospitals-using-system"
    # a count the fact holds is still given
    assert answerer.ask("how many people registered the card as insurance? the number, not the percentage").fact_id == "registrations"


def test_a_count_asked_for_is_the_fact_with_that_count_not_shares_of_it(answerer: Answerer) -> None:
    # 892 is the survey's count of hospitals with the system; the usage fact gives shares of them
    assert answerer.ask("how many hospitals had the system installed?").fact_id == "survey-overview"
    assert answerer.ask("how mnay hospitals had the system installed?").fact_id == "survey-overview"  # misspelt, the same count
    assert answerer.ask("how many hospitals use the system to view data?").fact_id == "hospitals-using-system"
    # one fact answers both parts of this one
    assert answer_alone(answerer, "when did the survey run and how many hospitals had the system installed?").fact_ids == ("survey-overview",)


def test_what_the_writer_says_they_know_before_but_is_context(answerer: Answerer) -> None:
    question = "the boss asked me to explain the old cards. I know they stopped making new ones, but when did the cabinet actually decide the date?"
    assert answerer.ask(question).fact_id == "issuance-end-ordinance"


def test_what_the_card_lets_doctors_see_is_the_viewable_data(answerer: Answerer) -> None:
    assert answerer.ask("what did the ministry say the card actually lets doctors see? like my whole history or just meds?").fact_id == "viewable-data"


def test_asking_whether_to_switch_is_asking_for_advice(answerer: Answerer) -> None:
    assert answerer.search("マイナ保険証に切り替えるべきか迷ってます。正直どう思いますか？").gaps == ("opinions",)
    assert answerer.search("病院はマイナ保険証をどう思いますか？").gaps == ()  # what hospitals think: the survey


@pytest.mark.parametrize(
    "question",
    ["what do you think the usage rate is now?", "how many people registered? what do you think", "病院はマイナ保険証をどう思う？"],
)
def test_asking_what_someone_thinks_of_a_figure_is_no_request_for_an_opinion(answerer: Answerer, question: str) -> None:
    assert "opinions" not in answerer.search(question).gaps
    assert answerer.ask("honestly, what do YOU think, is the card good or bad for patients? your honest opinion").reason == "not_covered"


def test_a_figure_asked_about_with_a_declared_gap_is_declined(answerer: Answerer) -> None:
    reply = answerer.ask("What's the margin of error on the 46.2% online figure?")
    assert (reply.kind, reply.reason) == ("decline", "not_covered")
    assert answerer.ask("what is 46.2%?").fact_id == "patients-no-merit"  # the figure alone is still answered


@pytest.mark.parametrize(
    "question",
    [
        "how many patients actually answered the mail survey vs the online one? I need the sample sizes for a class",
        "does the bot know when the ministry actually put out those hospital survey results?",
        "What share of hospitals in the 2023 survey said the card made reception faster?",
        "What share of Japan's doctors personally prefer the card over paper?",
        "hey, how much does the card reader cost a hospital to install?",
        "did the survey say why some hospitals hadn't installed the system yet?",
        "how many hospitals reported card reader glitches in 2023?",
        "my kid is 5, does she need her own card for the insurance?",
        "マイナ保険証、ぶっちゃけ登録したほうがええと思う？",
        "転職したら保険証の切り替えってどうやるの？手続き教えて",
        "What will life look like for people without the ID card ten years from now?",
        "does the government sell our health data to drug companies?",
        "thoughts on whether I should register the card or just get the eligibility certificate instead?",
        "what percentage of hospitals nationwide even have the readers installed?",
        "まいなほけんしょって、なんさいからつかえるの？",
        "card reader error rate 2023",
        "Did anybody ask the doctors and nurses themselves, one by one, how they felt about it?",
        "Can you just tell me whether the government is going to scrap the whole my number insurance thing sometime in 2026?",
        "heya, when the ministry ran that hospital survey, how many hospitals even replied?",
        "厚労省の調査って何病院に送ったんですか？回収率は？",
        "the patient side of the survey: were those people who'd actually used the card, or just anyone?",
    ],
)
def test_survey_sizes_publication_reception_and_doctors_views_are_declared_gaps(answerer: Answerer, question: str) -> None:
    reply = answerer.ask(question)
    assert (reply.kind, reply.reason) == ("decline", "not_covered")


def test_a_month_asked_without_its_year_takes_the_year_the_message_names(answerer: Answerer) -> None:
    question = "hmm looking at 2025: what was the usage rate in January vs June? want to see how fast it climbed"
    assert answerer.search(question).dates == ("2025-01", "2025-06")
    assert answerer.ask(question).fact_id == "usage-rate-2025-monthly"


def test_figures_quoted_that_the_best_fact_holds_count_as_known_words(answerer: Answerer) -> None:
    question = "Alright I'm confused now. I saw 37% somewhere and 47% somewhere else, BOTH for October 2025. which one is wrong??"
    result = answerer.search(question)
    assert result.quoted_held == 2 and result.known_words == 0
    assert answerer.ask(question).fact_id == "usage-rate-basis-change"
    # a figure no fact holds near is no evidence
    assert answerer.search("I saw 99% somewhere. which one is wrong??").quoted_held == 0


@pytest.mark.parametrize(
    "question",
    [
        "was the usage rate ever 9.8%?",
        "the survey said 22.7% of patients found the card useful — right?",
    ],
)
def test_a_precise_figure_the_best_fact_does_not_hold_is_not_confirmed(answerer: Answerer, question: str) -> None:
    reply = answerer.ask(question)
    assert (reply.kind, reply.reason) == ("decline", "unknown_figure")
    assert reply.sentence.startswith("I have no sourced figure about ") and "%" in reply.sentence


def test_a_figure_quoted_for_a_month_we_hold_is_answered_with_that_months_figure(answerer: Answerer) -> None:
    # the reply gives December 2023's own figure (4.29%), which corrects the one quoted
    reply = answerer.ask("I read the usage rate was 5.1% in December 2023, is that right?")
    assert reply.fact_id == "usage-rate"
    assert "4.29%" in render_text(reply)


def test_round_figures_quoted_are_guesses_not_claims(answerer: Answerer) -> None:
    # "under 20%" and "half" are guesses: the fact is still the answer
    assert answerer.ask("what was the usage rate in november 2024? I said under 20%").fact_id == "usage-rate"
    assert answerer.search("was the usage rate ever 9.8%?").quoted_missing == ("9.8%",)
    # a bound with decimals ("under 4.5%") is no figure read somewhere either
    assert answerer.search("usage slid under 4.5% in November 2023, right?").quoted_missing == ()


def test_a_question_pointing_back_asks_about_the_sentence_before_it(answerer: Answerer) -> None:
    # "mandatory" is a declared gap, named in the sentence that "for that" points back at
    reply = answerer.ask("My cousin says the card will be made mandatory for all residents. is there a date for that?")
    assert reply.kind == "decline" and reply.reason == "not_covered"


def test_known_words_only_outside_the_sentences_that_ask_are_context(answerer: Answerer) -> None:
    text = "does anyone know whether the trains are running in Nagoya today? I have to bring my insurance card to the clinic later"
    assert answerer.search(text).unasked
    assert answerer.ask(text).kind == "decline"
    # a question pointing at the rest of the message ("is that true?") is about it
    pointing = "is that true? my friend says the usage rate was only 4% in 2023"
    assert not answerer.search(pointing).unasked
    assert answerer.ask(pointing).fact_id == "usage-rate"
    # so is a bet about claims made before it
    bet = "settle a bet: coworker says the card usage rate was under 5% in autumn 2023, I say more like 10%. who's buying drinks?"
    assert not answerer.search(bet).unasked


def test_two_figures_quoted_that_one_fact_holds_name_it(answerer: Answerer) -> None:
    reply = answerer.ask("37.14% vs 47.26% whats the diff")
    assert reply.answered and reply.reason == "figures" and reply.fact_id in ("usage-rate", "usage-rate-basis-change")
    # one of them not held: no answer on the strength of the other
    assert not answerer.ask("37.14% vs 12.34% whats the diff").answered


def test_a_change_of_method_in_a_month_is_no_figure_asked_for_that_month(answerer: Answerer) -> None:
    # the usage rate's basis changed in December 2025; no usage rate is for that month, and none is asked
    reply = answerer.ask("what did the government change about the usage rate calculation in December 2025?")
    assert reply.fact_id == "usage-rate-basis-change"


def test_a_share_asked_at_a_kind_of_place_needs_a_fact_naming_it(answerer: Answerer) -> None:
    # the overall usage rate has 2023 figures but none for pharmacies; the breakdown by kind of
    # facility names them but has no 2023 figure
    reply = answerer.ask("how high was the card usage rate at pharmacies in 2023?")
    assert reply.kind == "decline" and reply.reason == "subject_not_covered"
    assert answerer.ask("what's the usage rate at pharmacies?").fact_id == "usage-rate-by-facility"
    # the overall usage rate is named with clinics only in its phrasings ("is the card used at the
    # clinic?"): the breakdown, with a figure for clinics, answers a rate asked at clinics
    assert answerer.ask("what is the usage rate of the card at clinics these days?").fact_id == "usage-rate-by-facility"


def test_a_more_precise_figure_than_a_rough_one_is_declined_saying_so(answerer: Answerer) -> None:
    reply = answerer.ask("the article said over 42 percent of hospitals saw no merit for themselves. is there a more exact number?")
    assert (reply.kind, reply.reason) == ("decline", "no_precise_figure")
    assert "over 42%" in reply.sentence
    # a figure the fact gives exactly is the answer to the same request
    assert answerer.ask("half of hospitals said patients get no merit. what's the precise number?").fact_id == "no-merit-for-patients"


def test_an_age_in_hiragana_is_no_figure_asked_about(answerer: Answerer) -> None:
    reply = answerer.ask("おばあちゃん８２さいなんやけど、しかくかくにんしょってなに？")
    assert reply.answered and reply.fact_id in ("eligibility-certificate", "late-elderly-eligibility-certificates")


def test_instead_is_a_word_of_its_own(answerer: Answerer) -> None:
    # "instead" is what tells the eligibility certificate from the registrations
    reply = answerer.ask("what do people get instead if they never link their ID to their coverage?")
    assert reply.fact_id == "eligibility-certificate"


def test_a_remark_about_someone_after_the_questions_is_not_a_subject_asked_about(answerer: Answerer) -> None:
    # "smartphone" is a declared gap; said of the grandmother after the questions, it is context
    text = "my grandpa is 80 and got a paper certificate in the mail. until when can he use it? he doesn't even have a smartphone"
    assert answerer.search(text).gaps == ()
    assert answerer.ask(text).fact_id == "late-elderly-eligibility-certificates"
    # asked about, it is still declined
    assert "smartphones" in answerer.search("my grandpa is 80. can he use the card on a smartphone?").gaps


def test_a_back_when_clause_sets_the_time_and_the_question_follows(answerer: Answerer) -> None:
    # the registrations name the time; what is asked is how often the card was used then
    assert answerer.ask("back when registrations passed 70 million, how often did people actually use the card at reception?").fact_id == "usage-rate"


def test_a_share_in_a_statement_does_not_make_the_question_ask_for_one(answerer: Answerer) -> None:
    text = "my old insurance card expired last month but the clinic still charged me the usual 30%. is that allowed?"
    assert answerer.search(text).qtype == "other"
    assert answerer.ask(text).fact_id == "expired-certificate-grace-period"
    assert answerer.search("the clinic charged me 30%. what share of visits use the card?").qtype == "quantity"


def test_what_is_known_before_but_what_about_is_context() -> None:
    text = "right, hospitals don't see much in it for patients, but what about for the hospitals themselves? did it help them?"
    parts = sentences(text, clauses=True)
    assert parts[:2] == ["right, hospitals don't see much in it for patients,", "but what about for the hospitals themselves?"]
    assert parts[0] not in asking(parts)


def test_a_place_named_in_a_remark_after_the_question_is_not_asked_about(answerer: Answerer) -> None:
    text = "what's the usage rate for the my number insurance card these days? my coworker swears every pharmacy she walks into has one of those face-scan readers now"
    assert answerer.ask(text).fact_id == "usage-rate"
    # asked about, the place is still read: no national figure is given for pharmacies
    assert answerer.ask("what's the usage rate for the my number insurance card at pharmacies these days?").fact_id != "usage-rate"


def test_a_time_told_after_a_comma_is_not_what_a_count_counts(answerer: Answerer) -> None:
    # "right around when they stopped issuing the old cards" says when; the registrations are counted,
    # and once they rank first, their October 2024 figure answers the month asked
    text = "how many registrations were there in October 2024, right around when they stopped issuing the old cards?"
    assert counted_clause(text)[0].strip() == "registrations were there in October 2024"
    reply = answerer.ask(text)
    assert reply.fact_id == "registrations" and reply.answered


def test_mynacard_typed_as_one_word_is_the_my_number_card(answerer: Answerer) -> None:
    assert "mynacard" not in answerer.search("mynacard registrations sept 2025").unknown
    assert answerer.ask("mynacard registrations sept 2025").fact_id == "registrations"


def test_common_misspellings_of_many_are_no_unknown_words(answerer: Answerer) -> None:
    result = answerer.search("how meny hospitls said no benifit for patints")
    assert "meny" not in result.unknown
    assert answerer.ask("how meny hospitls said no benifit for patints").fact_id == "no-merit-for-patients"


def test_turning_against_the_system_is_its_unpopularity_and_what_made_it_asks_why(answerer: Answerer) -> None:
    # a year named in a "what made …" question is when the reason is asked for, not a figure's month
    assert answerer.ask("what made people turn against the system in 2023?").fact_id == "public-concerns"


def test_the_japanese_word_for_a_thing_is_a_question_about_the_thing(answerer: Answerer) -> None:
    reply = answerer.ask("hello 🌸 simple q, what's the japanese word for the eligibility certificate? my landlord mentioned it")
    assert reply.fact_id == "eligibility-certificate" and reply.answered


def test_only_good_for_some_months_asks_how_long_the_old_cards_stay_valid(answerer: Answerer) -> None:
    assert answerer.ask("is it true the old insurance cards were only good for like 6 months after dec 2024?").fact_id == "old-certificate-expiry"


def test_records_hooked_up_to_the_wrong_person_are_wrong_links(answerer: Answerer) -> None:
    assert "mislink" in answerer.search("records hooked up to the wrong person").tokens
    assert "mislink" not in answerer.search("correct me if I'm wrong, how many people registered?").tokens


def test_an_age_of_75_or_more_in_japanese_is_the_over_75s(answerer: Answerer) -> None:
    reply = answerer.ask("おばあちゃん（８５さい）なんだけど、しかくかくにんしょってじどうでとどくの？")
    assert reply.fact_id == "late-elderly-eligibility-certificates"
    # an age under 75, or "75 or more" already written out, is left alone
    assert tokens("祖母は８５さい") == tokens("祖母は85歳") == tokens("祖母は75歳以上")
    assert tokens("祖母は70歳") != tokens("祖母は75歳以上") and tokens("85歳以上") == ("#85", "歳以", "以上")
    assert answerer.ask("75歳以上の親は資格確認書もらえるの？").fact_id == "late-elderly-eligibility-certificates"


def test_another_countrys_id_number_is_declined_but_a_comparison_with_one_is_not(answerer: Answerer) -> None:
    assert not answerer.ask("how do I get a US social security number as a foreigner?").answered
    assert answerer.ask("is my number like a social security number?").fact_id == "my-number-digits"


@pytest.mark.parametrize(
    "question",
    ["what if I never registered my card for insurance?", "and if you never set up the maina thing?", "what if i never link the card to insurance at all"],
)
def test_what_if_i_never_register_asks_what_people_get_instead(answerer: Answerer, question: str) -> None:
    assert answerer.ask(question).fact_id == "eligibility-certificate"
    # how many never did is still a count of registrations' kind, not the certificate
    assert "instead" not in answerer.search("how many people never registered their card?").tokens


def test_when_misspelt_still_asks_for_a_date(answerer: Answerer) -> None:
    assert answerer.search("wen do old hoken cards stop workng").qtype == "date"
    assert answerer.search("75+ ppl get the certifcate untill when").qtype == "date"


def test_a_when_question_about_one_subject_word_is_answered_when_the_matcher_is_sure(answerer: Answerer) -> None:
    # one known word ("survey") is enough for a date asked with every word known, as for a count
    assert answerer.ask("when was the survy done").fact_id == "survey-overview"
    # an unknown word in it keeps the "did you mean"
    assert answerer.ask("when was the zorblat survey done").kind != "answer"


def test_old_cards_that_stop_working_expire_rather_than_stop_being_issued(answerer: Answerer) -> None:
    assert answerer.ask("wen do old hoken cards stop workng").fact_id == "old-certificate-expiry"
    assert answer_alone(answerer, "when did they stop issuing old cards and when did the old ones stop working?").fact_ids == (
        "issuance-stopped",
        "old-certificate-expiry",
    )


def test_the_stand_in_paper_for_people_who_do_not_link_is_the_eligibility_certificate(answerer: Answerer) -> None:
    assert answerer.ask("For folks who skip the card, how long can their paper stand-in stay valid?").fact_id == "issuance-end-ordinance"
    assert answerer.ask("for how long can the substitute certificate stay valid at most").fact_id == "issuance-end-ordinance"


def test_abolished_in_the_past_tense_asks_what_happened_not_the_plan(answerer: Answerer) -> None:
    assert answerer.ask("紙の保険証って結局廃止されたん？").fact_id == "issuance-stopped"
    assert answerer.ask("保険証の廃止予定はいつ？").fact_id != "issuance-stopped"


def test_the_news_agency_that_reported_the_survey_is_kyodo(answerer: Answerer) -> None:
    assert answerer.ask("who published the survey and which news agency wrote the article?").fact_id == "survey-overview"
    assert answerer.ask("このマイナ保険証の記事って、最初に配信したの共同通信？").fact_id == "survey-overview"


def test_usage_rate_misspelt_in_both_words_and_which_figure_to_use_is_no_opinion(answerer: Answerer) -> None:
    assert answerer.ask("usgae rte jun 2025").fact_id == "usage-rate-2025-monthly"
    # "which figure should I use" asks for a figure; "should I use the card" asks the bot's advice
    assert answerer.search("which registration figure should I use as the most recent one?").gaps == ()
    assert "opinions" in answerer.search("should I use the card or stick with paper?").gaps
