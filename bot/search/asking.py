"""What a question asks, read from its text alone: its sentences and those that ask, what a "how
many" question counts, and the kind of figure it wants."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text.normalise import question_type

SHARE_UNITS = frozenset({"percent"})
DATE_UNITS = frozenset({"date", "year"})
DURATION_UNITS = frozenset({"years"})

# Sentences end at punctuation, line breaks, and emoji (chat users punctuate with them).
# a sentence ends after . ? ! (not the point of "12.3%") or an emoji; a colon and a space start one
# ("a student asked me: how many digits ...")
_SENTENCE_RE = re.compile(
    r"(?<=[.?!。？！\U0001F000-\U0001FAFF\u2600-\u27BF])(?<!\d\.(?=\d))(?![.?!。？！\U0001F000-\U0001FAFF\u2600-\u27BF])\s*|(?<=[:：])\s+|\n+"
)
_ASKS_RE = re.compile(
    r"[?？][\W_]*$|^\s*(?:what|how|when|why|who|which|where|is|are|was|were|can|could|do|does|did|will|would|should|has|have)\b"
    r"|(?:か|の|かな|って)\s*$"
    r"|\b(?:tell\s+me|explain|give\s+me|show\s+me|wants?\s+to\s+know|wondering)\b|(?:教えて|おしえて|知りたい|しりたい)"
    r"|\b(?:i|we)\s+(?:just\s+|really\s+|only\s+)?(?:need|want|wanna|would\s+like)\b|\blooking\s+for\b"
    r"|\b(?:can|could|would)\s+(?:you|u|someone|somebody|anyone)\b|\b(?:does|do)\s+(?:anyone|anybody)\b",
    re.IGNORECASE,
)

# what a quantity question counts: the words after its cue, to the end of the sentence
_COUNTED_RE = re.compile(
    r"(?:\b(?:ho?w\s+(?:many|mnay|mny|meny|manny)|number\s+of|(?:percentage|percent|share|proportion)\s+of|what\s+percent(?:age)?\s+of)|%\s*of)\s+([^.?!]*)",
    re.IGNORECASE,
)
# 「何割の薬局が…」「何％の病院で…」: what is counted follows the cue, up to its particle
_COUNTED_JA_RE = re.compile(r"(?:何|なん)(?:割|％|%|パーセント|人|件)の([^\s、。？?!！]+?)(?:が|は|を|で|に|って|[?？]|$)")
# 「回答した患者は何人？」: what is counted comes before the cue, its head noun last
_COUNTED_JA_BEFORE_RE = re.compile(r"([^\s、。？?!！]+?)(?:は|って|が)(?:何|なん)(?:人|件|枚|割|％|%|パーセント|施設|か所|カ所|ヶ所)")

# "just insurance?", 「保険証だけ？」: a part of the previous figure, named alone
_COUNTED_ONLY_RE = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:just|only)\s+([^?？!.]{2,40}?)\s*[?？!.]*\s*$|^\s*([^\s、。？?!！]{1,12}?)(?:の分)?だけ(?:で|だと|なら)?(?:は|って)?\s*[?？]*\s*$",
    re.IGNORECASE,
)
# 「そのうち保険証は？」: a part of the previous figure, named after そのうち, its head noun last
_COUNTED_JA_OF_THOSE_RE = re.compile(r"^\s*(?:その|それの?)うち[、,]?\s*([^\s、。？?!！]{1,12}?)(?:は|って|だけ(?:で)?は?|の分は?)\s*[?？]*\s*$")

# 「病院の何割が…」: a share of whom is counted, named before the cue
_COUNTED_JA_SHARE_RE = re.compile(r"([^\s、。？?!！]{1,12}?)の(?:うち)?(?:何|なん)\s*(?:割|％|%|パーセント)(?:が|は|くらい|ぐらい|程度)")

# "how many said …", "how many answered …": the clause names what they said, not who is counted;
# "how many people who …" counts people, whoever they are
_SAID_RE = re.compile(
    r"\s*(?:of\s+(?:them|those|these)\s+(?:places\s+|ones\s+)?)?(?:said|say|says|answered|answer|reported|report|responded|replied|think|thought|felt|feel|chose|picked|told"
    r"|reckon(?:ed|s)?|believe[ds]?|claim(?:ed|s)?|consider(?:ed|s)?|agree[ds]?|stated?|indicated?|mention(?:ed|s)?|complain(?:ed|s)?)\b"
    r"|\s*(?:of\s+)?(?:the\s+)?(?:folks|people|persons|ones|those|respondents)\s+(?:who|that)\b",
    re.IGNORECASE,
)


# 「…って答えたの」: what they answered, before 「は何％」 (as "how many said …" in English)
_SAID_JA_RE = re.compile(r"(?:答え|回答し|言っ|言うて|選ん)(?:た|てた|ている|てる)の?$")


# a time told after a comma ("how many registrations were there in October 2024, right around when
# they stopped issuing the old cards?"): not part of what is counted
_WHEN_AFTER_COMMA_RE = re.compile(r",\s*(?:right\s+|just\s+)?(?:around\s+|about\s+|before\s+|after\s+)?(?:the\s+time\s+)?when\b", re.IGNORECASE)

# words of time in a counted clause that name nothing counted ("how many have done that so far")
_NOT_COUNTED_RE = re.compile(r"\b(?:so|thus)\s+far\b|\buntil\s+now\b|\bright\s+now\b", re.IGNORECASE)

# "what % of cardholders have …", 「カード持ってる人の何％」: the people a share is taken of
_BASE_RE = re.compile(
    r"\b(?:what\s*(?:%|percent(?:age)?|share|fraction|proportion|portion)\s+of|how\s+many\s+percent\s+of|(?:share|percentage|proportion)\s+among)\s+(?:the\s+|all\s+)?"
    r"([^.?!,]{3,40}?)(?=\s+(?:have|has|had|did|do|does|who|that|are|is|were|was|registered|linked|use|used|using|actually|in|at|as\s+of)\b|\s+(?:have|has|had|did|do|does|are|is|were|was)n[’']?t\b|\s*[?.!,]|\s*$)",
    re.IGNORECASE,
)
# "of everyone who owns a card, what share …", 「カード持ってる人のうち…割合」: named before the cue
_BASE_BEFORE_RE = re.compile(
    r"\bof\s+(?:everyone|everybody|all\s+(?:those|the\s+people)|(?:the\s+)?people|those)\s+who\s+([^,?.!]{3,40}?)\s*,\s*(?:what|how\s+many)\b"
    r"|([^\s、。？?!！]{2,16}?)(?:のうち|の中で)[^、。？?!！]{0,20}?(?:割合|何割|何％|何%|パーセント)",
    re.IGNORECASE,
)
_BASE_JA_RE = re.compile(r"([^\s、。？?!！]{2,16}?)(?:のうち|の中で|に対して(?:は|だと)?|の)(?:何|なん)\s*(?:割|％|%|パーセント)")


def share_base(question: str) -> str:
    """Whom a "what share of …" question takes the share of ("" when it names none)."""
    match = _BASE_RE.search(question) or _BASE_JA_RE.search(question)
    if match:
        return match.group(1)
    match = _BASE_BEFORE_RE.search(question)
    return (match.group(1) or match.group(2)) if match else ""


def counted_clause(question: str) -> tuple[str, bool]:
    """The words of what a "how many / what share" question counts ("" when it has no such cue,
    or when what follows it is what they said), and whether the word naming it is the clause's
    last (Japanese 「…患者は何人」) or its first."""
    match = _COUNTED_RE.search(question) or _COUNTED_JA_RE.search(question)
    if match:
        clause = _WHEN_AFTER_COMMA_RE.split(match.group(1), maxsplit=1)[0]  # ", right around when …" says when, not what
        return ("", False) if _SAID_RE.match(clause) else (_NOT_COUNTED_RE.sub(" ", clause), False)
    match = _COUNTED_JA_BEFORE_RE.search(question) or _COUNTED_JA_SHARE_RE.search(question) or _COUNTED_JA_OF_THOSE_RE.search(question)
    if match:
        # 「使ってないって答えたのは何％」: what they answered, not who is counted (as "how many said …")
        return ("", False) if _SAID_JA_RE.search(match.group(1)) else (match.group(1), True)
    match = _COUNTED_ONLY_RE.match(question)
    return (match.group(1) or match.group(2), True) if match else ("", False)


# 「…って言ってたんだけど、…の利用率って今どのくらい？」: the clause before けど is context
_CONTEXT_CLAUSE_RE = re.compile(r"(?<=けど[、,])|(?<=けれど[、,])|(?<=けども[、,])")
# "I know they stopped making new ones, but when did the cabinet decide the date?": so is the
# clause before "but" in a sentence that starts by saying what the writer knows
_KNOWN_BUT_RE = re.compile(r"^(\s*i\s+(?:know|understand|get\s+that|realise|realize|heard|read)\b[^,?]*,)\s*(but\b.*)$", re.IGNORECASE | re.DOTALL)


# "back when registrations passed 70 million, how often was the card used?": a time set by a
# clause, then the question
_BACK_WHEN_RE = re.compile(
    r"^(\s*back\s+when\s+(?!(?:did|does|do|is|was|were|will|can|could|are|should|would|has|have|had|exactly)\b)[^,?]*,)\s*((?:how|what|which|who)\b.*)$",
    re.IGNORECASE | re.DOTALL,
)


# "hospitals don't see much in it for patients, but what about for the hospitals themselves?": the
# clause before "but what about" says what is known, the rest asks
_BUT_WHAT_ABOUT_RE = re.compile(r"^(.{10,}?,)\s*(but\s+(?:what|how)\s+about\b.*)$", re.IGNORECASE | re.DOTALL)


def _known_but(sentence: str) -> tuple[str, ...]:
    match = _KNOWN_BUT_RE.match(sentence) or _BACK_WHEN_RE.match(sentence) or _BUT_WHAT_ABOUT_RE.match(sentence)
    return (match.group(1), match.group(2)) if match else (sentence,)


def sentences(message: str, clauses: bool = False) -> list[str]:
    """A message's sentences, blank ones dropped; with `clauses`, a sentence is also split after a
    context clause (ending in けど, "I know …," before "but", or "back when …," before the question)."""
    parts = [p for p in _SENTENCE_RE.split(message) if p.strip()]
    if clauses:
        parts = [c for p in parts for c in _CONTEXT_CLAUSE_RE.split(p) if c.strip()]
        parts = [c for p in parts for c in _known_but(p)]
    return parts


def asking(parts: list[str]) -> list[str]:
    """The sentences of a message that ask something, and its last one unless it only thanks
    ("thank u bot ily") after one that asks: a statement such as "I don't have a My Number card"
    or "I moved here in 2022" is context, not the question."""
    asks = [i for i, p in enumerate(parts) if asks_plainly(p) or (i and parts[i - 1].rstrip().endswith((":", "：")) and asks_plainly(parts[i - 1]))]
    last = len(parts) - 1
    if last >= 0 and last not in asks and not (asks and _THANKS_RE.match(parts[last])):
        asks.append(last)
    return [parts[i] for i in asks]


# a sentence about someone ("she doesn't even own a smartphone lol", "my friend says …")
# or why it is asked ("need it for my kids' paperwork", "asking for a school project")
_REMARK_RE = re.compile(
    r"^\s*(?:i|i'm|im|i've|she|he|they|we|she's|he's|they're|we're|my|our|his|her|their)\s"
    r"|^\s*(?:(?:i\s+)?need(?:ed)?\s+(?:it|this|that|to\s+know)\s+for|(?:it's|its|it\s+is|this\s+is)\s+for\s+(?:my|a|our|the)|(?:just\s+)?asking\s+(?:for|because|bc|since|cause|cuz))\b",
    re.IGNORECASE,
)


def is_remark(part: str) -> bool:
    """A sentence that tells about someone and does not ask: after a question, context for it."""
    return not asks_plainly(part) and bool(_REMARK_RE.match(part))


_PRECISE_RE = re.compile(
    r"\b(?:more\s+(?:exact|precise|accurate|specific)|(?:exact|precise|accurate)\s+(?:number|figure|percentage|percent|share|value)|decimals?)\b"
    r"|正確な|細かい数字|詳しい数字|小数",
    re.IGNORECASE,
)


def asks_precise(text: str) -> bool:
    """Does the text ask for a more precise figure ("is there a more exact number?", 「正確な数字」)?"""
    return bool(_PRECISE_RE.search(text))


@lru_cache(maxsize=1 << 12)  # each sentence is read several times while one message is answered
def asks_plainly(part: str) -> bool:
    """Does the sentence ask in so many words (a question mark, "what ...", 「教えて」)?"""
    return bool(_ASKS_RE.search(part))


_POINTER_RE = re.compile(
    r"\b(?:this|that|it|those|these|they|them|one)\b(?!\s+(?:weekend|week|month|year|morning|afternoon|evening|time)\b)|それ|これ|その|この|本当|ほんと"
    # "coworker says under 5%, I say 10%. who's buying drinks?": a bet about the claims before it
    r"|\bwho(?:'s|s|\s+is|\s+was)\s+(?:right|correct|buying|paying|winning)\b|\bwhich\s+(?:one\s+)?of\s+us\b|どっちが正し|どちらが正し"
    # "legit?", "close?", "conspiracy or fact?", "ward gossip or an actual stat?": whether the claim before it holds
    r"|\b(?:legit|true|correct|accurate|close|right|real|fact|myth|gossip|rumou?r|conspiracy|exaggerat\w*|fake|misinformation|hoax)\b",
    re.IGNORECASE,
)


def points_back(part: str) -> bool:
    """Does the sentence point at something said elsewhere ("which is it?", 「それ本当？」, "who's right?")?"""
    return bool(_POINTER_RE.search(part))


# "... for that?", "what's the law behind it?": a question that points back at the sentence before it
_POINTS_BACK_RE = re.compile(
    r"\b(?:for|about|of|on|behind|to|with)\s+(?:that|this|it)\s*[?？!.]*\s*$|(?:それ|これ)(?:って|は|に|の)"
    r"|^\W*(?:so\s+|but\s+|and\s+)?(?:is|was)\s+(?:that|this)\s+(?:(?:from\s+)?the\s+same|from|part\s+of)\b",  # "… 56.5% of users saw no merit. is that the same survey as …?"
    re.IGNORECASE,
)


def with_antecedents(parts: list[str], asked: list[str]) -> list[str]:
    """The asking sentences, each that points back ("is there a law date for that?") preceded by
    the sentence before it, which names what it asks about."""
    out: list[str] = []
    for i, part in enumerate(parts):
        if part in asked:
            if i and parts[i - 1] not in out and _POINTS_BACK_RE.search(part):
                out.append(parts[i - 1])
            out.append(part)
    return out


# a sentence that only thanks or signs off
_THANKS_RE = re.compile(
    r"^[\W_]*(?:(?:thanks?|thank\s*(?:you|u)|thx|ty|tysm|ily|lol|lmao|pls|please|cheers|appreciate\s+it|in\s+advance|so\s+much|a\s+lot|bot|all|guys|everyone"
    r"|ありがとう(?:ございます)?|よろしく(?:お願いします)?|お願いします)[\W_]*)+$",
    re.IGNORECASE,
)

# a question asking for a share ("what share", "%", 何割, 利用率)
_SHARE_RE = re.compile(
    r"%|％|(?<!\w)(?:percent(?:age)?|share|proportion|fraction|portion|rate|ratio|usage)\b|割|パーセント|比率|率",
    re.IGNORECASE,
)


# "how long is it valid", 「何年間」: a length of time, which a number of years answers
_DURATION_RE = re.compile(r"\bhow\s+long\b|\bhow\s+many\s+years\b|何年間|何年有効|何年(?:使|つか|もつ|持つ)|有効期間", re.IGNORECASE)


def wanted_units(text: str) -> frozenset[str]:
    """The kinds of figure a question asks for: a percentage for a share, a date for a "when", a
    number of years for a "how long"."""
    if question_type(text) == "date":
        return DATE_UNITS
    if _DURATION_RE.search(text):
        return DURATION_UNITS
    if _SHARE_RE.search(text):
        return SHARE_UNITS
    return frozenset()


# "like a count, not a percentage", 「割合じゃなくて人数」: a count asked for, which a share does not answer
_NOT_A_SHARE_RE = re.compile(
    r"\b(?:count|number|total)s?\b[^.?!,]{0,30}?,?\s*(?:and\s+)?not\s+(?:a\s+|the\s+|as\s+a\s+)?(?:%|percent(?:age)?s?|shares?|rates?|ratios?|proportions?)(?!\w)"
    r"|(?:割合|率|パーセント|[%％])(?:じゃ|では)なくて?(?:人数|件数|数|実数)|実数",
    re.IGNORECASE,
)


def asks_count_not_share(text: str) -> bool:
    """ "how many … like the NUMBER of hospitals, not the percent": only a counted figure answers
    (read before the set-aside clause "not the percent" is taken off the question)."""
    return bool(_NOT_A_SHARE_RE.search(text))


# "how is it calculated", "why": about a figure, not asking for its value
_ABOUT_METHOD_RE = re.compile(
    r"(?<!\w)(?:how|why)\b(?!\s+(?:many|much|high|low|big|large|common|widespread)\b)|なぜ|どうして|どうやって|仕組み|計算方法|算出方法"
    r"|\b(?:calculation|calculated|method|formula|definition|redefined?)\b|\bwhat\s+(?:did|has)\s+(?:\w+\s+){0,3}chang(?:e|ed)\b",
    re.IGNORECASE,
)


_WHY_RE = re.compile(
    r"^\s*why\b|[.?!,]\s*why\b|\bwhy\s+(?:did|do|does|is|are|was|were)\b|\bwhat\s+(?:made|caused|led)\b|\bexplain\s+why\b|なぜ|どうして|なんで", re.IGNORECASE
)


def asks_why(text: str) -> bool:
    """Does the text ask for a reason ("why did people get so upset?", 「なぜ」)?"""
    return bool(_WHY_RE.search(text))


def asks_for_amount(text: str) -> bool:
    """Asks for a count or a share ("how many ...", "what was the usage rate in ..."), which only
    a figure that counts answers, not a date."""
    if question_type(text) == "quantity":
        return True
    return wanted_units(text) == SHARE_UNITS and not _ABOUT_METHOD_RE.search(text)


# a clause that sets a subject aside: ", not for patients", "(not registered as insurance)",
# "not the insurance link, just the card", ", not even talking about patients", 「患者向けじゃなくて」: what it names is not asked about
_SET_ASIDE_RE = re.compile(
    r"\(\s*not\b[^()]*\)?"
    r"|(?:^|(?<=[,;:?!.—–])|(?<=\s-)|(?<=\band)|(?<=\bbut))\s*not\s+(?:even\s+)?(?:talking\s+|asking\s+|worried\s+)?(?:the|for|about|a|an|just|only|including|counting)\b[^,.;:?!()—–]*"
    r"|(?<=[,;—–])\s*not\s+(?:\w+\s*){1,3}(?=[?.!]|$)"  # "... for THEMSELVES, not patients?"
    r"|[^\s、。？?！!「」（）()]{1,16}?(?:じゃなくて|じゃなく|ではなくて|ではなく)",
    re.IGNORECASE,
)


def without_set_aside(text: str) -> str:
    """The text without the clauses that set a subject aside (", not for patients")."""
    kept = _SET_ASIDE_RE.sub(" ", text)
    return kept if kept.strip() else text
