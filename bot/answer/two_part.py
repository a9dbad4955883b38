"""Two-part questions ("usage rate and registrations please", 「登録者数と利用率を両方教えて」):
answered with both facts (`Reply.parts`).

The question is split at a coordinator ("and", ",", あと, and と/や/、 when it asks for both);
when both parts point confidently at two different facts, and the whole question does not stand
for a third one, the reply holds both facts. A question declined because one part asks for what we
have no figure for answers the other part and says so (`partly_answered`). Otherwise the question
gets the reply it gets alone. Built on `Answerer.ask` and the index's ranked candidates; nothing
here scores a question.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import fuzz, process

from bot.answer.reply import Answerer, Reply
from bot.messages import message
from bot.search.asking import asks_plainly
from bot.search.dates import article_time_as_month, asked_dates, shown, without_dates
from bot.text.normalise import clean, detect_lang, tokens

MAX_PARTS = 2  # a reply holds at most this many facts
MAX_SPLITS = 4  # coordinators tried per question, so a long list costs a bounded number of searches

# A part of a two-part question that is not answered on its own (one word, "registrations")
# still names its fact when that fact leads the part's candidates by this much.
PART_MIN_SCORE = 0.5
PART_MARGIN = 0.01
PARTLY_DECLINED_REASON = "partly_declined"  # the reply's reason: the storage keeps such questions in the inbox
# declines saying what we have no figure for: a part of such a question may still be answered
PARTLY_DECLINED = frozenset({"not_covered", "subject_not_covered", "no_figure_for_date", "type_mismatch"})
SUBJECT_WORDS = 4  # a bare subject: at most this many words (after "please", "both" ... are taken off)
SUBJECT_JA_CHARS = 8
# not counted in a subject's words (nor "(latest)": which figure of the subject, not more of it)
_GLUE = frozenset({"the", "a", "an", "of", "in", "for", "at", "on", "as", "by", "latest", "(latest)", "newest", "(newest)"})

_EN_COORDINATORS = re.compile(
    r"\s*,?\s*\b(?:and also|and then|as well as|along with|and|plus|also|vs|versus|compared\s+(?:to|with))\b\.?\s*|\s*[&+]\s*|\s*(?:;|(?<!\d),|,(?!\d))\s*"
    r"|\s*\n\s*(?:\(?\d{1,2}[.)]\s*|[-*•]\s+)",  # a list, one question a line ("1) when … \n2) how many …")
    re.IGNORECASE,
)  # not the comma of "1,250"
_LIST_MARK = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[-*•])\s+")
# "When people filled out the paper form, how many ...?": a clause saying when, then the question
_WHEN_CLAUSE = re.compile(r"^\s*when\s+(?!(?:did|does|do|is|was|were|will|can|could|are|should|would|has|have|had|exactly)\b)[^?]*$", re.IGNORECASE)
# Japanese joins words with と/や/、 everywhere ("病院と診療所ごとの利用率"): they split a
# question only when it asks for both (両方, どちらも, それぞれ); a second question after a
# first one's end ("…何桁？あと…") splits at its opening word, a last question after a first one's
# 「？」 splits there (「何年から？番号は何桁？」, not 「…？…ってこと？」, which checks the first), and と
# followed by a comma after a figure's noun (「登録数（9月）と、同じ月の利用率」) is a list of two.
_JA_LIST = re.compile(r"(?<=[）)」率数合日限間])と[、,]|(?:(?<=率|数)|(?<=率」|数」))と(?=[^、,]{2,}(?:率|数)」?(?:は|を|も|って)?[?？]?)")
_JA_LIST_JOIN = re.compile(r"^\s*と[、,]\s*$")
_FIGURE_NOUN_END = re.compile(r"(?:割合|率|人数|件数|者数|数)\s*$")
_JA_COORDINATORS = re.compile(
    r"(?<=[?？。!！])\s*(?:それと|あと|それから|また|および|及び|で)[、,]?\s*|(?<=[?？])\s*(?=[^?？]*[?？]\s*$)(?![^?？]*(?:ってこと|ということ|って意味|ってことです?か|ってことね)[?？]\s*$)|\s*(?:および|及び|並びに|ならびに)\s*|(?<=て)[、,]\s*|"
    r"(?<=いつ|何年|何月|何人|何件|何割|何％|何%|何桁)で[、,]\s*|"  # 「…はいつで、…は何年？」: a first question asked, then a second
    + _JA_LIST.pattern
    + r"\s*"
)
# (not the と of にとって, という, として: 「病院にとってのメリットなしと、患者にとっての…、それぞれ」)
_JA_COORDINATORS_BOTH = re.compile(r"\s*(?:と(?!って|いう|いっ|して)[、,]?|や|、|,)\s*")
_NOUN_END = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ffA-Za-z0-9）)」]")  # a noun's last character, before a と that joins nouns
_JA_ASKS_BOTH = re.compile(r"両方|どちらも|どっちも|それぞれ|ともに|二つとも|2つとも")
# words that only ask for both and add no subject: taken off a part before it is asked
_BOTH = re.compile(
    r"\b(?:both|the two|please|pls|thanks|tell me)\b|両方(?:とも|を)?|どちらも|それぞれ|二つとも|2つとも|を?(?:教えて|おしえて)(?:ください|くれ|ほしい)?|を?知りたい(?:です)?|お願いします?",
    re.IGNORECASE,
)

_TOPIC_FIRST = re.compile(r"^\s*(?:[^\s:：?？]+\s+){0,2}[^\s:：?？]+\s*[:：]\s*")  # "eligibility certificate: ...", a few words
_ASKS = re.compile(
    r"^\s*(?:(?:roughly|approximately|about|around|also|so|then|just)\s+)?(?:what|what's|whats|how|when|why|who|which|where|is|are|was|were|can|could|do|does|did|will|has|have|(?:until|till|since|by)\s+when)\b"
    r"|何|いつ|どの|どれ|どう|なぜ|誰|いくら|いくつ|教えて|おしえて|知りたい|しりたい|か[?？]?\s*$|の[?？]?\s*$|(?:は|で)\s*[?？]\s*$",
    re.IGNORECASE,
)

# words that point back at the previous answer or part ("is that", 「それ」); "at that point",
# 「その時点」 point at a time, not at a subject
REFERS_BACK = re.compile(
    r"\b(?:that|this|it|those|these|them|they)\b(?!\s+(?:same\s+)?(?:point|time|month|year|day|date|moment|period|stage|week)s?\b)"
    r"|それ(?!ぞれ)|これ|その(?!時|月|年|頃|とき|ころ)|この(?!時|月|年|頃|とき|ころ)|そっち",
    re.IGNORECASE,
)
# a time named by pointing at the first part's ("that month", 「同じ月」)
_SAME_TIME = re.compile(
    r"\b(?:in\s+|for\s+)?(?:that\s+same|that|the\s+same|same)\s+(?:month|year)\b|\bat\s+(?:that|the\s+same)\s+(?:point|time)\b|(?:同じ|その|同)(?:月|年)",
    re.IGNORECASE,
)
_CUE_EN = re.compile(
    r"^\s*(?:and|n|also|plus|or|but|so|then|wait|what about|how about|what of|same for|same question for|and what about|and how about)\b"
    r"|^\s*(?:ok(?:ay)?|hmm+|oh|wait)[\s,]+(?:and|but|then|what about|how about)\b",  # "ok and …", not "ok so I finally read …"
    re.IGNORECASE,
)
_CUE_JA = re.compile(r"^\s*(?:それ|そっち|じゃあ|じゃ|では|で[、,]|でも|あと|ちなみに|なら)|(?:は|も|なら)\s*[?？]?\s*$")
_SHORT_WORDS = 6  # an English follow-up fragment (or a short part of a two-part question) has at most this many words
_SHORT_JA_CHARS = 12  # a Japanese one at most this many characters

# a second part that asks the first part's question again of a part of its subject: "... and
# how many for health insurance?", "... and how many were health insurance?", "... and what % don't?"
# (one fact answers both)
_ELLIPTICAL = re.compile(
    r"^\s*(?:how\s+many|how\s+much|what\s*(?:%|percent(?:age)?|share|proportion))\s+(?:(?:were|was|are|is)\s+)?(?:for|of|in|at|among|with|from)\b"
    r"|^\s*how\s+many\s+(?:were|was|are|is)\b"
    r"|^\s*(?:how\s+many|what\s*(?:%|percent(?:age)?|share|proportion))\s+(?:don'?t|do\s+not|didn'?t|did\s+not|aren'?t|are\s+not|haven'?t|have\s+not)\b",
    re.IGNORECASE,
)

# 「病院の何％が…見てて、何％が見てないの？」: the rest of the first part's figure
_ELLIPTICAL_JA = re.compile(r"^\s*(?:何|なん)\s*(?:％|%|割|パーセント)(?:が|は)?[^、。？?]{0,10}(?:ない|てない|てません|ません)")

# who the first part counts ("what % of hospitals ...", "how many patients ..."), carried into a
# second part that counts someone unnamed ("... and what % said there was no merit for patients?")
_COUNTED = re.compile(r"\b(?:what\s*(?:%|percent(?:age)?|share|proportion)\s+of(?:\s+the)?|how\s+many)\s+(people|[a-z]+s)\b", re.IGNORECASE)
_COUNTS_UNNAMED = re.compile(
    r"^\s*(what\s*(?:%|percent(?:age)?|share|proportion)|how\s+many)(?=\s+(?:said|say|says|saw|see|think|thought|answered|reported|felt|found|use|used|cited|named)\b)",
    re.IGNORECASE,
)

# "... and what % of those ...": the first part's counted people, pointed at
_COUNTS_POINTED = re.compile(r"^\s*(what\s*(?:%|percent(?:age)?|share|proportion)\s+of|how\s+many\s+of)\s+(?:those|them|these)\b", re.IGNORECASE)

# a first part asking what one thing is: 「資格確認書って何？」, "what's an eligibility certificate?"
_WHAT_IS_JA = re.compile(r"^\s*([^\s、。？?]{2,12}?)(?:って|とは|は)(?:何|なに|なん)")
_WHAT_IS_EN = re.compile(r"^\s*what(?:'s|s|\s+is|\s+are)\s+(?:an?\s+|the\s+)?([a-z][a-z ]{2,40}?)\s*[?,.]*\s*$", re.IGNORECASE)

# a second part asking the first part's question for someone else: "what % for themselves?",
# "what % saw none for themselves?"
_NAMED_AGAIN = re.compile(
    r"^\s*(?:(?:how\s+many|what\s*(?:%|percent(?:age)?|share|proportion))\s+(?:(?:saw|said|see|say|found)\s+(?:none|nothing|no\s+merit)\s+)?)?(for|at|among)\s+(.+)$",
    re.IGNORECASE,
)


def is_short(question: str) -> bool:
    """Short enough to be a follow-up: a few words, twice as many when it starts like one ("and until when ...")."""
    factor = 2 if has_follow_up_cue(question) else 1
    question = article_time_as_month(question)  # "what was it back when the article came out": a date, two words
    if detect_lang(question) == "ja":
        return len("".join(question.split())) <= _SHORT_JA_CHARS * factor
    return len(question.split()) <= _SHORT_WORDS * factor


def has_follow_up_cue(question: str) -> bool:
    """Starts like a follow-up ("and ...", "what about ...", 「それ…」) or is a bare 「〜は？」."""
    text = clean(question)
    return bool(_CUE_EN.search(text) or _CUE_JA.search(text))


def _split_points(question: str) -> list[tuple[str, str]]:
    """(left, right) at each coordinator of the question, both sides with something in them."""
    both = _JA_ASKS_BOTH.search(question) if detect_lang(question) == "ja" else None
    if both is not None and "・" in question[: both.start()]:
        return []  # 「利用率、病院・診療所・薬局でそれぞれ」: one figure for each of a list of places, not two questions
    if both is not None:
        # 「…の割合、郵送とネットそれぞれ何％？」: the list asked for is the one just before それぞれ,
        # so the question splits at its last coordinator before it (that leaves a word between);
        # a と or や joins the two subjects rather than a comma (「登録件数と利用率、最新の両方」)
        found = list(_JA_COORDINATORS_BOTH.finditer(question, 0, both.start()))
        joining = [m for m in found if m.group(0).strip()[:1] in ("と", "や") and _NOUN_END.match(question, max(0, m.start() - 1))]
        for match in reversed(joining or found):
            left, right = question[: match.start()].strip(), question[match.end() :].strip()
            if any(c.isalnum() for c in question[match.end() : both.start()]) and any(c.isalnum() for c in left):
                return [(left, right)]
        return []
    pattern = _JA_COORDINATORS if detect_lang(question) == "ja" else _EN_COORDINATORS
    pairs = []
    for match in pattern.finditer(question):
        left, right = question[: match.start()].strip(), question[match.end() :].strip()
        if left and right and any(c.isalnum() for c in left) and any(c.isalnum() for c in right):
            pairs.append((left, right))
        if len(pairs) >= MAX_SPLITS:
            break
    return pairs


def _strip_filler(part: str) -> str:
    # a particle left at the end once 「両方教えて」 is taken off (「利用率を」) is not part of the subject
    return " ".join(_BOTH.sub(" ", _LIST_MARK.sub("", part)).split()).strip(" ?？。.!！").removesuffix("を").removesuffix("は").strip()


def _is_subject(part: str, both: int = 1) -> bool:
    """A bare subject rather than a question: "registrations", "the usage rate", 「登録者数」
    (`both`: how much longer a Japanese noun phrase may be where the message lists two, 2 for
    「…と…をそれぞれ」, 3 for 「…の割合と、…の割合」)."""
    if detect_lang(part) == "ja":
        return len("".join(part.split())) <= SUBJECT_JA_CHARS * both
    words = without_dates(_SAME_TIME.sub(" ", part)).split()  # "registrations in oct 2024", "the usage rate that month"
    return len([w for w in words if w.lower() not in _GLUE]) <= SUBJECT_WORDS


def _asks(part: str) -> bool:
    """A part that asks something: it starts with a question word (or holds one, in Japanese),
    after the topic it names first, if any ("eligibility certificate: who gets one")."""
    text = _LIST_MARK.sub("", clean(part))
    for piece in (text, text.rpartition(":")[2]):
        # "(settling a debate:) back in late 2023, roughly how many …": a time, then the question
        if (lead := _LEADING_CLAUSE.match(piece)) and asked_dates(lead.group(0)) and _ASKS.search(piece[lead.end() :]):
            return True
    return bool(_ASKS.search(text) or _ASKS.search(_TOPIC_FIRST.sub("", text, count=1)))


_LEADING_CLAUSE = re.compile(r"^[^,?？、]{1,40}[,、]\s*")


_WH_START = re.compile(r"^\s*(?:what|how|when|which|who)\b", re.IGNORECASE)
_COMPARED = re.compile(r"^\s*,?\s*(?:vs|versus|compared\s+(?:to|with))\.?\s*$", re.IGNORECASE)
_JOINED_BY_AND = re.compile(r"^\s*,?\s*(?:and|plus|&|\+)\s*$", re.IGNORECASE)


def _asks_first(left: str) -> bool:
    """A first part that asks: as `_asks`, or, in English, one whose last sentence ends with a
    question mark after a greeting or some context ("Hi, in the online survey what % ...?")."""
    return _asks(left) or (detect_lang(left) == "en" and asks_plainly(left))


def _with_dates_of(left: str, right: str) -> str:
    """The second part with the first part's month or year in place of the words that point at
    it ("... in oct 2024 and how many registrations were there that month?", 「9月の登録数と、
    同じ月の利用率」)."""
    if asked_dates(right):
        return right
    lang = detect_lang(right)
    named = " ".join(shown(key, lang) for key in asked_dates(left))
    if not named:
        return right
    return _SAME_TIME.sub(named if lang == "ja" else f"in {named}", right, count=1)


def _with_counted_of(left: str, right: str) -> str:
    """The second part with the first part's counted people in it ("... and what % said X", "... and
    what % of those said X" after "what % of hospitals ..." ask "what % of hospitals said X")."""
    counted = _COUNTED.search(left)
    if counted is None:
        return right
    pointed = _COUNTS_POINTED.sub(lambda m: f"{m.group(1)} {counted.group(1)}", right, count=1)
    if pointed != right:
        return pointed
    if counted.group(0).lower().startswith("how"):
        return _COUNTS_UNNAMED.sub(lambda m: f"{m.group(1)} {counted.group(1)}", right, count=1)
    return _COUNTS_UNNAMED.sub(lambda m: f"{m.group(1)} of {counted.group(1)}", right, count=1)


