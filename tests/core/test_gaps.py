"""Declared gaps: English terms as whole words, Japanese terms as text, in declaration order."""

from bot.knowledge.gaps import GapMatcher
from bot.knowledge.model import Gap, Text
from bot.text.normalise import normalise


def _gap(gap_id: str, en: tuple[str, ...] = (), ja: tuple[str, ...] = ()) -> Gap:
    return Gap(gap_id, Text(en=gap_id, ja=gap_id), {"en": en, "ja": ja}, "not_covered.yaml")


MATCHER = GapMatcher([_gap("cost", en=("cost", "card reader price")), _gap("dental", en=("dental",), ja=("歯科",)), _gap("osaka", en=("Osaka",))])


def _gaps(text: str) -> tuple[str, ...]:
    return MATCHER(normalise(text))


def test_english_terms_match_whole_words_only() -> None:
    assert _gaps("What did the card reader price come to?") == ("cost",)
    assert _gaps("how much does it cost?") == ("cost",)
    assert _gaps("costly mistakes") == ()  # inside a longer word
    assert _gaps("the card reader broke, what was the price") == ()  # the words, not the term


def test_japanese_terms_match_anywhere_and_gaps_keep_their_order() -> None:
    assert _gaps("歯科医院での利用率は？") == ("dental",)
    assert _gaps("dental clinics in Osaka: what did it cost?") == ("cost", "dental", "osaka")
    assert _gaps("what is the usage rate") == ()


def test_a_space_typed_between_japanese_words_does_not_hide_a_term() -> None:
    matcher = GapMatcher([_gap("cancel-count", ja=("解除した人",))])
    assert matcher(normalise("登録解除 した人は何人？")) == matcher(normalise("登録解除した人は何人？")) == ("cancel-count",)
    assert matcher(normalise("解除 and 人")) == ()  # only a space between two Japanese characters goes


def test_a_japanese_term_typed_in_ascii_is_found_in_an_english_text_too() -> None:
    # Japanese terms are looked for only in texts with Japanese in them, except those typed in ASCII
    matcher = GapMatcher([_gap("phones", ja=("iPhone", "スマホ"))])
    assert matcher(normalise("can I use it on my iPhone?")) == ("phones",)
    assert matcher(normalise("スマホで使える？")) == ("phones",)
    assert matcher(normalise("can I use it on my phone?")) == ()
