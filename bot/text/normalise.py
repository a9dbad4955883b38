"""Turning what people type into comparable tokens, in English and Japanese.

`normalise` gives a text's comparable form: NFKC, case folding, no invisible or control
characters, punctuation to single spaces. `tokenise` (and `tokens`, its cached twin for
questions) gives its content tokens:
- English: a few domain spellings made canonical ("my number", "myna", "maina" -> mynumber),
  romanised Japanese typed without an IME translated, stop and chatter words dropped, synonyms
  mapped to one word, and a light suffix stemmer;
- Japanese has no spaces: runs of kanji and katakana become character bigrams (a single kanji
  stays a unigram); hiragana runs, which carry mostly grammar, are dropped, after common words
  typed in hiragana are turned into their kanji and common question phrases are removed;
- numbers become "#" tokens ("#2023", "#5.5").
The word lists and phrase rules are data, in `words.yaml` beside this module.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from importlib import resources
from itertools import chain

import yaml

_LISTS = yaml.safe_load(resources.files(__package__).joinpath("words.yaml").read_text(encoding="utf-8"))

STOPWORDS = frozenset(_LISTS["stopwords"].split())
_SYNONYMS = {variant: word for word, variants in _LISTS["synonyms"].items() for variant in variants}
# English rules, all in one pass (they do not feed each other): each rule is a named group.
# Every rule's match starts at the start of a word or at "%": saying so first (the same
# matches) lets the regex engine skip every other position instead of trying each rule there.
_EN_PATTERN = r"(?:(?<!\w)(?=[a-z])|(?=%))(?:" + "|".join(f"(?P<r{i}>{pattern})" for i, (pattern, _r) in enumerate(_LISTS["english_rules"])) + ")"
_EN_RULES = re.compile(_EN_PATTERN)
# The same rules for an ASCII text, where ASCII and Unicode classes agree (\w, \b, and \s on a
# normalised text, whose only white space is " "), and the ASCII ones are quicker to test.
_EN_RULES_ASCII = re.compile(_EN_PATTERN, re.ASCII)
_EN_REPLACEMENT = {f"r{i}": replacement for i, (_p, replacement) in enumerate(_LISTS["english_rules"])}
# a rule whose replacement uses its own groups ("\1"): in the one pass their numbers are not its own,
# so they are read again from what it matched with the rule alone
_EN_OWN_GROUPS = {f"r{i}": re.compile(pattern) for i, (pattern, replacement) in enumerate(_LISTS["english_rules"]) if "\\" in replacement}


def _en_replacement(match: re.Match[str]) -> str:
    """What the English rule that matched puts in its place. A rule that keeps words of its own
    match ("how long is the stand-in certificate good for": " \\1 valid ") has the rules applied
    to what it keeps, once, since the one pass has gone past them."""
    text = _en_rule_text(match)
    return _EN_RULES.sub(_en_rule_text, text) if match.lastgroup in _EN_OWN_GROUPS else text


def _en_rule_text(match: re.Match[str]) -> str:
    """What the English rule that matched puts in its place, the rules not applied again."""
    name = match.lastgroup or ""
    rule = _EN_OWN_GROUPS.get(name)
    own = rule.match(match.group(0)) if rule is not None else None
    return own.expand(_EN_REPLACEMENT[name]) if own is not None else _EN_REPLACEMENT[name]


# Japanese rules, in order: a rule may rewrite what a later one reads. Each keeps its texts, so a
# rule none of whose texts occurs is skipped without running its regex over the text.
_JA_RULES = [(tuple(texts), re.compile("|".join(map(re.escape, texts))), replacement) for texts, replacement in _LISTS["japanese_rules"]]
_JA_RULE_TEXTS = re.compile("|".join(re.escape(text) for texts, _pattern, _replacement in _JA_RULES for text in texts))  # any rule's text
_JA_STOP_UNIGRAMS = frozenset("何今誰私僕俺皆方事物的等言")  # "what", "now", "who", "I", ..., "say"
_SUFFIXES = ("ational", "ations", "ation", "ingly", "ings", "ing", "ies", "ied", "edly", "ed", "es", "s", "ly")

_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"}
_JA = "\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_JA_RE = re.compile(f"[{_JA}]")
_LATIN_RE = re.compile(r"[a-z]")
_TOKEN_RE = re.compile(rf"(\d+(?:\.\d+)?)|([a-z]+)|([{_JA}]+)")
_HIRAGANA_RE = re.compile(r"[\u3041-\u309f]+")
_KANJI_RE = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MARKUP_RE = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w{1,32}:\d+>")
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DIGIT_COMMA_RE = re.compile(r"(?<=\d),(?=\d{3})")
_NOT_WORD_RE = re.compile(r"[^\w%.]+|_")
_LONE_DOT_RE = re.compile(r"(?<!\d)\.|\.(?!\d)")
_ASCII_NOT_WORD = {code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) in "%.") or chr(code) == "_"}


def _kept_class(blocks: tuple[tuple[int, int], ...]) -> str:
    """A regex class of the characters in these blocks that `clean` keeps, from this Python's
    Unicode tables (unassigned and combining code points among them are left out)."""
    parts = []
    start = None
    for low, high in blocks:
        for code in range(low, high + 2):
            kept = code <= high and unicodedata.category(chr(code)) not in _DROP_CATEGORIES
            if kept and start is None:
                start = code
            elif not kept and start is not None:
                parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(code - 1)) if code - 1 > start else ""))
                start = None
    return "[" + "".join(parts) + "]"


# Text made only of these (printable ASCII, Japanese punctuation, kana and kanji, full-width
# forms) has nothing for `clean` to drop: most Japanese text is, and it skips the character by
# character check.
_PLAIN_RE = re.compile(_kept_class(((0x20, 0x7E), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF))) + "*")


def strip_markup(text: str) -> str:
    """The text without Discord's user, role and channel mentions and custom emoji (`<@123>`,
    `<#456>`, `<:name:789>`): markup, not words of a question."""
    return _MARKUP_RE.sub(" ", text) if "<" in text else text


def clean(text: str) -> str:
    """NFKC, case folding, no Discord markup, and no invisible, control or unpaired characters."""
    text = strip_markup(text)
    if text.isascii():  # only ASCII control characters can need removing
        return _ASCII_CONTROL_RE.sub("", text).lower()
    if not _PLAIN_RE.fullmatch(text):
        text = _drop_invisible(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    if "令和" in text or "平成" in text:
        text = _ERA_RE.sub(_western_year, text)
    return text


# 「令和6年」: a year of the Japanese era, written as the year it is (Reiwa 1 is 2019; 元年 is an era's first year)
_ERA_RE = re.compile(r"(令和|平成)\s*(元|\d{1,2})\s*年")
_ERA_START = {"令和": 2018, "平成": 1988}


def _western_year(match: re.Match[str]) -> str:
    return f"{_ERA_START[match.group(1)] + (1 if match.group(2) == '元' else int(match.group(2)))}年"


# cached: a chat message with emoji is cleaned several times while it is answered (whole, by
# sentence, for dates and figures), and this is the one slow step, character by character
@lru_cache(maxsize=1 << 10)
def _drop_invisible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROP_CATEGORIES or ch in "\n\t ")


def normalise(text: str) -> str:
    """Comparable form: cleaned, punctuation to spaces (a decimal point and "%" kept), single spaces."""
    text = clean(text)
    if "," in text:
        text = _DIGIT_COMMA_RE.sub("", text)
    if text.isascii():
        # the same as the regex below on ASCII, where a word character is a letter, digit or "_"
        # (cleaned text has no capitals); one space per character, as `split` joins runs anyway
        text = text.translate(_ASCII_NOT_WORD)
    else:
        text = _NOT_WORD_RE.sub(" ", text)
    if "." in text:
        text = _LONE_DOT_RE.sub(" ", text)
    return " ".join(text.split())


def detect_lang(text: str) -> str:
    """'ja' when Japanese script carries the question, else 'en'."""
    if text.isascii():
        return "en"  # no Japanese script at all
    ja = len(_JA_RE.findall(text))
    if not ja:
        return "en"  # only Latin script, emoji and punctuation
    latin = len(_LATIN_RE.findall(text.casefold()))
    return "ja" if ja * 3 >= latin else "en"


# someone's age of 75 or more in Japanese (「祖母は85歳」, 「８５さい」): the over-75s the facts name, as
# the English rule reads "my grandpa is 82"
_JA_AGE_RE = re.compile(r"(?<![\d.])(?:7[5-9]|[89]\d|1[01]\d)\s*(?:歳|さい)(?!\s*(?:以上|以下|未満|から|まで|いじょう|いか|みまん))")


def _canonical(norm: str) -> str:
    """The phrase rules applied to a normalised text, each table only where its script occurs."""
    if _LATIN_RE.search(norm):
        rules = _EN_RULES_ASCII if norm.isascii() else _EN_RULES
        norm = rules.sub(_en_replacement, norm)
    if ("歳" in norm or "さい" in norm) and _JA_AGE_RE.search(norm):
        norm = _JA_AGE_RE.sub("75歳以上", norm)
    if not norm.isascii() and _JA_RULE_TEXTS.search(norm):
        for texts, pattern, replacement in _JA_RULES:
            for text in texts:
                if text in norm:
                    norm = pattern.sub(replacement, norm)
                    break
    return norm


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


# a letter typed three times or more ("soooo", "hiii", "plsss"): stretched for emphasis
_STRETCHED_RE = re.compile(r"([a-z])\1{2,}")


def canonical_word(word: str) -> str | None:
    """The token a single English word becomes (None for a stop word); used for typo repair."""
    if word in STOPWORDS:
        return None
    if _STRETCHED_RE.search(word):
        # the letter once ("soooo": so), or twice where that is the word ("coool": cool)
        once, twice = _STRETCHED_RE.sub(r"\1", word), _STRETCHED_RE.sub(r"\1\1", word)
        word = twice if twice in STOPWORDS or twice in _SYNONYMS else once
        if word in STOPWORDS:
            return None
    word = _SYNONYMS.get(word, word)
    word = _SYNONYMS.get(_stem(word), _stem(word))
    return None if word in STOPWORDS else word


def typo_targets() -> dict[str, str | None]:
    """Words a misspelling may be repaired to, beyond the knowledge base's own: synonyms and stop words."""
    targets: dict[str, str | None] = {w: None for w in STOPWORDS if len(w) >= 4}
    targets.update({w: canonical_word(w) for w in _SYNONYMS if len(w) >= 4})
    # and the stems of synonyms, since a misspelt word is stemmed before it is repaired
    # ("regestrations" becomes "regestrate", one letter from the stem of "registrations")
    targets.update({_stem(w): canonical_word(w) for w in _SYNONYMS if len(_stem(w)) >= 4 and _stem(w) not in targets})
    return targets


