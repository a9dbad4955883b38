from bot.text.normalise import clean, detect_lang, normalise, question_type, signature, tokens


def test_nfkc_width_and_case() -> None:
    assert normalise("ＭＹ　ＮＵＭＢＥＲ　ｶｰﾄﾞ！") == "my number カード"


def test_invisible_and_control_characters_removed() -> None:
    assert clean("us\u200bage\u202e rate\x00\ud800") == "usage rate"


def test_my_number_spellings_are_one_token() -> None:
    assert tokens("how many diigts is the my numbr") == tokens("how many diigts is the my number")
    assert "mynumber" in tokens("wrong linkes in my nubmer data")
    for text in ("My Number", "my-number", "MyNumber", "myna", "maina"):
        assert tokens(text) == ("mynumber",), text


def test_stop_and_chatter_words_dropped_and_stems_joined() -> None:
    assert tokens("hey guys, how many people registered?") == ("register",)
    assert tokens("registrations") == tokens("registered") == ("register",)


def test_synonyms_share_a_token() -> None:
    assert tokens("benefit") == tokens("advantages") == tokens("merit") == ("merit",)


def test_a_wrong_link_is_one_word_but_wrong_alone_is_chatter() -> None:
    assert tokens("how many wrong links") == tokens("records linked to the wrong person")[1:] == ("mislink",)
    assert tokens("mislinked") == ("mislink",)
    assert tokens("registration errors") == tokens("registration mix-ups") == ("mislink",)
    assert "holder" in tokens("what percentege of poeple have a my numbr card at all")  # having one, typed with typos
    assert question_type("今何千万件くらい？") == "quantity"
    assert question_type("資格確認書って何年使えるの？") == "other"  # how many years, not which year
    assert tokens("I'm 76 and my granddaughter set this up")[:2] == ("aged", "#75")  # someone's age of 75 or more
    # never having set the card up is not having registered it
    assert tokens("if I never set up the maina thing") == ("not", "register", "mynumber")
    assert tokens("correct me if I'm wrong") == ()


def test_having_a_card_is_holding_one() -> None:
    assert tokens("how many people have a My Number card") == tokens("how many people hold the My Number card") == ("holder", "mynumber", "card")
    assert tokens("do you own a card") == ("holder", "card")
    assert "holder" not in tokens("I don't have a My Number card")  # not having one is another question
    assert "holder" not in tokens("what problems has the card had")  # "has" there is a tense


def test_an_age_of_75_or_more_reads_as_the_over_75s() -> None:
    for text in ("my grandpa is 82", "she's 79 years old", "an 85-year-old man", "aged 75"):
        assert tokens(text) == ("aged", "#75"), text
    for text in ("the rate is 85.5%", "it is 80 percent", "he is 45", "registrations are 87 million"):
        assert "aged" not in tokens(text), text


def test_chat_spellings_of_stop_words_are_dropped() -> None:
    assert tokens("waht is teh usage rate") == tokens("what is the usage rate")
    assert tokens("whn did it start") == tokens("when did it start")
    assert tokens("how many individuals hold a card") == tokens("how many people hold a card")
    assert tokens("medical facilities") == tokens("hospitals") and tokens("the people they treat") == tokens("patients")
    assert tokens("sorry if this is a dumb question, random one for my uni blog: usage rate?") == tokens("usage rate?")
    assert tokens("新旧両方の基準") == ("新旧", "基準")  # 両方 (both) asks, it names nothing
    assert tokens("what does 68.2% refer to? need to cite it properly") == ("#68.2",)
    assert tokens("web survey") == tokens("online survey")
    assert tokens("mismatched entries") == tokens("mislinked records") and tokens("card gadget") == tokens("card reader")
    assert "cancel" in tokens("can I un-register my card?")
    # a letter stretched for emphasis: the word once ("soooo" is "so"), twice where that is it ("coool")
    assert tokens("soooo weird, hiii, usage rate plsss") == tokens("usage rate") and tokens("coool") == ()
    assert tokens("registrationsss") == tokens("registrations")
    assert tokens("hospitals that had the setup") == tokens("hospitals that had the system")
    assert tokens("a fresh insurance card") == tokens("a new insurance card")
    # usage that "passed 50%" went over a figure; a date that passed is a date that passed
    assert "pass" not in tokens("card usage at hospitals passed 50%") and "pass" in tokens("my expiry date already passed")


