"""Turning what people type into comparable tokens, in English and Japanese.

English: NFKC, case folding, a few domain spellings made canonical ("my number", "myna",
"maina" -> mynumber), stop and chatter words dropped, a light suffix stemmer.
Japanese has no spaces: runs of kanji and katakana become character bigrams (single kanji
stay unigrams); hiragana runs, which carry mostly grammar, are dropped, as are common
question phrases.
"""

from __future__ import annotations

import operator
import re
import sys
import unicodedata
from collections import OrderedDict
from functools import lru_cache
from itertools import chain
from typing import TypeVar

_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"}
_JA = "\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_JA_RE = re.compile(f"[{_JA}]")
_LATIN_RE = re.compile(r"[a-z]")
_TOKEN_RE = re.compile(rf"(\d+(?:\.\d+)?)|([a-z]+)|([{_JA}]+)")
_HIRAGANA_RE = re.compile(r"[\u3041-\u309f]+")
_KANJI_RE = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Phrases made canonical before tokenising (applied to normalised text).
_EN_PHRASES = [
    (re.compile(r"\b(?:my\s*-?\s*numbers?|mynumbers?|my\s*na|myna|maina|mai\s*na|mainanba\w*|mynum)\b"), " mynumber "),
    (re.compile(r"\bhoken\s*-?\s*sho\b|\bhokensho\b"), " insurance certificate "),
    (re.compile(r"\b(?:do|does|did|is|are|was|were|have|has|had|can|could|would|wo|should)\s*n\s*'?\s*t\b"), " not "),
    (re.compile(r"\b(?:dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|cant|couldnt|wouldnt|wont|shouldnt)\b"), " not "),
    (re.compile(r"%|\bpct\b|\bper\s*cent\b"), " percent "),
    # romanised Japanese that people type on keyboards without an IME
    (re.compile(r"\briyou?\s*ritsu\b"), " use rate "),
    (re.compile(r"\btou?roku(?:sha)?\b"), " register "),
    (re.compile(r"\bkaijo\b"), " cancel "),
    (re.compile(r"\bbyou?in\b"), " hospital "),
    (re.compile(r"\bkanja\b"), " patient "),
    (re.compile(r"\bmeritt?o\b"), " merit "),
    (re.compile(r"\bshikaku\s*kakunin\s*sho\b"), " eligibility certificate "),
    (re.compile(r"\bpa+\s*-?\s*se+n?\s*to\b"), " percent "),
    (re.compile(r"\b(?:tte|desu|desuka|ka|wa|ga|wo|ni|de|ima|nan|nani|nanno|dore|kurai|gurai|no|ne|yo|kana)\b"), " "),
]
_JA_PHRASES = [
    (re.compile("マイナンバー|まいなんばー"), " マイナ "),
    (re.compile("マイナ"), " マイナ "),
    # words people type in hiragana when they do not know (or skip) the kanji
    (re.compile("ほけんしょう|ほけんしょ"), "保険証"),
    (re.compile("しかくかくにんしょ"), "資格確認書"),
    (re.compile("まいな"), " マイナ "),
    (re.compile("つかわ|つかえ|つかう|つかっ"), "使"),
    (re.compile("とうろく"), "登録"),
    (re.compile("りようりつ"), "利用率"),
    (re.compile("かいじょ"), "解除"),
    (re.compile("びょういん"), "病院"),
    (re.compile("かんじゃ"), "患者"),
    (re.compile("めりっと"), "メリット"),
    (re.compile("はっこう"), "発行"),
    (re.compile("ちょうさ"), "調査"),
    (re.compile("けんしん"), "健診"),
    (re.compile("しょほう"), "処方"),
    (re.compile("せいれい"), "政令"),
    (re.compile("はいし"), "廃止"),
    (re.compile("じゅうふく"), "重複"),
    (re.compile("とうやく"), "投薬"),
    (re.compile("べつじん"), "別人"),
    (re.compile("じょうほう"), "情報"),
    (re.compile("ゆうこうきかん"), "有効期間"),
    (re.compile("ゆうこうきげん"), "有効期限"),
    (re.compile("ろうえい"), "漏えい"),
    (re.compile("ごとうろく"), "誤登録"),
    (re.compile("りようしゃ"), "利用者"),
    (re.compile("くすり"), "薬"),
    (re.compile("けた"), "桁"),
    (re.compile("がいこくじん"), "外国人"),
    (re.compile("せいど"), "制度"),
    (re.compile("パーセント|ﾊﾟｰｾﾝﾄ|割合"), " 割合 "),
    # question and chatter phrases with kanji or katakana, which bigrams would otherwise keep
    (
        re.compile(
            "教えて|知りたい|知ってる|知っている|分かりますか|わかりますか|本当|ほんとう|何人|何割|何％|何%|何パー|何件|何年|何月|何日|何病院|何が|何を|何の|何で|何か|今|最近|現在|誰か|皆さん|みなさん|質問|結局|実際|具体的|一体|聞いた|聞き|気になる|思う|思います|思った|ニュース|記事|話|私|僕|俺|自分|友達|家族|母|父|ちょっと|ところで|ねえ|どう|どの|どれ|いつ|いくつ"
        ),
        " ",
    ),
]