# places and people a subject may list ("hospitals and clinics usage"): two of them are one subject
_PLACES = ("hospital", "hospitals", "clinic", "clinics", "pharmacy", "pharmacies", "dentist", "dentists", "patient", "patients", "doctor", "doctors")


def _names_place(words: list[str]) -> bool:
    """Does this word (the first of `words`) name a place or people, misspelt or not ("clinisc")?"""
    return bool(words) and process.extractOne(words[0].lower(), _PLACES, scorer=fuzz.ratio, score_cutoff=80) is not None


_FIGURE_NAME_EN = re.compile(r"\b(?:rate|percentage|percent|share|number|count|total|figure)s?\s*$", re.IGNORECASE)


def with_subject_of(left: str, right: str) -> str:
    """A bare second part read as about what the first part asks about: 「資格確認書って何？あと有効期限は？」
    asks 「資格確認書の有効期限は？」; "" when the first part names no one thing it asks about."""
    named = _WHAT_IS_JA.search(clean(left)) or _WHAT_IS_EN.search(clean(left))
    if named is None or not _is_subject(_strip_filler(right)) or _FIGURE_NAME_EN.search(named.group(1)):
        return ""  # (a figure is no thing to ask about: "what's the usage rate? and registrations?")
    if detect_lang(right) == "ja":
        return f"{named.group(1)}の{right}"
    return f"{right} of {named.group(1)}"


