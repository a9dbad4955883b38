"""Reading a short message against the previous answer: the phrases of a follow-up.

Each pattern names one kind of fragment ("source?", "and after that?", "ok then nationally?",
「そのうち保険証は？」 …); `bot/answer/conversation.py` decides what each one asks of the previous
turn. Nothing here scores a question.
"""

from __future__ import annotations

import re

from bot.answer.two_part import is_short
from bot.text.normalise import clean

# a fragment that asks its own question of the previous subject ("who decided that?", 「それ誰が決めたの？」)
OWN_QUESTION = re.compile(r"\b(?:who|whom|why|decided|decide)\b|誰|だれ|なぜ|どうして|なんで|決め|決定", re.IGNORECASE)

ASK_SOURCES = re.compile(
    r"^\s*(?:and\s+)?(?:the\s+|your\s+|a\s+|any\s+)?(?:source|sources|link|links|citation|reference|references)(?:\s+(?:for|of|on)\s+(?:that|this|it|those|these|them))?\s*(?:please|pls)?\s*[?？!]*\s*$"
    r"|\bwhere(?:'s|s|\s+is|\s+does|\s+did)\s+(?:that|this|it)\b.*\bfrom\b|\bwhere\s+did\s+you\s+get\s+(?:that|this|it)\b|\bwhat(?:'s| is)\s+(?:the|your)\s+source\b"
    r"|\b(?:what|which)\s+(?:survey|study|poll|report|article|data)\s+(?:is|was|did|does)\s+(?:that|this|it)\b"
    r"|^\s*(?:and\s+)?(?:a\s+|the\s+)?(?:link|url)\s+(?:to|for|of)\s+(?:the\s+|that\s+)?(?:english\s+|japanese\s+|original\s+)?(?:article|story|report|survey|news)\b"
    r"|^\s*(?:and\s+)?(?:what(?:'s|s|\s+is)\s+)?(?:the\s+|teh\s+|ur\s+|your\s+)?(?:soruce|sorce|sourse|srouce|src|sauce)s?\s*(?:please|pls|plz)?\s*[?？!]*\s*$"
    r"|\bwho\s+(?:counted|compiled|tallied|measured|calculated|collected|publishe[sd])\s+(?:that|this|it|those|these|them)\b"
    r"|出典|ソース|情報源|どこ情報|根拠|どの調査|何の調査|誰が(?:数え|集計|調べ)|どこが(?:数え|集計|出し)",
    re.IGNORECASE,
)
ASK_DATES = re.compile(
    r"\bwhen\s+(?:is|was)\s+(?:that|this|it)\b(?!\s+(?:decided|agreed|approved|passed|made|set|introduced|planned|changed|survey|poll|study|questionnaire|report|article|ordinance)\b)|\bhow\s+(?:old|recent|current|up to date)\s+is\s+(?:that|this|it)\b"
    r"|\bas\s+of\s+when\b|\bwhat\s+date\s+is\s+(?:that|this|it)\b|\b(?:which|what)\s+(?:month|year|date)\s+(?:was|is)\s+(?:that|this|it)\b|\bis\s+(?:that|this|it)\s+(?:the\s+)?(?:current|recent|up to date|latest|newest|most\s+recent)\b"
    r"|\bwhen\s+(?:did|was)\s+(?:that|this|it)\s+(?:come\s+out|published|released|reported)\b"
    r"|いつの|いつ時点|何年の(?:数字|データ)|いつ現在|(?:それ|これ)(?:が|って|は)?最新"
    r"|^\s*(?:and\s+|so\s+)?(?:(?:which|what)\s+months?|(?:until|till|til|since)?\s*when|as\s+of(?:\s+what(?:\s+date)?)?)\s*[?？!.]*\s*$|^\s*(?:何月|何年)(?:に|から|まで|ごろ|頃|だった|なの)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# "why so low?", "why so different": a reason for the previous figure, which the sources do not give
WHY_SO = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+|ok\s+)?why\s+(?:so|is\s+(?:it|that)\s+so|are\s+(?:they|those|these)\s+so|are\s+(?:they|those|these)(?:\s+(?:two|2))?|is\s+(?:it|that))\s+"
    r"(?:low|high|different|small|big|few|many|much|little|far\s+apart)\b[^?？]{0,20}[?？!.]*\s*$|^\s*(?:なんで|なぜ|どうして)(?:そんなに)?(?:低い|高い|違う|ちがう|少ない|多い)"
    # 「郵送とネットで数字ちがうのなんで？」: the reason asked last
    r"|^[^?？]{0,20}(?:低い|高い|違う|ちがう|少ない|多い)(?:の|ん)(?:は)?(?:なんで|なぜ|どうして)(?:なん|なの)?(?:ですか|でしょう)?[?？]*\s*$",
    re.IGNORECASE,
)
# "since when?": when the previous answer's subject began
SINCE_WHEN = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?since\s+when\b", re.IGNORECASE)
# "and after that?", 「それ以降は？」: the time after the last date of the previous answer
AFTER = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(?:what\s+(?:about|happens)\s+)?after\s+(?:that|this|it|then)(?:\s+(?:date|day|deadline|point))?\s*[?？!.]*\s*$"
    r"|^\s*(?:じゃあ|で)?(?:それ|その)(?:以降|の後|のあと|から後)(?:は|って)?(?:どう(?:なる|なるの)?)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# the whole country, after a question about one place: "ok then nationally?", 「全国では？」