# English words that carry no topic: grammar, question words, greetings and chat filler.
STOPWORDS = frozenset(
    """
    a about above after again against all almost also am an and any anybody anyone anything
    apparently are around as ask asked asking at be because been before being below between both
    but by can could curious day did do does doing done down during each either else enough even
    ever every exactly few for from further get gets getting give given go going gone got guess
    guys had has have having he hear heard hello her here hey hi him his honestly how however i
    if im in into is it its itself ive just kind know knows let lets like lol lot
    lots made make many may maybe me mean might mine more most much must my myself need needs
    news no nor now of off ok okay on once one only or other our out over own people person
    please pls plz pretty quick quite rather read really right said saw say says see seen seems
    she should since so some somebody someone something somewhere sorta still such sure tell
    telling than thank thanks that thats the their them then there these they thing things think
    this those though thought through thx to today too totally true u under until up us very
    want wanted wanting was way we well were what whats when where whether which while who whom
    why will wish with wonder wondering would yeah yes yet you your yours anyone's everyone all
    friend friends mom mum dad mother father parents family wife husband sister brother
    grandma grandpa colleague coworker boss told tells saying says heard hearing reading
    article articles post posted thread channel discord server question questions answer
    help helping anybody someone somebody everybody real actually basically literally
    figure figures number numbers stat stats statistic statistics
    japan japanese government gov govt official officially currently current latest recent
    recently now nowadays these days year years time times ago exact exactly approximately
    roughly around approx percentage percent proportion share fraction portion
    ok right guy dude bro folks yall y'all ya
    able unable happen happens happened happening show shows showed
    take takes taking took put puts bring brings brought keep keeps kept come comes came
    find finds found try tries tried trying call called calls feel feels felt seem seemed
    work works worked working write writing wrote written report reports school teacher
    class homework background context anyway anyways though although besides otherwise
    january february march april may june july august september october november december
    yr yrs dec jan feb mar apr jun jul aug sep sept oct nov abt bc cuz coz tho rn imo tbh
    idk btw fyi asap pls plz thx ty np omg wtf smh
    good bad better worse best worst big small little great nice fine
    happy sad worried worry worries uneasy nervous confused confusing annoyed annoying
    regret stuck whim bit lot lots tons kinda sorta
    morning afternoon evening night tonight tomorrow yesterday week weeks weekend month
    months next previous ago later soon already anymore again ever never always
    sometimes often usually
    drawer home house room office work job company hr boss mail inbox phone app website
    site page headline headlines story stories rumor rumour quote quoting quoted
    regular normal ordinary average typical everyday
    man woman men women kid kids child son daughter grandmother grandfather aunt uncle
    neighbor neighbour teacher doctor's
    one ones two three four five six seven eight nine ten first second third
    timeline announce announced announcement clean cleaning cleaned
    instead present presented presenting join joined joining lazy future
    appointment appointments visit visiting visited caught catch catches catching
    reason reasons why because wonder matter matters problem problems issue-free
    sure unsure true false correct wrong hmm huh wow cool awesome
    ngl fr lmao lmfao haha hahaha gonna wanna gotta dunno ur yep nope nah ugh welp oops
    sorry excuse pardon apologies hiya heya yo sup everyone everybody peeps
    wat wut whats hw abt ur dis dat da tho thru selves self them themself
    partner partners spouse girlfriend boyfriend roommate flatmate grandson granddaughter
    tv television radio newspaper youtube twitter reddit remember forgot forget luck lucky unlucky
    public general society folks citizens' nobody somebody anyone's
    """.split()
)
# "percentage", "share" and "number" are dropped as topic-free: nearly every fact is a share,
# so they would only add noise; the fact is told apart by its other words.