# what a first part asks about, last in it: "what's the max validity of the eligibility certificate"
_OF_THING_EN = re.compile(r"\bof\s+(?:the\s+|an?\s+)?([a-z][a-z ]{2,40}?)\s*[?,.]*\s*$", re.IGNORECASE)
# or its subject: "how long are eligibility certificates valid", "how long is a 資格確認書 good for"
_HOW_LONG_THING = re.compile(r"^\s*how\s+long\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?([^\s?,.][^?,.]{1,40}?)\s+(?:valid|good|usable)\b", re.IGNORECASE)
_PRONOUN_EN = re.compile(r"\b(?:one|ones|it|them)\b", re.IGNORECASE)
_WHEN_DID_THING = re.compile(r"^\s*when\s+did\s+they\s+\w+(?:\s+\w+ing)?\s+(?:the\s+)?([a-z][a-z ]{2,40}?)\s*[?,.]*\s*$", re.IGNORECASE)
_THE_ONE = re.compile(r"\bthe\s+ones?\s+(?:in\s+my|i\s+(?:have|got|already\s+have)|we\s+have|they\s+already\s+had)\b", re.IGNORECASE)


def with_thing_of(left: str, right: str) -> str:
    """A short second part with the thing the first part asks about in place of its pronoun
    ("what's the max validity of the eligibility certificate, and who gets one?" asks "who gets
    eligibility certificate?"); "" when there is no such pronoun or thing."""
    text = clean(right)
    named = _WHAT_IS_EN.search(clean(left)) or _OF_THING_EN.search(clean(left)) or _HOW_LONG_THING.search(clean(left))
    # (or the thing a "when did they …" first part ends on: "when did they stop issuing the old
    # insurance certificates, and until when can I keep using the one I have?")
    named = named or (_WHEN_DID_THING.search(clean(left)) if _THE_ONE.search(text) else None)
    if named is None or detect_lang(right) != "en" or not (is_short(text) or _THE_ONE.search(text)) or not _PRONOUN_EN.search(text):
        return ""
    return _PRONOUN_EN.sub(named.group(1), text, count=1)