def test_negation_kept() -> None:
    assert "not" in tokens("hospitals that don't use it")
    assert "not" in tokens("hospitals that do not use it")


def test_japanese_bigrams_without_particles_or_question_phrases() -> None:
    assert tokens("利用率を教えてください") == ("利用", "用率")
    assert tokens("マイナ保険証") == ("マイ", "イナ", "保険", "険証")
    # 保健所 (a public health centre) typed for 保険証 after マイナ
    assert tokens("まいな保健所の利用率") == tokens("マイナ保険証の利用率")
    # Kansai negatives read as the standard ones
    assert tokens("登録してへん人は？") == tokens("登録してない人は？")
    assert tokens("使えへんの？") == tokens("使えないの？")
    # "said" (言った, 言うてた) is no subject, as "said" is not in English
    assert tokens("病院の何割が患者にメリットない言うてたん？") == ("病院", "患者", "メリ", "リッ", "ット")


def test_hiragana_spellings_of_key_words() -> None:
    assert tokens("しかくかくにんしょ") == tokens("資格確認書")
    # "can be seen", in kana or kanji: what the facts call 閲覧
    assert tokens("なにがみれるの") == tokens("何が見られる") == tokens("閲覧") == ("閲覧",)
    # half converted: 保険しょう, 利用りつ
    assert tokens("まいな保険しょうの利用りつ") == tokens("マイナ保険証の利用率")
    # romaji particles and time words carry no subject
    assert tokens("maina hokensho no riyouritsu tte 2023 nen no aki goro wa dorekurai deshita ka?") == tokens("maina hokensho riyouritsu 2023")


def test_a_japanese_date_is_numbers_not_words() -> None:
    assert tokens("2024年10月") == ("#2024", "#10")  # 年 and 月 after a number are not words
    assert tokens("2023年の調査") == ("#2023", "調査")
    assert tokens("年金") == ("年金",)


def test_numbers_become_number_tokens() -> None:
    assert tokens("29.6% of hospitals") == ("#29.6", "hospital")
    assert tokens("２０２４年") == ("#2024",)


def test_language_detection() -> None:
    assert detect_lang("マイナ保険証の利用率は？") == "ja"
    assert detect_lang("what is the usage rate") == "en"
    assert detect_lang("what does 保険証 mean in english?") == "en"


def test_question_type() -> None:
    assert question_type("How many people registered?") == "quantity"
    assert question_type("何人が登録しましたか") == "quantity"
    assert question_type("When did it start?") == "date"
    assert question_type("Over which months did the survey take place?") == "date"  # a plural asks when as well
    # a clause saying when, then a question that asks something else
    assert question_type("When a patient uses the card, what kind of info can the hospital see?") == "other"
    # asking which month a figure is for is no "when" question: the figure is asked for, with its month
    assert question_type("what's the latest usage rate? and say which month it's for") == "other"
    assert question_type("いつから解除できる？") == "date"
    assert question_type("what can doctors see when I visit") == "other"
    # いつ inside other words is not "when": くらい|つかわれてる (how much is it used), いつも (always)
    assert question_type("じっさいどれくらいつかわれてるの？") == "quantity"
    assert question_type("いつもマイナ保険証を使ってる") == "other"
    # a clause saying when, then a "how many" question
    assert question_type("when the old cards stopped, how many people had registered?") == "quantity"
    assert question_type("when, exactly, did it start?") == "date"
    assert question_type("hw many ppl registered") == "quantity"  # a chat spelling of "how"
    assert question_type("does anyone know when the old cards stopped being usable?") == "date"  # asked inside another question
    assert question_type("how mnay hospitals") == "quantity"  # and of "many"
    assert question_type("保険証は何枚期限切れに？") == "quantity"
    assert question_type("今の利用率おしえて") == "quantity"  # a rate (…率) is a share
    assert question_type("導入していた病院は何施設？") == "quantity"
    assert question_type("とうろくかいじょ したひと なんにんくらい？") == "quantity"  # 何人 typed in hiragana