_SYNONYMS = {
    "ppl": "people",
    "benefit": "merit",
    "benefits": "merit",
    "advantage": "merit",
    "advantages": "merit",
    "merits": "merit",
    "useful": "merit",
    "usefulness": "merit",
    "point": "merit",
    "upside": "merit",
    "upsides": "merit",
    "worth": "merit",
    "valuable": "merit",
    "value": "merit",
    "hosp": "hospital",
    "hospitals": "hospital",
    "meds": "medicine",
    "medication": "medicine",
    "medications": "medicine",
    "drug": "medicine",
    "drugs": "medicine",
    "rx": "prescription",
    "usage": "use",
    "using": "use",
    "used": "use",
    "uses": "use",
    "utilize": "use",
    "utilise": "use",
    "utilization": "use",
    "utilisation": "use",
    "signed": "register",
    "signup": "register",
    "enrolled": "register",
    "enroll": "register",
    "enrol": "register",
    "enrolment": "register",
    "enrollment": "register",
    "registration": "register",
    "registrations": "register",
    "registered": "register",
    "registering": "register",
    "registrants": "register",
    "linked": "link",
    "linking": "link",
    "linkage": "link",
    "links": "link",
    "started": "launch",
    "start": "launch",
    "launched": "launch",
    "introduced": "launch",
    "introduce": "launch",
    "introduction": "launch",
    "began": "launch",
    "begin": "launch",
    "abolish": "scrap",
    "abolished": "scrap",
    "abolishing": "scrap",
    "abolition": "scrap",
    "scrapped": "scrap",
    "scrapping": "scrap",
    "eliminate": "scrap",
    "discontinue": "scrap",
    "discontinued": "scrap",
    "leak": "leak",
    "leaks": "leak",
    "leaked": "leak",
    "breach": "leak",
    "breaches": "leak",
    "mistakes": "error",
    "mistake": "error",
    "errors": "error",
    "glitches": "error",
    "cancel": "cancel",
    "cancelled": "cancel",
    "canceled": "cancel",
    "cancellation": "cancel",
    "cancelation": "cancel",
    "unregister": "cancel",
    "deregister": "cancel",
    "opt": "cancel",
    "survey": "survey",
    "surveyed": "survey",
    "poll": "survey",
    "questionnaire": "survey",
    "ministry": "ministry",
    "mhlw": "ministry",
    "digit": "digit",
    "digits": "digit",
    "ids": "id",
    "doctors": "doctor",
    "docs": "doctor",
    "doc": "doctor",
    "physician": "doctor",
    "physicians": "doctor",
    "checkup": "checkup",
    "checkups": "checkup",
    "permission": "consent",
    "permissions": "consent",
    "permit": "consent",
    "agree": "consent",
    "agreement": "consent",
    "reverse": "cancel",
    "undo": "cancel",
    "withdraw": "cancel",
    "revoke": "cancel",
    "unlink": "cancel",
    "worthwhile": "merit",
    "helpful": "merit",
    "beneficial": "merit",
    "hate": "unpopular",
    "upset": "unpopular",
    "angry": "unpopular",
    "anger": "unpopular",
    "outrage": "unpopular",
    "furious": "unpopular",
    "dislike": "unpopular",
    "unpopularity": "unpopular",
    "controversy": "unpopular",
    "controversial": "unpopular",
    "criticism": "unpopular",
    "criticise": "unpopular",
    "criticize": "unpopular",
    "backlash": "unpopular",
    "opposition": "unpopular",
    "distrust": "unpopular",
    "issuing": "issue",
    "give": "issue",
    "gives": "issue",
    "giving": "issue",
    "gave": "issue",
    "handing": "issue",
    "hand": "issue",
    "hands": "issue",
    "handed": "issue",
    "issued": "issue",
    "issuance": "issue",
    "issues": "issue",
    "stopped": "stop",
    "halt": "stop",
    "halted": "stop",
    "cease": "stop",
    "ceased": "stop",
    "traditional": "old",
    "conventional": "old",
    "existing": "old",
    "legacy": "old",
    "paper": "old",
    "plastic": "old",
    "certificate": "card",
    "certificates": "card",
    "cards": "card",
    "view": "view",
    "viewing": "view",
    "viewed": "view",
    "look": "view",
    "browse": "view",
    "access": "view",
    "methodology": "survey",
    "study": "survey",
    "research": "survey",
    "double": "duplicate",
    "duplicated": "duplicate",
    "duplicates": "duplicate",
    "redundant": "duplicate",
    "overlapping": "duplicate",
    "overlap": "duplicate",
    "combos": "combination",
    "combo": "combination",
    "combinations": "combination",
    "mixing": "combination",
    "interaction": "combination",
    "interactions": "combination",
    "connect": "link",
    "connects": "link",
    "connected": "link",
    "connecting": "link",
    "tie": "link",
    "ties": "link",
    "tied": "link",
    "info": "data",
    "information": "data",
    "records": "record",
    "delay": "postpone",
    "delayed": "postpone",
    "delaying": "postpone",
    "postponed": "postpone",
    "postponement": "postpone",
    "dropped": "scrap",
    "drop": "scrap",
    "dropping": "scrap",
    "rollback": "scrap",
    "expire": "expiry",
    "expires": "expiry",
    "expired": "expiry",
    "expiration": "expiry",
    "valid": "expiry",
    "validity": "expiry",
}