def _restated(left: str, right: str) -> str:
    """The first part asked again with the second part's "for X" in place of its own ("what % of
    hospitals saw no merit for patients" + "what % for themselves?" -> "... no merit for
    themselves"); "" when the second part names no such phrase or the first part has none."""
    match = _NAMED_AGAIN.match(clean(right))
    if match is None:
        return ""
    prep, rest = match.group(1).lower(), match.group(2).strip(" ?？.!")
    own = list(re.finditer(rf"\b{prep}\b\s+[^,?？]*", left, re.IGNORECASE))
    if not own or not rest:
        return ""
    last = own[-1]
    return f"{left[: last.start()]}{prep} {rest}"


def _about_first(right: str) -> bool:
    """A short second part that asks the first part's question again of a part of its subject:
    "... and how many of those were ...", "... and what % don't?". A word pointing back alone
    does not make one: "... and what % of them registered it?", "... and who gets them?" ask about
    another fact, and a long "what share of ..." names a subject of its own."""
    text = clean(right)
    return bool(_ELLIPTICAL.search(text) or _ELLIPTICAL_JA.search(text)) and is_short(text)


def _part_fact(answerer: Answerer, part: str, taken: str | None) -> str | None:
    """The fact one part of a two-part question names: the fact it is answered with alone, or,
    for a short part (too short to be answered alone: "registrations", "how many registered"),
    the candidate that clearly leads the others (the fact the other part already took left out)."""
    part = _strip_filler(part)
    if not part:
        return None
    alone = answerer.ask(part)
    if alone.answered:
        # the fact the other part took answers this one too ("… and how many hospitals were in it?"):
        # one fact, not the runner-up
        return alone.fact_id
    if not is_short(part):
        return None
    result = answerer.search(part)
    if result.gaps or not result.known_words:
        return None  # no word of a subject of its own ("what % don't?")
    if result.candidates and result.candidates[0].fact_id == taken and REFERS_BACK.search(clean(part)):
        return taken  # "…, and which months did it run?": about the other part's subject, whose fact leads here too
    cands = [c for c in result.candidates if c.fact_id != taken]
    if not cands or cands[0].score < PART_MIN_SCORE:
        return None
    runner = cands[1].score if len(cands) > 1 else 0.0
    return cands[0].fact_id if cands[0].score - runner >= PART_MARGIN else None