def _ja_tokens(run: str) -> list[str]:
    """A run of Japanese script: bigrams of each kanji and katakana stretch, or a lone kanji."""
    out: list[str] = []
    for part in _HIRAGANA_RE.split(run):
        if len(part) == 1:
            if _KANJI_RE.match(part) and part not in _JA_STOP_UNIGRAMS:
                out.append(part)
        else:
            out.extend(part[i : i + 2] for i in range(len(part) - 1))
    return out


def _number_token(digits: str) -> str:
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return "#" + (digits.lstrip("0") or "0")


def tokenise_normalised(norm: str) -> tuple[str, ...]:
    """`tokenise` of a text, given its `normalise`d form."""
    return tuple(chain.from_iterable(map(_chunk_tokens, _canonical(norm).split())))  # no token spans a space


# cached: a text is mostly words and numbers seen before (building an index of 10,000 facts
# reads over a million of them, and takes about a quarter longer without)
@lru_cache(maxsize=1 << 16)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    """Tokens of a piece of text between spaces, after the phrase rules."""
    out: list[str] = []
    after_number = False
    for number, word, ja in _TOKEN_RE.findall(chunk):
        if number:
            out.append(_number_token(number))
        elif word:
            if len(word) > 1 and (token := canonical_word(word)) is not None:
                out.append(token)
        else:
            if after_number and ja[0] in "年月日":
                ja = ja[1:]  # 2024年10月: the number is the date; 年 and 月 are not words of their own
            if ja:
                out.extend(_ja_tokens(ja))
        after_number = bool(number)
    # interned: a token recurs in thousands of facts; one string object for all of them
    return tuple(map(sys.intern, out))