def test_signature_ignores_order_case_and_punctuation() -> None:
    assert signature("How many hospitals use the system?") == signature("the system: hospitals use, how many")


def test_hostile_text_does_not_raise() -> None:
    for text in ("", " ", "\x00\x01", "👍" * 50, "?!.,", "\u202e" * 10, "a\u0301" * 1000, "x" * 100_000):
        tokens(text)


def test_the_word_lists_are_package_data() -> None:
    """The word lists live in bot/text/words.yaml: it must ship with the package, and every
    rule and list in it must be in use (a typo in a key would silently drop a whole list)."""
    import tomllib
    from pathlib import Path

    import yaml

    from bot.text import normalise as module

    root = Path(module.__file__).parents[2]
    package_data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert "words.yaml" in package_data["bot.text"]
    lists = yaml.safe_load((Path(module.__file__).parent / "words.yaml").read_text(encoding="utf-8"))
    assert set(lists) == {"stopwords", "synonyms", "english_rules", "japanese_rules"}
    assert "the" in module.STOPWORDS and tokens("usefulness") == ("merit",)
    assert tokens("riyouritsu") == ("use", "rate") and tokens("しかくかくにんしょ") == tokens("資格確認書")


def test_discord_markup_is_not_part_of_the_question() -> None:
    from bot.text.normalise import strip_markup, tokens

    text = "<@123456789012345678> <@!42> <@&7> <#99> <:maina:1234567890> usage rate? <a:wave:55>"
    assert strip_markup(text).split() == ["usage", "rate?"]
    assert tokens(text) == tokens("usage rate?")
    # nor is the bot addressed by name ("@bot", "hey bot")
    assert tokens("@bot what's the usage rate, bot?") == tokens("usage rate?")
    assert tokens("trick q for the bot: usage rate? whatever") == tokens("usage rate?")
    assert tokens("my coworker insists at lunch, honestly, that it'll be tiny") == tokens("")
    assert "launch" not in tokens("not trying to start a fight, and before my shift starts")

    # what hospitals "can see" is what they view ("see" alone is chatter: "let's see")
    assert "view" in tokens("What can hospitals see with the card?") and "view" in tokens("what doctors can see")


# The normaliser's shortcuts, each against the general path it stands in for.

_SHORTCUT_TEXTS = [
    "How many people?? 1,234,567 (29.6%) _under_score_ ... a.b 3. .5 \t\n\x1f\x7f end.",
    "don't  DOESN'T is n't per cent pct hoken-sho my-number mai na riyou ritsu",
    "マイナンバーカードの利用率は？ ほけんしょう、しかくかくにんしょ、パーセント、割合を教えて",
    "ﾏｲﾅﾝﾊﾞｰ　ｶｰﾄﾞ　５０％　１，０００人",
    "e\u0301t\u00e9 caf\u00e9 \u00adsoft\u200bhyphen \u3099\u309a が\u3099",
    "平成３０年度　東京都の病院　まいなほけんしょう",
    "",
]


def _clean_in_full(text: str) -> str:
    import unicodedata

    from bot.text import normalise as module

    if text.isascii():
        return module._ASCII_CONTROL_RE.sub("", text).lower()
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in module._DROP_CATEGORIES or ch in "\n\t ")
    return module._ERA_RE.sub(module._western_year, unicodedata.normalize("NFKC", kept).casefold())


def _normalise_in_full(text: str) -> str:
    from bot.text import normalise as module

    text = module._DIGIT_COMMA_RE.sub("", _clean_in_full(text))
    text = module._NOT_WORD_RE.sub(" ", text)
    text = module._LONE_DOT_RE.sub(" ", text)
    return " ".join(text.split())


def _canonical_in_full(norm: str) -> str:
    from bot.text import normalise as module

    if module._LATIN_RE.search(norm):
        norm = module._EN_RULES.sub(lambda match: module._EN_REPLACEMENT[match.lastgroup or ""], norm)
    if not norm.isascii():
        for _texts, pattern, replacement in module._JA_RULES:
            norm = pattern.sub(replacement, norm)
    return norm