def two_part_facts(answerer: Answerer, question: str, whole: Reply) -> tuple[str, str] | None:
    """The two facts a two-part question asks about, or None when it is one question.

    Two questions in one ("how many digits does it have, and when did it start?") each answer
    alone; two bare subjects ("usage rate and registrations please") each lead their own
    candidates. `whole` is the question's reply on its own: when it is a confident answer with
    a fact neither part names, the question is one question."""
    if len(question) > answerer.max_chars:
        return None
    both = 3 if _JA_LIST.search(question) else 2 if _JA_ASKS_BOTH.search(question) else 1
    for left, right in _split_points(question):
        if _WHEN_CLAUSE.match(left):
            continue
        subjects = all(_is_subject(_strip_filler(p), both) for p in (left, right))
        # a bare subject, then a question of its own ("registrations at end of Oct 2025 and what share
        # of the population holds the card?"), not one about the subject ("the usage rate, what is it?")
        subject_then_question = (
            detect_lang(question) == "en"
            and _is_subject(_strip_filler(left), both)
            and bool(_WH_START.match(clean(right)))
            and not REFERS_BACK.search(clean(right))
            and bool(_JOINED_BY_AND.match(question[len(left) : len(question) - len(right)]))
        )
        # 「薬局の共有データ活用率と、…と答えた割合を教えてください」: a figure's noun listed with 「と、」, then
        # a question; 「…答えた割合と、…答えた割合は？」: two figures' nouns, however long
        listed = both == 3 and bool(_JA_LIST_JOIN.match(question[len(left) : len(question) - len(right)]))
        subject_then_question = subject_then_question or (
            listed
            and (_is_subject(_strip_filler(left), both) or _FIGURE_NOUN_END.search(left))
            and (_asks(right) or bool(_FIGURE_NOUN_END.search(_strip_filler(right))))
        )
        # "what did hospitals say about the benefit for patients vs the benefit for the hospital itself?":
        # a question, then the thing it compares with
        compared = bool(_COMPARED.match(question[len(left) : len(question) - len(right)])) and _asks(left) and _is_subject(_strip_filler(right))
        if not subjects and not subject_then_question and not compared and not (_asks(left) and (_asks(right) or _NAMED_AGAIN.match(clean(right)))):
            # two bare subjects, or two questions: not a clause that tells ("my grandma refuses
            # to get the card, she says ...") nor a list inside one question ("at hospitals and clinics")
            continue
        first = _part_fact(answerer, left, None)
        if first is None and whole.answered and len(whole.fact_ids) == 1:
            # a first part whose "did you mean" offers the fact the whole question is answered with
            # ("what was the usage rate in October 2025, and …": a close call alone, not with the rest)
            alone = answerer.ask(_strip_filler(left))
            first = whole.fact_id if alone.kind == "suggest" and whole.fact_id in {s.fact_id for s in alone.suggestions} else None
        if first is None:
            continue
        restated = _restated(left, right)
        if restated or _about_first(right):
            # "... and how many of those were ...", "... and what % don't?": about the first part's
            # subject, unless it names another beneficiary or place ("... no merit for patients,
            # and what % for themselves?" asks the first part's question again for them)
            alone = answerer.ask(restated) if restated else None
            second = alone.fact_id if alone is not None and alone.kind == "answer" and alone.reason == "confident" else None
        else:
            # (a part the first fact answers too, "what's an eligibility certificate, and who gets one?",
            # names that fact again: one question)
            right_in_context = with_subject_of(left, right) or with_thing_of(left, right)
            second = (_part_fact(answerer, right_in_context, first) if right_in_context else None) or _part_fact(
                answerer, _with_counted_of(left, _with_dates_of(left, right)), first
            )
        if second is None or second == first:
            continue
        if subjects and len(lw := _strip_filler(left).split()) == 1 and _names_place(lw) and _names_place(right.split()):
            # "hospitals vs clinics usage in oct 2025": two places listed in one subject, one question
            continue
        if whole.answered and whole.fact_id not in (first, second):
            continue
        return first, second
    return None