_SUFFIXES = ("ational", "ations", "ation", "ingly", "ings", "ing", "ies", "ied", "edly", "ed", "es", "s", "ly")


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    if len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)]
            if suffix in {"ies", "ied"}:
                return stem + "y"
            if suffix in {"ational", "ations", "ation"}:
                return stem + "ate"
            if suffix == "es" and not stem.endswith(("s", "x", "z", "ch", "sh")):
                return word[:-1]
            if suffix == "s" and stem.endswith(("s", "u", "i")):
                return word
            return stem
    return word


def canonical_word(word: str) -> str | None:
    """The token a single known English word becomes (None for a stop word); used for typo repair."""
    if word in STOPWORDS:
        return None
    word = _SYNONYMS.get(word, word)
    word = _SYNONYMS.get(_stem(word), _stem(word))
    return None if word in STOPWORDS else word


def typo_targets() -> dict[str, str | None]:
    """Words a misspelling may be repaired to, beyond the knowledge base's own: synonyms and stop words."""
    targets: dict[str, str | None] = {w: None for w in STOPWORDS if len(w) >= 4}
    targets.update({w: canonical_word(w) for w in _SYNONYMS if len(w) >= 4})
    return targets


_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class _DropTable(dict[int, int | None]):
    """str.translate table that deletes the characters `clean` drops, filled as characters are
    met (a code point's category never changes); bounded, so hostile text cannot grow it without limit.

    A kept character whose compatibility decomposition is one printable ASCII character (full-width
    Ａ, ％, （, the ideographic space) becomes that character: NFKC would make it so anyway (the
    decomposition is the same), and a text without others then needs no NFKC pass at all."""

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        kept: int | None = None
        if unicodedata.category(ch) not in _DROP_CATEGORIES or ch in "\n\t ":
            plain = unicodedata.normalize("NFKD", ch)
            kept = ord(plain) if len(plain) == 1 and plain != ch and plain.isascii() and plain.isprintable() else code
        if len(self) < 1 << 16:
            self[code] = kept
        return kept