def test_shortcuts_give_what_the_general_path_gives() -> None:
    from bot.text import normalise as module

    texts = _SHORTCUT_TEXTS + [text.upper() for text in _SHORTCUT_TEXTS] + [chr(code) * 3 for code in range(128)]
    for text in texts:
        assert clean(text) == _clean_in_full(text), text
        assert normalise(text) == _normalise_in_full(text), text
        norm = normalise(text)
        assert module._canonical(norm) == _canonical_in_full(norm), text


def test_the_plain_characters_are_all_kept_by_clean() -> None:
    """`clean` skips its character check on text made only of these: none may be one it drops."""
    import unicodedata

    from bot.text import normalise as module

    plain = [chr(code) for code in range(0x30000) if module._PLAIN_RE.fullmatch(chr(code))]
    assert "a" in plain and "漢" in plain and "ア" in plain and "\u3099" not in plain and "\u200b" not in plain
    assert all(unicodedata.category(ch) not in module._DROP_CATEGORIES for ch in plain)


def test_wrong_kanji_conversions_of_domain_words_are_read_as_meant() -> None:
    for typed, meant in (
        ("マイナ保険症", "マイナ保険証"),
        ("マイナ保険省", "マイナ保険証"),
        ("理容率", "利用率"),
        ("資格確認所", "資格確認書"),
        ("統録の解除", "登録の解除"),
        ("しすてむ", "システム"),
        ("利用律", "利用率"),
        ("厚労賞の調査", "厚労省の調査"),
        ("病因の何割", "病院の何割"),
        ("まいなんばーかーど", "マイナンバーカード"),
        ("ほゆう率", "保有率"),
        ("いつはじまったの", "いつ始まったの"),
        ("しかく確認所ってなに", "資格確認書ってなに"),
    ):
        assert tokens(typed) == tokens(meant), typed
    assert tokens("はじめまして") == ()  # a greeting, not 始
    assert question_type("保有率ってなんぱー？") == "quantity"  # なんパー: what per cent


def test_domain_paraphrases_and_chat_spellings() -> None:
    assert tokens("national ID") == tokens("My Number")
    # romanised Japanese: hokensyo, riyouritu, yuukou kigen
    assert tokens("maina hokensyo riyouritu") == tokens("maina hokensho riyou ritsu") == ("mynumber", "insurance", "card", "use", "rate")
    assert "expiry" in tokens("shikaku kakuninsho yuukou kigen")
    assert tokens("medical coverage") == tokens("medical insurance")
    assert tokens("when was it rolled out") == tokens("when was it launched")
    assert tokens("wen did it start") == tokens("when did it start")  # a chat spelling of a stop word
    assert tokens("how long's that thing good for") == tokens("how long is that thing valid")  # "'s" is "is"
    assert "long" not in tokens("and how long could I keep using mine?")  # how long it stays valid, not the number's length
    # "late 2024" is part of a date and "off the top of my head" a hedge: no words of a subject
    assert tokens("off the top of my head the registrations in late 2024") == tokens("registrations in 2024")
    # nor is who is writing ("foreign resident here"), though foreign residents may be asked about
    assert tokens("foreign resident here, how many hospitals use the system?") == tokens("how many hospitals use the system?")
    assert "resident" in tokens("can foreign residents get a my number?")
    # a rule's own groups ("\1") are what it matched, not another rule's: no stray "#1" token
    assert tokens("usage rat") == tokens("usage rate") and tokens("how long are they good for") == ("long", "expiry")
    # the words a rule keeps are read by the other rules too: "stand-in certificate" is the eligibility certificate
    assert tokens("how long is the stand-in certificate good for") == tokens("how long is the eligibility certificate valid")


def test_a_year_of_the_japanese_era_is_written_as_the_year_it_is() -> None:
    assert clean("令和6年11月時点") == "2024年11月時点"
    assert clean("令和元年") == "2019年" and clean("平成31年") == "2019年"
    assert "#2024" in tokens("令和6年11月時点の利用率はいくつでしょうか")


def test_romaji_hoken_is_insurance() -> None:
    assert "insurance" in tokens("my old paper hoken card")