def facts_reply(
    answerer: Answerer, fact_ids: tuple[str, ...], lang: str, question: str, *, reason: str, date_first: bool | None = None, query_tokens: tuple[str, ...] = ()
) -> Reply | None:
    """One fact's reply, or several facts' replies joined into one (each part keeps its figures and sources)."""
    facts = [f for f in (answerer.kb.fact(fid) for fid in fact_ids[:MAX_PARTS]) if f is not None]
    if not facts:
        return None
    parts = [
        answerer.fact_reply(fact, lang, question if i == 0 else "", reason=reason, date_first=date_first, query_tokens=query_tokens)
        for i, fact in enumerate(facts)
    ]
    if len(parts) == 1:
        return parts[0]
    return replace(parts[0], parts=tuple(parts))


def without_gap_terms(answerer: Answerer, question: str) -> str:
    """The question without the words of the declared gaps it mentions ("in Hokkaido")."""
    found = set(answerer.search(question).gaps)
    text = question
    for gap in answerer.kb.gaps:
        if gap.id in found:
            for term in (*gap.terms.get("en", ()), *gap.terms.get("ja", ())):
                text = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)" if term.isascii() else re.escape(term), " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def partly_answered(answerer: Answerer, question: str, whole: Reply) -> Reply | None:
    """A two-part question declined because one part asks for something we have no figure for
    ("when could people start cancelling, and how many have?"): the other part's answer, with
    the decline's sentence after it. None when no part answers on its own."""
    # (or one the whole of which only gets a "did you mean", when its other part alone is declined:
    # "when did the system launch, and how much did building it cost?")
    if not (whole.kind == "decline" and whole.reason in PARTLY_DECLINED or whole.kind == "suggest") or len(question) > answerer.max_chars:
        return None
    for left, right in _split_points(question):
        # (a first part may start with a greeting: "Hey, in the mailed survey what % said ...?"; either
        # part may be a bare subject joined by "and" or "+": "usage rate nov 2024 + how many people
        # cancelled?", "usage rate at hospitals in oct 2025, and at dentists?")
        between = question[len(left) : len(question) - len(right)]
        joined = bool(_JOINED_BY_AND.match(between) or _JA_LIST_JOIN.match(between))
        listed = 3 if _JA_LIST.search(question) or _JA_LIST_JOIN.match(between) else 1  # 「…の登録者数と、…」: a longer Japanese noun phrase
        if not (
            (_asks_first(left) or (joined and _is_subject(_strip_filler(left), listed)))
            and (_asks(right) or _about_first(right) or (joined and _is_subject(_strip_filler(right), listed)))
        ):
            continue
        if whole.kind == "suggest" and not (_asks_first(left) and _asks(right)):
            continue  # after a "did you mean", only two questions asked are read apart
        replies = [answerer.ask(_strip_filler(part)) for part in (left, right)]
        answered = [r for r in replies if r.kind == "answer" and r.reason in ("confident", "exact")]
        if answered and answered[0] is replies[1] and REFERS_BACK.search(clean(right)):
            continue  # "what did the doctors' union find, and how did the ministry respond to it?": it is what we have no figure for
        if len(answered) == 1 and not any(r.answered for r in replies if r is not answered[0]):
            part = answered[0]
            other = next(r for r in replies if r is not part)
            if whole.kind == "suggest" and other.kind != "decline":
                continue  # the other part alone is a "did you mean" too: the whole one's stands
            # the decline says what we have no figure for; one that only says "not this" is said of the other part
            said = whole if whole.kind == "decline" else other
            declined = message("other_part", part.lang) if said.reason not in PARTLY_DECLINED or said.reason == "type_mismatch" else said.sentence
            joined = f"{part.sentence}{'' if part.lang == 'ja' else ' '}{declined}"
            return replace(part, question=question, sentence=joined, reason=PARTLY_DECLINED_REASON)
        if whole.reason == "not_covered" and _asks(right) and _PRONOUN_EN.search(right) and answerer.search(left).gaps and not answerer.search(right).gaps:
            # "how many hospitals took part in that survey, and which months did it run?": the part
            # asking what we have a figure for points back at the other ("it"); the question without
            # the words of what we have no figure for names both
            rest = answerer.ask(without_gap_terms(answerer, question))
            if rest.kind == "answer" and rest.reason in ("confident", "exact") and len(rest.fact_ids) == 1:
                joined = f"{rest.sentence}{'' if rest.lang == 'ja' else ' '}{whole.sentence}"
                return replace(rest, question=question, sentence=joined, reason=PARTLY_DECLINED_REASON)
    return None


def answer_alone(answerer: Answerer, question: str, strict: bool = False) -> Reply:
    """A question without context: its own reply, both facts of a two-part question, or the
    answer to the one part of it we have a figure for."""
    whole = answerer.ask(question, strict=strict)
    if whole.reason == "too_long":
        return whole
    pair = two_part_facts(answerer, question, whole)
    if pair is None:
        partial = None if strict else partly_answered(answerer, question, whole)
        return partial or whole
    # the question's words pick the figures shown (a year asked about, in both parts)
    joined = facts_reply(answerer, pair, whole.lang, question, reason="two_part", query_tokens=tokens(question))
    return joined or whole