_DROP_TABLE = _DropTable()
_DIGIT_COMMA_RE = re.compile(r"(?<=\d),(?=\d{3})")
_LONE_DOT_RE = re.compile(r"(?<!\d)\.|\.(?!\d)")


def clean(text: str) -> str:
    """NFKC, case folding, and no invisible, control or unpaired characters."""
    if text.isascii():  # the common case: only ASCII control characters can need removing
        return (text if text.isprintable() else _ASCII_CONTROL_RE.sub("", text)).lower()
    text = text.translate(_DROP_TABLE)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


# For ASCII text, which `clean` has lower-cased, "not a word character" is this simpler class;
# runs are replaced whole (the spaces are collapsed at the end either way).
_ASCII_NOT_WORD_RE = re.compile(r"[^a-z0-9%.]+")
_NOT_WORD_RUN_RE = re.compile(r"[^\w%.]+")


def normalise(text: str) -> str:
    """Comparable form: cleaned, punctuation to spaces, single spaces."""
    text = clean(text)
    if "," in text:
        text = _DIGIT_COMMA_RE.sub("", text)
    if text.isascii():
        text = _ASCII_NOT_WORD_RE.sub(" ", text)
    else:
        if "_" in text:
            text = text.replace("_", " ")
        text = _NOT_WORD_RUN_RE.sub(" ", text)
    if "." in text:
        text = _LONE_DOT_RE.sub(" ", text)
    return " ".join(text.split())


def detect_lang(text: str) -> str:
    """'ja' when Japanese script carries the question, else 'en'."""
    ja = len(_JA_RE.findall(text))
    latin = len(_LATIN_RE.findall(text.casefold()))
    return "ja" if ja and ja * 3 >= latin else "en"


# All English phrase rules in one pass (they do not feed each other): one regex scan per text.
# Every rule starts a match at the start of a word or at "%": the leading test (same matches)
# lets the engine skip other positions without trying each rule there.
_EN_ONE_PASS = re.compile(r"(?:(?<!\w)(?=[a-z])|(?=%))(?:" + "|".join(f"(?P<r{i}>{pattern.pattern})" for i, (pattern, _r) in enumerate(_EN_PHRASES)) + ")")
_EN_REPLACEMENT = {f"r{i}": replacement for i, (_p, replacement) in enumerate(_EN_PHRASES)}