NATIONWIDE = re.compile(
    r"^\s*(?:ok(?:ay)?|so|and|then|well|hmm|fine)?[\s,]*(?:then\s+)?(?:what\s+about\s+|how\s+about\s+)?(?:nationally|nationwide|national(?:ly)?\s+(?:then|overall)|"
    r"(?:for|in)\s+(?:the\s+)?whole\s+(?:of\s+)?(?:country|japan)|(?:for|in)\s+(?:all\s+of\s+)?japan(?:\s+overall)?|overall|the\s+whole\s+country)[\s,]*(?:then)?\s*[?？!.]*\s*$"
    r"|^\s*(?:じゃあ|では|なら)?[、,]?\s*(?:全国|日本全体|全体)(?:では|で|は|だと|なら)?(?:どう)?[?？]*\s*$",
    re.IGNORECASE,
)
# after a date we have no figure for: "ok what's the earliest you have then?", 「一番新しいのは？」
NEAREST_DATE = re.compile(
    r"^\s*(?:ok(?:ay)?|so|then|well|fine|and|hmm)?[\s,]*(?:then\s+)?(?:what(?:'s|s|\s+is|\s+about)?\s+|how\s+about\s+)?(?:the\s+|your\s+)?"
    r"(?:earliest|oldest|first|latest|newest|most\s+recent|closest|nearest)(?:\s+(?:one|figure|number|data|date|month|year|rate))?"
    r"(?:\s+(?:you\s+have|you've\s+got|you\s+got|available|there\s+is))?(?:\s+then)?\s*[?？!.]*\s*$"
    r"|^\s*(?:じゃあ|なら|では)?[、,]?\s*(?:一番|いちばん)?(?:古い|新しい|最新|最古)(?:の|数字|データ)(?:は|って)?(?:何|なに|いつ)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# "how many hospitals is that in actual numbers?", 「それって何人？」: the count a share stands for
COUNT_OF_SHARE = re.compile(
    r"^\s*(?:and\s+|so\s+|ok\s+)?how\s+many\s+(?:\w+\s+)?(?:is|are|was|were|would\s+that\s+be)\s*(?:that|this|those|it)?\b[^?？]{0,30}?(?:in\s+(?:actual|real|raw|absolute)\s+(?:numbers|terms)|actually|roughly)?\s*[?？!.]*\s*$"
    r"|^\s*(?:それ|これ)(?:って|は)?(?:実際)?(?:何人|何病院|何施設|何件)(?:くらい|ぐらい)?(?:なの|なん)?\s*[?？]*\s*$|^\s*(?:実数|実際の数)(?:だと|は|で)?(?:何人|いくつ|どのくらい)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# the previous figure asked for as a share of someone: "as a % of cardholders?", 「保有者に対しては何％？」
AS_SHARE_OF = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:as\s+(?:an?\s+)?|in\s+)?(?:%|percent(?:age)?|share|proportion|ratio)\s+of\b|^\s*(?:and\s+)?(?:what|how\s+much)\s+is\s+that\s+(?:as\s+a\s+)?(?:%|percent(?:age)?|share)\s+of\b"
    r"|^\s*(?:and\s+|so\s+|ok\s+)?(?:what|how\s+much)\s*(?:%|percent(?:age)?|share)\s+(?:is|'s)\s+(?:that|this)\s*(?:then)?\s*[?？!.]*\s*$"
    r"|^[^、。？?]{2,12}(?:に対して|に占める|のうち)(?:は|だと)?(?:何|なん)\s*(?:％|%|割|パーセント)|^\s*(?:それ|これ)(?:って|は)?(?:何|なん)\s*(?:％|%|パーセント)(?:くらい)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# a month alone asked from ("from April?", 「4月からは？」), with no year typed
FROM_MONTH = re.compile(r"\b(?:from|after|since|starting)\s+(?:in\s+)?[a-z]{3,9}\b|月(?:から|以降|以後)", re.IGNORECASE)
YEAR = re.compile(r"\d{4}|年")
# "a year after that", "compared with that": a relation to the previous answer ("how long do those last?" points inside its own message)
AFTER_THAT = re.compile(r"\b(?:after|before|than|since|from|with|to)\s+(?:that|this|then|it)\b", re.IGNORECASE)
# "how many don't?": the rest of the previous figure, which the previous answer already gives
ASK_REST = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(?:how\s+many|what\s+share|what\s+percentage|what\s+about\s+those\s+who|who|and\s+those\s+who)\s+(?:people\s+|of\s+them\s+)?"
    r"(?:don'?t|do\s+not|didn'?t|did\s+not|haven'?t|have\s+not|aren'?t|are\s+not|isn'?t|won'?t)\b|^\s*(?:and\s+)?the\s+(?:rest|others)\s*[?？]*\s*$"
    r"|^\s*(?:and\s+|but\s+|so\s+)?(?:what\s+about\s+)?(?:the\s+)?ones?\s+(?:that|who|which)\s+(?:don'?t|didn'?t|weren'?t|aren'?t|wasn'?t|haven'?t|do\s+not|did\s+not|were\s+not|are\s+not)\b"
    r"|^\s*(?:and\s+|but\s+|so\s+)?(?:out\s+)?of\s+how\s+many\b|^\s*(?:and\s+|but\s+|so\s+)?(?:out\s+)?of\s+all\s+(?:the\s+)?(?:hospitals?|patients?|clinics?|pharmac(?:y|ies)|people|of\s+them|them)\s*[?？!.]*\s*$|^\s*(?:out\s+of\s+)?how\s+many\s+(?:in\s+total|altogether|overall)\s*[?？]*\s*$"
    r"|(?:して|使って|登録して)(?:い)?ない人|残りは|何(?:人|件|施設)中|母数",
    re.IGNORECASE,
)
# "is that the old or new way of counting?", 「それ旧基準？」: the basis of the figures just given, which the answer labels
_BASIS_WORDS = 10  # longer than a fragment: "is that the old or new way of counting" is still about the answer
ASK_BASIS = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:is\s+(?:that|this|it)\s+|are\s+(?:those|these|they)\s+|which\s+)(?:(?:on\s+)?the\s+)?(?:old|new|claims?)(?:\s+or\s+(?:the\s+)?(?:old|new|claims?))?\s+(?:way(?:\s+of\s+counting)?|basis|method|definition|count(?:ing)?)\b"
    r"|^\s*(?:and\s+|so\s+)?which\s+(?:basis|method|definition)\s+(?:is|was)\s+(?:that|this|it)\b|^\s*(?:それ|これ)(?:って|は)?(?:旧基準|新基準|どっちの基準|どの基準)",
    re.IGNORECASE,
)
# "out of how many hospitals?": the count the previous share is taken of (the noun it names, if any)
OUT_OF_HOW_MANY = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(?:out\s*of|outta|of)\s+how\s+many(?:\s+(hospitals|patients|people|pharmacies|clinics))?\b", re.IGNORECASE
)