def analyse(text: str) -> tuple[str, tuple[str, ...]]:
    """`normalise(text)` and `tokenise(text)`, computed together."""
    norm = normalise(text)
    return norm, tokenise_normalised(norm)


def tokenise(text: str) -> tuple[str, ...]:
    """Content tokens of a text, in order, duplicates kept; the text itself is not cached (see `tokens`)."""
    return tokenise_normalised(normalise(text))


@lru_cache(maxsize=1 << 12)
def analyse_question(text: str) -> tuple[str, tuple[str, ...]]:
    """`analyse`, cached for questions, which the matcher reads several times while one is
    answered (whole, sentence by sentence, for declared gaps); the index build calls `analyse`."""
    return analyse(text)


@lru_cache(maxsize=1 << 12)
def tokens(text: str) -> tuple[str, ...]:
    """`tokenise`, cached for questions, which are tokenised several times while one is answered
    (whole and sentence by sentence); the index build calls `tokenise`, so it does not fill the
    cache with every text of the knowledge base."""
    return tokenise(text)


# The English cues all start a word: one "no word character before" check guards them all,
# which lets the regex engine pass over the inside of words instead of trying every cue there.
_QUANTITY_RE = re.compile(
    r"%|(?<!\w)(?:ho?w\s+(?:many|mnay|mny|meny|manny|much|high|low|big|large|common|widespread)\b|what\s+(?:percent|percentage|share|proportion|fraction|portion|number|rate)\b"
    r"|number\s+of\b|percent|how\s+few\b)"
    r"|何人|なんにん|なんけん|なんわり|何千万|何百万|何十万|何万|何%|何割|何パーセント|なんぱー|なんパー|何パー|何件|何枚|なんまい|何病院|何施設|何か所|何カ所|何ヶ所|何桁|何ケタ|なんけた|どのくらい|どれくらい|どれだけ|どの程度|いくつ|いくら|割合|人数|件数|パーセント|(?<=[\u4e00-\u9fff])率"
)
_DATE_RE = re.compile(
    r"^\s*(?:when|wen|whn|wehn)\b|(?<!\w)(?:(?:when|wen|whn|wehn)\s+(?:did|does|do|will|is|was|were|can|could|are|should|would|exactly)\b|since\s+when\b|(?:until|untill|till?)\s+(?:when|wen|whn)\b|(?:know|tell\s+me|wondering|remember)\s+when\b"
    r"|(?:what|which)\s+(?:dates?|years?|months?|days?)\b(?!\s+(?:it'?s|it\s+is|is\s+it|that'?s|that\s+is|is\s+that|they'?re|this\s+is)\s+(?:for|from)\b))"
    r"|いつ(?!も|か[わうえいっおれ])|何年(?!間|使|つか|有効|もつ|持つ)|何月|何日"
)