def _literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The texts a plain alternation of literals matches (None: the pattern is not one)."""
    alternatives = tuple(pattern.pattern.split("|"))
    if any(not alt or re.escape(alt) != alt for alt in alternatives):
        return None
    return alternatives


# Japanese rules in order (a rule may rewrite what a later one reads). Each is a list of
# literals, so it can match only where one of their first characters occurs: a text is run
# through only the rules whose first characters it has, and a rule with few literals is
# looked for literal by literal, which is cheaper than running its pattern.
_JA_RULES = [(pattern, replacement, lits if lits and len(lits) <= 4 else None) for pattern, replacement in _JA_PHRASES for lits in (_literals(pattern),)]
_JA_ALWAYS = tuple(i for i, (pattern, _r) in enumerate(_JA_PHRASES) if _literals(pattern) is None)
_JA_BY_FIRST: dict[str, tuple[int, ...]] = {}
for _i, (_pattern, _r) in enumerate(_JA_PHRASES):
    for _first in {lit[0] for lit in _literals(_pattern) or ()}:
        _JA_BY_FIRST[_first] = (*_JA_BY_FIRST.get(_first, ()), _i)
_JA_FIRSTS = frozenset(_JA_BY_FIRST)


_K = TypeVar("_K")
_V = TypeVar("_V")


_MEMO_MAX = 1 << 12


def _remember(memo: OrderedDict[_K, _V], key: _K, value: _V, limit: int = _MEMO_MAX) -> None:
    """Keep `value` in a bounded memo; when it is full the oldest entry goes (one at a time:
    emptying a full memo at once would hold up whatever thread happens to fill it)."""
    if len(memo) >= limit:
        memo.popitem(last=False)
    memo[key] = value


_JA_RULES_FOR: OrderedDict[tuple[frozenset[str], int], tuple[int, ...]] = OrderedDict()


def _ja_rules_from(text: str, after: int) -> tuple[int, ...]:
    """The rules after number `after` that may match in `text`, in order."""
    firsts = _JA_FIRSTS.intersection(text)
    found = _JA_RULES_FOR.get((firsts, after))
    if found is None:
        numbers = {i for ch in firsts for i in _JA_BY_FIRST[ch] if i > after}
        numbers.update(i for i in _JA_ALWAYS if i > after)
        found = tuple(sorted(numbers))
        _remember(_JA_RULES_FOR, (firsts, after), found, 1 << 12)
    return found


def _replace_en(match: re.Match[str]) -> str:
    return _EN_REPLACEMENT[match.lastgroup or ""]


def _canonical(text: str, english: bool | None = None) -> str:
    """The phrase tables applied; `english`: whether the English table applies (by default,
    when the text has Latin letters)."""
    # each table only where its script occurs: most texts are one language
    if english if english is not None else _LATIN_RE.search(text):
        text = _EN_ONE_PASS.sub(_replace_en, text)
    if not text.isascii():
        todo = _ja_rules_from(text, -1)
        k = 0
        while k < len(todo):
            i = todo[k]
            k += 1
            pattern, replacement, few = _JA_RULES[i]
            if few is not None:
                for literal in few:
                    if literal in text:
                        break
                else:
                    continue
            changed = pattern.sub(replacement, text)
            if changed != text:
                text = changed
                todo = _ja_rules_from(text, i)
                k = 0
    return text


_JA_STOP_UNIGRAMS = frozenset("何今誰私僕俺皆方事物的等")

# Tokens are interned: every occurrence of a token, in every fact and every index, is one
# shared string. What a short chunk of text (a word, a number, a short run of Japanese) becomes
# is remembered: a text is mostly chunks seen before. Bounded: when full, it starts again.
_CHUNK_MEMO: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_CHUNK_MEMO_MAX = _MEMO_MAX
_CHUNK_MEMO_LEN = 24  # longer chunks (Japanese sentences) rarely come back
_intern = sys.intern


def _word_token(word: str) -> str | None:
    """The token an English word becomes, or None when it is dropped."""
    if word in STOPWORDS or len(word) == 1:
        return None
    word = _SYNONYMS.get(word, word)
    word = _SYNONYMS.get(_stem(word), _stem(word))
    return None if word in STOPWORDS else _intern(word)


_JA_PART_MEMO: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def _ja_part(part: str) -> tuple[str, ...]:
    """Tokens of a run of kanji and katakana: its bigrams, or a lone kanji."""
    if len(part) == 1:
        return (_intern(part),) if _KANJI_RE.match(part) and part not in _JA_STOP_UNIGRAMS else ()
    return tuple(map(_intern, map(operator.add, part, part[1:])))


def _ja_tokens(run: str) -> list[str]:
    tokens: list[str] = []
    memo = _JA_PART_MEMO
    for part in _HIRAGANA_RE.split(run):
        if not part:
            continue
        toks = memo.get(part)
        if toks is None:
            toks = _ja_part(part)
            if len(part) <= _CHUNK_MEMO_LEN:
                _remember(memo, part, toks)
        tokens.extend(toks)
    return tokens


def _number_token(digits: str) -> str:
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return _intern("#" + (digits.lstrip("0") or "0"))


def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    out: list[str] = []
    for number, word, ja in _TOKEN_RE.findall(chunk):
        if number:
            out.append(_number_token(number))
        elif word:
            tok = _word_token(word)
            if tok is not None:
                out.append(tok)
        elif ja:
            out.extend(_ja_tokens(ja))
    return tuple(out)


def tokenise(text: str) -> tuple[str, ...]:
    """Content tokens of a text, in order, duplicates kept; not cached (see `tokens`)."""
    return analyse(text)[1]


def tokenise_normalised(norm: str, english: bool | None = None) -> tuple[str, ...]:
    """`tokenise` of a text, given its `normalise`d form.

    No token spans a space, so the text is read chunk by chunk between spaces."""
    out: list[str] = []
    memo = _CHUNK_MEMO
    for chunk in _canonical(norm, english).split():
        toks = memo.get(chunk)
        if toks is None:
            toks = _chunk_tokens(chunk)
            if len(chunk) <= _CHUNK_MEMO_LEN:
                _remember(memo, chunk, toks)
        out.extend(toks)
    return tuple(out)


# A text is also read piece by piece between its ASCII spaces (each piece remembered, as above):
# every step works within a piece (a space separates the same way before and after cleaning),
# except the English table's rules, whose matches may run over spaces ("my number", "do n't",
# "per cent"). So each piece records what its last word may start (the first letters a next
# piece would need to continue such a match); when the next piece starts so, the two are read
# as one piece. Whether the English table applies at all depends on the whole text (any Latin letter).
_SPANS = (
    (re.compile(r"my|mai|do|does|did|is|are|was|were|have|has|had|can|could|would|wo|should"), "n"),
    (re.compile(r"(?:do|does|did|is|are|was|were|have|has|had|can|could|would|wo|should)?n|(?:pa+)?se+n?"), "t"),
    (re.compile(r"hoken|kakunin|shikakukakunin|pa+"), "s"),
    (re.compile(r"per"), "c"),
    (re.compile(r"riyou?"), "r"),
    (re.compile(r"shikaku"), "k"),
)
_LAST_WORD_RE = re.compile(r"\w+$")
_Piece = tuple[str, tuple[str, ...], tuple[str, ...], bool, str, str]
_PIECE_MEMO: OrderedDict[str, _Piece] = OrderedDict()


def _piece(piece: str) -> _Piece:
    """(normalised, tokens when the English table applies, tokens when not, has Latin letters,
    first letters of a next piece that could continue an English rule's match, first character)."""
    found = _PIECE_MEMO.get(piece)
    if found is not None:
        return found
    norm = normalise(piece)
    latin = _LATIN_RE.search(norm) is not None
    with_en = tokenise_normalised(norm, True)
    # without Latin letters only the "%" rule can apply
    without = with_en if latin or "%" not in norm else tokenise_normalised(norm, False)
    last = _LAST_WORD_RE.search(norm)
    follow = "".join(letters for pattern, letters in _SPANS if pattern.fullmatch(last.group())) if last else ""
    found = (norm, with_en, without, latin, follow, norm[:1])
    if len(piece) <= _CHUNK_MEMO_LEN:
        _remember(_PIECE_MEMO, piece, found)
    return found


_NORM, _WITH_EN, _WITHOUT_EN, _LATIN, _FOLLOW, _FIRST = (operator.itemgetter(i) for i in range(6))


def analyse(text: str) -> tuple[str, tuple[str, ...]]:
    """`normalise(text)` and `tokenise(text)`, computed together."""
    pieces = text.split(" ")
    if len(pieces) == 1 and len(text) > _CHUNK_MEMO_LEN:
        norm = normalise(text)
        return norm, tokenise_normalised(norm)
    entries: list[_Piece] = list(map(_PIECE_MEMO.get, pieces))  # type: ignore[arg-type]
    if None in entries:
        entries = [entry or _piece(piece) for entry, piece in zip(entries, pieces, strict=True)]
    follows = list(map(_FOLLOW, entries))
    if any(follows):
        firsts = list(map(_FIRST, entries))
        if "" in firsts or any(map(str.__contains__, follows, firsts[1:])):
            return _analyse_joining(pieces, entries)
    which = _WITH_EN if any(map(_LATIN, entries)) else _WITHOUT_EN
    return " ".join(filter(None, map(_NORM, entries))), tuple(chain.from_iterable(map(which, entries)))


_JOINED_MAX = 200


def _analyse_joining(pieces: list[str], entries: list[_Piece]) -> tuple[str, tuple[str, ...]]:
    """`analyse` where an English rule may match over a space: such pieces are read as one."""
    units: list[_Piece] = []
    starts: list[int] = []
    follow = ""
    for i, entry in enumerate(entries):
        if not entry[0]:
            continue
        if entry[0][0] in follow:
            joined = " ".join(pieces[starts[-1] : i + 1])
            if len(joined) > _JOINED_MAX:  # a long run of such pieces: reading it whole is cheaper
                norm = normalise(" ".join(pieces))
                return norm, tokenise_normalised(norm)
            entry = units[-1] = _piece(joined)
        else:
            units.append(entry)
            starts.append(i)
        follow = entry[4]
    which = _WITH_EN if any(map(_LATIN, units)) else _WITHOUT_EN
    return " ".join(map(_NORM, units)), tuple(chain.from_iterable(map(which, units)))


@lru_cache(maxsize=1 << 12)
def tokens(text: str) -> tuple[str, ...]:
    """Content tokens of a text, in order, duplicates kept.

    Cached for questions, which are tokenised several times while one is answered (whole and
    sentence by sentence); the knowledge base is tokenised through `tokenise`, which keeps
    nothing, so building an index does not fill the cache with every text it has read."""
    return tokenise(text)


_QUANTITY_RE = re.compile(
    r"\bhow\s+(?:many|much|high|low|big|large|common|widespread)\b|\bwhat\s+(?:percent|percentage|share|proportion|fraction|portion|number|rate)\b"
    r"|\bnumber\s+of\b|%|\bpercent|\bhow\s+few\b"
    r"|何人|何%|何割|何パーセント|何件|何病院|何桁|何ケタ|なんけた|どのくらい|どれくらい|どれだけ|どの程度|いくつ|いくら|割合|人数|件数|パーセント"
)
_DATE_RE = re.compile(
    r"^\s*when\b|\bwhen\s+(?:did|does|do|will|is|was|were|can|could|are|should|would|exactly)\b|\bsince\s+when\b|\buntil\s+when\b|\bwhat\s+(?:date|year|month|day)\b|\bwhich\s+(?:date|year|month)\b|いつ|何年|何月|何日"
)


def question_type(text: str) -> str:
    """'quantity' for how many / what share, 'date' for when, else 'other'."""
    text = clean(text)
    if _DATE_RE.search(text):
        return "date"
    if _QUANTITY_RE.search(text):
        return "quantity"
    return "other"


def signature(text: str) -> str:
    """Order-free content of a phrasing; two phrasings with the same signature are indistinguishable."""
    return " ".join(sorted(set(tokenise(text))))