# "why are there two numbers?", 「なんで２つあるん？」, "which one is the real one?", "which one is
# mail?": about the figures the previous answer gave, which it explains
ASK_WHY_TWO = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?why\s+(?:are\s+there\s+|is\s+there\s+|the\s+)?(?:two|2|different)\s+(?:numbers|figures|rates|percentages)?\s*[?？!.]*\s*$"
    r"|^\s*(?:なんで|なぜ|どうして)(?:数字が)?(?:2|二)つ(?:も)?(?:ある|あんの|あるの|あるん)"
    r"|^\s*(?:ok(?:ay)?\s+|so\s+|but\s+|and\s+)?which\s+(?:one\s+)?(?:is|'s)\s+(?:the\s+)?(?:real|right|correct|true|accurate)(?:\s+one)?\s*[?？!.]*\s*$"
    r"|^\s*(?:で|じゃあ)?(?:どっち|どちら)が(?:正しい|本当|ほんと)"
    # "which one is mail?", "exact numbers?": which of the figures given is which, or them in full
    r"|^\s*(?:ok(?:ay)?\s+|so\s+|and\s+)?which\s+(?:one|figure|number)\s+(?:is|was|'s)\s+(?:the\s+)?(?:mail(?:ed)?|paper|postal|online|web|old|new|claims)\b[^?？]{0,20}[?？!.]*\s*$"
    r"|^\s*(?:and\s+|so\s+)?(?:the\s+)?(?:exact|precise|more\s+precise|more\s+exact)\s+(?:numbers?|figures?)\s*(?:please|pls)?\s*[?？!.]*\s*$",
    re.IGNORECASE,
)
# "and now?", 「今は？」 after figures of a past date: the same facts, their newest figures first
ASK_NOW = re.compile(
    r"^\s*(?:(?:thx|thanks|ty)\b[\s.,!]*)?(?:(?:and|so|ok(?:ay)?|but|what\s+about|how\s+about|what(?:'s|s|\s+is))[\s,]+)*(?:right\s+now|now|today|currently|these\s+days|nowadays|the\s+latest|latest|the\s+most\s+recent|most\s+recent|the\s+newest|newest)"
    r"(?:\s+(?:one|number|figure|data|stat|rate)s?)?\s*(?:then|tho)?\s*[?？!.]*\s*$"
    # "whats the new number then", after figures on an old and a new basis
    r"|^\s*(?:so\s+|and\s+|ok\s+)?(?:what(?:'s|s|\s+is|\s+was)\s+)?(?:the\s+)?new\s+(?:number|figure|rate|one|percentage)s?\s*(?:then|tho)?\s*[?？!.]*\s*$"
    r"|^\s*(?:じゃあ|で|なら)?[、,]?\s*(?:今|いま|現在|最新)(?:は|って|だと|なら)?(?:どう|どのくらい|どれくらい)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# "hospitals or patients tho", 「病院？患者？」: who the previous answer's figure is about, which it says
_WHO_WORD = r"(?:the\s+)?(?:hospitals?|patients?|pharmac(?:y|ies)|clinics?|doctors?|people|users?)"
WHICH_WHO = re.compile(
    r"^\s*(?:wait\s+|so\s+|ok\s+)?(?:is\s+(?:that|this|it)\s+)?(?:a\s+)?(?:%|percent(?:age)?|share)\s+of\s+\w+\s+or\s+(?:(?:a\s+)?(?:%|percent(?:age)?|share)\s+)?(?:of\s+)?\w+(?:\s+else)?\s*[?？!.]*\s*$|"
    rf"^\s*(?:so\s+|and\s+|wait\s+)?(?:is\s+(?:it|that|this)\s+(?:about\s+|for\s+)?|about\s+|for\s+)?{_WHO_WORD}\s+or\s+{_WHO_WORD}\s*(?:tho|though|then)?\s*[?？!.]*\s*$"
    r"|^\s*(?:それ|これ)?(?:って)?(?:病院|患者|薬局)(?:[?？、,]\s*|と|か)(?:病院|患者|薬局)(?:[?？]|どっち|のどっち|のどちら)"
    # 「それって人の割合？」: is that figure a share of people (or of something else)?
    r"|^\s*(?:それ|これ)(?:って|は)?(?:人|人数|患者|病院|受診|件数)の(?:割合|[%％]|パーセント)(?:なの|なん)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# "in Japanese please", "can you say that in English?", 「日本語で」: at the end, so "usage rate in
# Japanese hospitals" is not read as one
ASK_JAPANESE = re.compile(r"(?:\b(?:in|into)\s+|^\s*)japanese\s*(?:please|pls)?\s*[?？!.]*\s*$|日本語で|日本語に", re.IGNORECASE)
ASK_ENGLISH = re.compile(r"(?:\b(?:in|into)\s+|^\s*)english\s*(?:please|pls)?\s*[?？!.]*\s*$|英語で|英語に", re.IGNORECASE)


# "how many of those were health insurance?": a breakdown of the previous figure, never a question of
# its own ("how many ... health insurance" alone asks for the registrations)
BREAKDOWN = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(?:of\s+(?:those|them|these),?\s+how\s+many|how\s+many\s+of\s+(?:those|them|these))\b"
    r"|^\s*(?:and\s+|but\s+|so\s+)?how\s+many\s+(?:were|was|are)\s+(?!there\b)(?!\w+ed\b)\w+"
    r"|^\s*(?:and\s+|but\s+|so\s+)?how\s+many\s+(?:in|for|with)\s+(?!total\b|all\b)\w+"
    r"|^\s*(?:その|それの?)うち"
    # "just insurance?", 「保険証だけ？」: the previous figure for one part of what it counts
    r"|^\s*(?:and\s+|so\s+)?(?:just|only)\s+(?:the\s+)?(?:(?:health|helth)\s+)?(?:insur\w*|hospitals?|clinics?|pharmac(?:y|ies)|patients?|online|mail|paper)(?:\s+(?:ones?|side|part|records?|cases?))?\s*[?？!.]*\s*$"
    r"|^\s*(?:保険証|健康保険|病院|診療所|薬局|患者|オンライン|郵送)(?:の分)?だけ(?:で|だと|なら)?(?:は|って)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
BREAKDOWN_MAX_CHARS = 80  # longer, a message starting "how many of them ..." asks a question of its own


# declines saying the knowledge base has no figure for what was asked
NO_FIGURE_FOR_IT = frozenset({"not_covered", "subject_not_covered", "type_mismatch"})

# who a survey figure is about: "what about hospitals?" after a question about patients asks the
# previous question again with hospitals in place of patients
WHO = re.compile(
    # (and their usual typos: "hosptials", "clincs", "pharmacys")
    r"\b(?:hospitals?|hosptials?|hospitls?|patients?|pateints?|pharmac(?:y|ies|ys)|clinics?|clincs?|doctors?|cardholders?|online|web|internet|mail(?:ed)?|paper)\b"
    r"|病院|患者|薬局|診療所|クリニック|医師|オンライン|ネット|郵送",
    re.IGNORECASE,
)
# the usual typos of those words, as the word meant
WHO_TYPOS = {"hosptial": "hospital", "hosptials": "hospitals", "hospitl": "hospital", "hospitls": "hospitals", "pateint": "patient", "pateints": "patients"}
WHO_TYPOS |= {"pharmacys": "pharmacies", "clinc": "clinic", "clincs": "clinics"}


_LEAD_CHARS = 4  # 「それ、日本語で…」: how far into a longer message a request for the other language may start


def request_about_previous(question: str) -> str | None:
    """What a short message asks of the previous answer itself: its "sources", its "dates", the
    "same" figures ("how many don't?"), or the answer in "ja" or "en"; None for anything else."""
    text = clean(question).strip().strip("「」『』\"“”'")  # 「それいつの？」 typed in quotes
    if ASK_BASIS.search(text) and len(text.split()) <= _BASIS_WORDS:
        return "same"
    if not is_short(question):
        # 「日本語で言うと？同僚に見せたい」: the other language asked first, with a reason after it (not
        # 「利用率を日本語で教えて」, a question of its own)
        lang = ASK_JAPANESE.search(text) or ASK_ENGLISH.search(text)
        if lang is not None and lang.start() <= _LEAD_CHARS and not ASK_SOURCES.search(text):
            return "ja" if ASK_JAPANESE.search(text) else "en"
        return None
    if ASK_JAPANESE.search(text):
        return "ja"
    if ASK_ENGLISH.search(text):
        return "en"
    if ASK_SOURCES.search(text):
        return "sources"
    if ASK_DATES.search(text):
        return "dates"
    if ASK_REST.search(text) or ASK_WHY_TWO.search(text) or WHICH_WHO.match(text) or ASK_NOW.match(text):
        return "same"
    return None
