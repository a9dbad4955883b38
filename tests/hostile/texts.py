"""Hypothesis strategies for text nobody should have to handle, and a few fixed worst cases.

Pieces are mixed freely: any code point (lone surrogates included, which hypothesis leaves
out by default), characters chosen to break text handling (bidi overrides, invisible and
control characters, NFKC expanders), combining-mark floods, and real question phrasings of
the knowledge base, so that the matcher is reached with something it half recognises.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from bot.knowledge import default_knowledge_path, load_knowledge

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f"
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\r\t\n\u2028\u2029"
SURROGATES = "\ud800\udbff\udc00\udfff"
COMBINING = "\u0301\u0336\u0489\u20dd\u3099\u0e49\u1ab0"
# one code point that NFKC turns into many (up to 18): text grows when it is cleaned
EXPANDERS = "\ufdfa\ufdfb\u3300\u33ff\u2474\u2152\ufb2c\u01c4"
ODD = "\ufffd\ufffe\uffff\U0010ffff\U000e0001\U0001f468\u200d\U0001f469\u200d\U0001f467\U0001f1ef\U0001f1f5"
MARKUP = [
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@&223456789012345678>",
    "<#323456789012345678>",
    "```",
    "**",
    "||",
    "> ",
    "# ",
    "[x](https://evil.example)",
    "https://discord.gg/abc",
    "discord.gg/xyz",
    "\\",
]
QUESTION_BITS = ["How many", "何%", "？", "?", "!", "。", "29.6%", "２９．６％", "1,000,000", "12", "my number", "マイナ保険証", "病院", "when", "いつ", "why"]
SPECIALS = tuple(BIDI + INVISIBLE + CONTROL + SURROGATES + COMBINING + EXPANDERS + ODD)


@cache
def phrasings() -> tuple[str, ...]:
    result = load_knowledge([default_knowledge_path()])
    assert result.kb is not None
    return tuple(q for fact in result.kb.facts for _lang, q in fact.all_questions())


any_code_point = st.characters(codec=None, categories=None, exclude_categories=())
surrogate = st.characters(categories=["Cs"])


@st.composite
def combining_flood(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from("aあ漢1 ?"))
    marks = draw(st.text(st.sampled_from(COMBINING), min_size=1, max_size=3))
    return base + marks * draw(st.integers(1, 400))


def piece() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(any_code_point, max_size=20),
        st.text(surrogate, min_size=1, max_size=3),
        st.text(st.sampled_from(SPECIALS), min_size=1, max_size=8),
        st.sampled_from(MARKUP),
        st.sampled_from(QUESTION_BITS),
        st.deferred(lambda: st.sampled_from(phrasings())),
        combining_flood(),
    )


def hostile_text(max_pieces: int = 12) -> st.SearchStrategy[str]:
    """Up to a few hundred characters of anything, often around a real question."""
    return st.lists(piece(), max_size=max_pieces).map("".join)


@st.composite
def huge_text(draw: st.DrawFn, min_size: int = 1_000, max_size: int = 100_000) -> str:
    """A long text built from a hostile unit repeated (hypothesis cannot draw 100,000 characters one by one)."""
    unit = draw(hostile_text(6).filter(bool))
    size = draw(st.integers(min_size, max_size))
    return (unit * (size // len(unit) + 1))[:size]


# Worst cases found while measuring (tests/hostile/bounds.py): always tried, whatever hypothesis draws.
WORST_LONG = (
    "How many people use the card? Why do hospitals refuse it? " * 1800,  # 100k of asking sentences: search scores each
    ("マイナ保険証の利用率は何％ですか。" * 6000)[:100_000],
    "\ufdfa" * 100_000,  # 1.8 million characters once NFKC-normalised
    "a" + "\u0301" * 99_999,
    "\ud800" * 100_000,
    ("\u202e" + "abc ") * 25_000,
    "1." * 50_000,
    "@everyone " * 10_000,
)