# "when the old cards stopped, how many ...": a clause that says when, then the question
_WHEN_CLAUSE_RE = re.compile(r"^\s*when\b[^,?]*,")
# a "when" that opens a clause, not a question ("when did …", "when is …" ask when)
_SUBORDINATE_WHEN_RE = re.compile(r"^\s*when\s+(?!(?:did|does|do|is|was|were|will|can|could|are|should|would|has|have|had|exactly)\b)")
_WH_RE = re.compile(r"\b(?:what|which|who|whom|how|where|why)\b")


@lru_cache(maxsize=1 << 12)  # read several times while one question is answered (whole, by sentence, for the policy)
def question_type(text: str) -> str:
    """'quantity' for how many / what share, 'date' for when, else 'other'."""
    text = clean(text)
    when = _DATE_RE.search(text)
    if when:
        clause = _WHEN_CLAUSE_RE.match(text)
        if not (clause and when.start() < clause.end() and not _DATE_RE.search(text, clause.end())):
            return "date"
        if not _QUANTITY_RE.search(text, clause.end()):
            # "when a patient uses the card, what can the hospital see?": the clause says when, the rest asks
            return "other" if _SUBORDINATE_WHEN_RE.match(text) and _WH_RE.search(text, clause.end()) else "date"
    if _QUANTITY_RE.search(text):
        return "quantity"
    return "other"


def signature(text: str) -> str:
    """Order-free content of a phrasing; two phrasings with the same signature are indistinguishable."""
    return signature_of(tokenise(text))


def signature_of(toks: tuple[str, ...]) -> str:
    """`signature` of a text, given its tokens."""
    return " ".join(sorted(set(toks)))
