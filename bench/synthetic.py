"""Synthetic knowledge bases for the benchmark, in the project's own YAML format.

A fact is one subject in one place ("the share of clinics in Kitayamada City that check
insurance with a My Number card"), with a dated series of two or three yearly figures, the way
the shipped knowledge base keeps a figure that changes over time. That is how a large
knowledge base about this topic grows: many facts share most of their words and differ in a
place name or an institution, which is the hard case for a search index. Each fact has four
English and three Japanese phrasings in its file and keeps two English and one Japanese
phrasing back, so the question set can ask things no file states word for word.

Everything is deterministic from the seed, and a fact's content depends only on the seed and
its id, so the same fact reads the same in every size.

The validator's pairwise near-duplicate check runs only up to 5,000 phrasings; below that it
reads two phrasings that differ only in a short place name as the same question. Bases of at
least MIN_FACTS facts (over 5,000 phrasings) are checked by exact signature only, as every
size the benchmark runs is.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.knowledge.yamlsafe import Limits
from bot.text.normalise import tokens

YEARS = tuple(range(2019, 2026))
PHRASINGS_PER_FACT = 7  # four English and three Japanese in the file
MIN_FACTS = 5000 // PHRASINGS_PER_FACT + 1
DEFAULT_LIMITS = Limits()  # the loader's own defaults
# Kept well below the loader's byte limit, so a file never fails for size alone.
FILE_BUDGET_SHARE = 0.9
NODES_PER_FACT_BOUND = 120  # generous upper bounds of YAML values in one generated fact, and one source
NODES_PER_SOURCE_BOUND = 12

PREFECTURES = (
    ("Hokkaido", "北海道"), ("Aomori", "青森県"), ("Iwate", "岩手県"), ("Miyagi", "宮城県"), ("Akita", "秋田県"),
    ("Yamagata", "山形県"), ("Fukushima", "福島県"), ("Ibaraki", "茨城県"), ("Tochigi", "栃木県"), ("Gunma", "群馬県"),
    ("Saitama", "埼玉県"), ("Chiba", "千葉県"), ("Tokyo", "東京都"), ("Kanagawa", "神奈川県"), ("Niigata", "新潟県"),
    ("Toyama", "富山県"), ("Ishikawa", "石川県"), ("Fukui", "福井県"), ("Yamanashi", "山梨県"), ("Nagano", "長野県"),
    ("Gifu", "岐阜県"), ("Shizuoka", "静岡県"), ("Aichi", "愛知県"), ("Mie", "三重県"), ("Shiga", "滋賀県"),
    ("Kyoto", "京都府"), ("Osaka", "大阪府"), ("Hyogo", "兵庫県"), ("Nara", "奈良県"), ("Wakayama", "和歌山県"),
    ("Tottori", "鳥取県"), ("Shimane", "島根県"), ("Okayama", "岡山県"), ("Hiroshima", "広島県"), ("Yamaguchi", "山口県"),
    ("Tokushima", "徳島県"), ("Kagawa", "香川県"), ("Ehime", "愛媛県"), ("Kochi", "高知県"), ("Fukuoka", "福岡県"),
    ("Saga", "佐賀県"), ("Nagasaki", "長崎県"), ("Kumamoto", "熊本県"), ("Oita", "大分県"), ("Miyazaki", "宮崎県"),
    ("Kagoshima", "鹿児島県"), ("Okinawa", "沖縄県"),
)  # fmt: skip

# Parts of made-up but plausible municipality names (romanised, kanji), as in Kitayamada / 北山田.
_NAME_HEADS = (
    ("Kita", "北"), ("Minami", "南"), ("Higashi", "東"), ("Nishi", "西"), ("Kami", "上"), ("Shimo", "下"),
    ("O", "大"), ("Ko", "小"), ("Shin", "新"), ("Taka", "高"), ("Naka", "中"), ("Moto", "本"),
    ("Matsu", "松"), ("Sakura", "桜"), ("Fuji", "藤"), ("Ishi", "石"), ("Ao", "青"), ("Kuro", "黒"),
    ("Shira", "白"), ("Hira", "平"), ("Tsuru", "鶴"), ("Kame", "亀"),
)  # fmt: skip
_NAME_BODIES = (
    ("yama", "山"), ("kawa", "川"), ("ta", "田"), ("no", "野"), ("shima", "島"), ("hara", "原"),
    ("sawa", "沢"), ("hama", "浜"), ("saki", "崎"), ("oka", "岡"), ("mori", "森"), ("ura", "浦"),
)  # fmt: skip
_NAME_TAILS = (
    ("da", "田"), ("no", "野"), ("zawa", "沢"), ("gawa", "川"), ("bara", "原"), ("jima", "島"), ("saki", "崎"), ("zuka", "塚"),
    ("ba", "場"), ("dai", "台"), ("dera", "寺"), ("ike", "池"), ("mine", "峰"), ("dani", "谷"), ("hashi", "橋"), ("zato", "里"),
)  # fmt: skip
_KINDS = (("City", "市"), ("Town", "町"), ("Village", "村"))


@dataclass(frozen=True)
class Place:
    en: str
    ja: str
    slug: str
    prefecture: bool


@dataclass(frozen=True)
class Institution:
    plural: str
    ja: str
    unit: str  # the figure unit for a count of them
    slug: str


INSTITUTIONS = (
    Institution("hospitals", "病院", "hospitals", "hospitals"),
    Institution("clinics", "診療所", "count", "clinics"),
    Institution("dental clinics", "歯科診療所", "count", "dental-clinics"),
    Institution("pharmacies", "薬局", "count", "pharmacies"),
    Institution("home nursing stations", "訪問看護ステーション", "count", "home-nursing"),
    Institution("bonesetters", "接骨院", "count", "bonesetters"),
    Institution("acupuncture clinics", "鍼灸院", "count", "acupuncture"),
    Institution("health checkup centres", "健診センター", "count", "checkup-centres"),
)


@dataclass(frozen=True)
class Subject:
    """One kind of figure and the words people use for it; `{inst}` slots take an institution."""

    slug: str
    title_en: str
    title_ja: str
    kind: str  # share | count | people
    counts_en: str
    counts_ja: str
    questions_en: tuple[str, ...]  # six templates: four go into the file, two are held back
    questions_ja: tuple[str, ...]  # four templates: three go into the file, one is held back
    keywords_en: tuple[str, ...]
    keywords_ja: tuple[str, ...]
    answer_en: str  # {year} {value}: the latest figure; {first_year} {first}: the earliest
    answer_ja: str
    publisher: int  # index into PUBLISHERS


_INSTITUTION_SUBJECTS = (
    Subject(
        "card-use",
        "{Inst}: checks with the My Number card",
        "{inst_ja}でのマイナ保険証の利用",
        "share",
        "share of {inst} in {place} that checked patients' insurance with a My Number card",
        "{place_ja}でマイナ保険証による資格確認を行った{inst_ja}の割合",
        (
            "What share of {inst} in {place} use the My Number card for insurance checks?",
            "{place} {inst} My Number card use",
            "how many {inst} in {place} accept maina hokensho",
            "percentage of {inst} in {place} checking insurance with the My Number card",
            "do most {inst} in {place} take the My Number insurance card?",
            "uptake of the My Number insurance card among {place} {inst}",
        ),
        (
            "{place_ja}の{inst_ja}でマイナ保険証を使っている割合は？",
            "{place_ja} {inst_ja} マイナ保険証 利用",
            "{place_ja}でマイナ保険証に対応している{inst_ja}はどれくらい？",
            "{place_ja}の{inst_ja}のマイナ保険証利用率",
        ),
        ("card use", "uptake", "insurance checks"),
        ("利用率", "資格確認"),
        "In fiscal {year}, {value}% of the {base} {inst} in {place} checked patients' insurance with a My Number card, against {first}% in fiscal {first_year}.",
        "{year}年度、{place_ja}の{inst_ja}{base}か所のうち{value}%がマイナ保険証で資格確認を行いました（{first_year}年度は{first}%）。",
        0,
    ),
    Subject(
        "card-readers",
        "{Inst}: card readers",
        "{inst_ja}のカードリーダー設置",
        "share",
        "share of {inst} in {place} with a card reader for online eligibility checks",
        "{place_ja}でオンライン資格確認用のカードリーダーを設置した{inst_ja}の割合",
        (
            "What share of {inst} in {place} have a card reader installed?",
            "{place} {inst} card reader installation rate",
            "how many {inst} in {place} have a My Number card reader",
            "are card readers in place at {inst} in {place}?",
            "online eligibility check readiness of {place} {inst}",
            "proportion of {place} {inst} equipped with face recognition card readers",
        ),
        (
            "{place_ja}の{inst_ja}でカードリーダーを設置している割合は？",
            "{place_ja} {inst_ja} カードリーダー 設置率",
            "{place_ja}の{inst_ja}はオンライン資格確認の準備ができている？",
            "{place_ja}の{inst_ja} 顔認証付きカードリーダー導入状況",
        ),
        ("card reader", "installed", "face recognition"),
        ("カードリーダー", "設置率"),
        "By the end of fiscal {year}, {value}% of the {base} {inst} in {place} had a card reader for online eligibility checks, against {first}% in fiscal {first_year}.",
        "{year}年度末までに、{place_ja}の{inst_ja}{base}か所のうち{value}%がオンライン資格確認用のカードリーダーを設置していました（{first_year}年度は{first}%）。",
        0,
    ),
    Subject(
        "card-trouble",
        "{Inst}: trouble with the card",
        "{inst_ja}でのマイナ保険証のトラブル",
        "count",
        "{inst} in {place} that reported trouble reading a My Number card",
        "{place_ja}でマイナ保険証の読み取りトラブルを報告した{inst_ja}",
        (
            "How many {inst} in {place} reported trouble with the My Number card?",
            "{place} {inst} My Number card trouble",
            "do {inst} in {place} have errors reading maina hokensho",
            "number of {place} {inst} hit by card system glitches",
            "trouble reports from {inst} in {place} about the insurance card",
            "are there many card reading failures at {place} {inst}?",
        ),
        (
            "{place_ja}でマイナ保険証のトラブルがあった{inst_ja}の数は？",
            "{place_ja} {inst_ja} マイナ保険証 トラブル",
            "{place_ja}の{inst_ja}で資格情報が表示されない不具合はどれくらい？",
            "{place_ja} {inst_ja} 読み取りエラーの報告件数",
        ),
        ("trouble", "errors", "glitches"),
        ("トラブル", "不具合"),
        "In fiscal {year}, {value} of the {base} {inst} in {place} ({share}%) reported trouble such as a patient's record not showing when a My Number card was read, against {first} in fiscal {first_year}.",
        "{year}年度、{place_ja}の{inst_ja}{base}か所のうち{value}か所（{share}%）が、マイナ保険証を読み取っても資格情報が表示されないなどのトラブルを報告しました（{first_year}年度は{first}か所）。",
        1,
    ),
    Subject(
        "paper-requests",
        "{Inst}: paper certificates still asked for",
        "{inst_ja}での紙の保険証の提示",
        "share",
        "share of {inst} in {place} that still asked patients for a paper insurance certificate",
        "{place_ja}で紙の保険証の提示を求めた{inst_ja}の割合",
        (
            "What share of {inst} in {place} still ask for paper insurance certificates?",
            "{place} {inst} paper health insurance card requests",
            "do {inst} in {place} still want the old paper certificate",
            "how common is asking for the paper hokensho at {place} {inst}",
            "share of {place} {inst} requiring the paper card as well",
            "are patients in {place} told to bring paper certificates to {inst}?",
        ),
        (
            "{place_ja}で紙の保険証の提示を求める{inst_ja}の割合は？",
            "{place_ja} {inst_ja} 紙の保険証 提示",
            "{place_ja}の{inst_ja}はまだ紙の保険証を求めている？",
            "{place_ja} 紙の健康保険証を求める{inst_ja}の割合",
        ),
        ("paper certificate", "paper card"),
        ("紙の保険証", "提示"),
        "In fiscal {year}, {value}% of the {base} {inst} in {place} still asked some patients to show a paper insurance certificate, against {first}% in fiscal {first_year}.",
        "{year}年度、{place_ja}の{inst_ja}{base}か所のうち{value}%が、一部の患者に紙の保険証の提示を求めていました（{first_year}年度は{first}%）。",
        1,
    ),
)

_RESIDENT_SUBJECTS = (
    Subject(
        "registrations",
        "Registrations of the card as health insurance",
        "マイナ保険証の利用登録",
        "people",
        "residents of {place} who had registered the My Number card as a health insurance card",
        "{place_ja}でマイナンバーカードを健康保険証として利用登録した住民",
        (
            "How many people in {place} have registered the My Number card as a health insurance card?",
            "{place} maina hokensho registrations",
            "number of residents of {place} signed up for the My Number insurance card",
            "how many {place} residents linked their health insurance to the My Number card",
            "My Number health insurance registration count for {place}",
            "have many people in {place} registered the card for insurance?",
        ),
        (
            "{place_ja}でマイナ保険証に登録した人は何人？",
            "{place_ja} マイナ保険証 登録者数",
            "{place_ja}の住民のマイナ保険証利用登録はどれくらい？",
            "{place_ja}の健康保険証利用登録の件数",
        ),
        ("registrations", "signed up"),
        ("登録者数", "利用登録"),
        "By the end of fiscal {year}, {value} residents of {place} ({share}% of residents) had registered the My Number card as a health insurance card, against {first} in fiscal {first_year}.",
        "{year}年度末までに、{place_ja}の住民{value}人（住民の{share}%）がマイナンバーカードを健康保険証として利用登録しました（{first_year}年度は{first}人）。",
        2,
    ),
    Subject(
        "cardholders",
        "Holders of the My Number card",
        "マイナンバーカードの保有",
        "share",
        "share of residents of {place} holding a My Number card",
        "{place_ja}でマイナンバーカードを保有する住民の割合",
        (
            "What share of people in {place} hold a My Number card?",
            "{place} My Number card ownership rate",
            "how many residents of {place} have the My Number card",
            "card holding rate in {place}",
            "My Number card penetration in {place}",
            "have most people in {place} obtained a My Number card?",
        ),
        (
            "{place_ja}でマイナンバーカードを持っている人の割合は？",
            "{place_ja} マイナンバーカード 保有率",
            "{place_ja}のマイナンバーカード交付率はどれくらい？",
            "{place_ja} カード保有者の割合",
        ),
        ("cardholders", "ownership"),
        ("保有率", "交付率"),
        "At the end of fiscal {year}, {value}% of the {base} residents of {place} held a My Number card, against {first}% in fiscal {first_year}.",
        "{year}年度末時点で、{place_ja}の住民{base}人のうち{value}%がマイナンバーカードを保有していました（{first_year}年度は{first}%）。",
        3,
    ),
    Subject(
        "wrong-links",
        "Insurance records linked to the wrong person",
        "別人へのひも付け",
        "count",
        "insurance records in {place} found linked to another person's My Number",
        "{place_ja}で別人のマイナンバーにひも付けられていた保険情報",
        (
            "How many insurance records in {place} were linked to the wrong person?",
            "{place} My Number mislinked insurance records",
            "wrong person linkage cases for maina hokensho in {place}",
            "were health insurance records mixed up with other people's My Number in {place}?",
            "count of incorrect My Number insurance links found in {place}",
            "data linking mistakes in {place} health insurance",
        ),
        (
            "{place_ja}で別人のマイナンバーにひも付けられた保険情報は何件？",
            "{place_ja} マイナ保険証 誤登録",
            "{place_ja}でマイナ保険証の誤ったひも付けはどれくらい見つかった？",
            "{place_ja} 他人の情報がひも付いた件数",
        ),
        ("wrong person", "mislinked", "linkage errors"),
        ("誤登録", "ひも付け"),
        "In fiscal {year}, {value} insurance records in {place} were found linked to another person's My Number, against {first} in fiscal {first_year}.",
        "{year}年度、{place_ja}では別人のマイナンバーにひも付けられた保険情報が{value}件見つかりました（{first_year}年度は{first}件）。",
        3,
    ),
    Subject(
        "eligibility-certificates",
        "Eligibility certificates issued",
        "資格確認書の交付",
        "count",
        "eligibility certificates (shikaku kakunin sho) issued in {place}",
        "{place_ja}で交付された資格確認書",
        (
            "How many eligibility certificates have been issued in {place}?",
            "{place} shikaku kakunin sho issued",
            "number of eligibility confirmation certificates sent to people without maina hokensho in {place}",
            "does {place} send many eligibility certificates?",
            "eligibility certificate mailings in {place}",
            "how many people in {place} got an eligibility certificate instead of the card",
        ),
        (
            "{place_ja}で交付された資格確認書は何件？",
            "{place_ja} 資格確認書 交付数",
            "{place_ja}でマイナ保険証のない人に送られた資格確認書はどれくらい？",
            "{place_ja}の資格確認書の発行件数",
        ),
        ("eligibility certificate", "shikaku kakunin sho"),
        ("資格確認書", "交付"),
        "In fiscal {year}, {place} issued {value} eligibility certificates to people without a My Number health insurance card, against {first} in fiscal {first_year}.",
        "{year}年度、{place_ja}はマイナ保険証を持たない人に資格確認書を{value}件交付しました（{first_year}年度は{first}件）。",
        4,
    ),
    Subject(
        "cancellations",
        "Cancelled registrations",
        "利用登録の解除",
        "people",
        "residents of {place} who cancelled the health insurance registration of their My Number card",
        "{place_ja}でマイナ保険証の利用登録を解除した住民",
        (
            "How many people in {place} cancelled their maina hokensho registration?",
            "{place} My Number insurance registration cancellations",
            "number of {place} residents who unregistered the insurance card",
            "do many people in {place} undo the health insurance link?",
            "deregistrations of the My Number health insurance card in {place}",
            "how many {place} residents opted out of the card as insurance",
        ),
        (
            "{place_ja}でマイナ保険証の登録を解除した人は何人？",
            "{place_ja} マイナ保険証 登録解除",
            "{place_ja}の住民で利用登録を取り消した人はどれくらい？",
            "{place_ja} マイナ保険証の解除件数",
        ),
        ("cancellations", "unregistered", "opt out"),
        ("登録解除", "取り消し"),
        "In fiscal {year}, {value} residents of {place} cancelled the health insurance registration of their My Number card, against {first} in fiscal {first_year}.",
        "{year}年度、{place_ja}の住民{value}人がマイナ保険証の利用登録を解除しました（{first_year}年度は{first}人）。",
        4,
    ),
)


@dataclass(frozen=True)
class Metric:
    """A subject, bound to an institution when it is about institutions."""

    subject: Subject
    inst: Institution | None

    @property
    def slug(self) -> str:
        return f"{self.inst.slug}-{self.subject.slug}" if self.inst else self.subject.slug

    def fill(self, place: Place) -> dict[str, str]:
        return {"place": place.en, "place_ja": place.ja, "inst": self.inst.plural if self.inst else "", "inst_ja": self.inst.ja if self.inst else ""}


METRICS = tuple(Metric(s, i) for i in INSTITUTIONS for s in _INSTITUTION_SUBJECTS) + tuple(Metric(s, None) for s in _RESIDENT_SUBJECTS)

PUBLISHERS = (
    ("mhlw", "Ministry of Health, Labour and Welfare", "厚生労働省", "mhlw.example.jp", "Survey of online eligibility checks at medical institutions"),
    (
        "hodanren",
        "Japan Federation of Medical Practitioners' Associations",
        "全国保険医団体連合会",
        "hodanren.example.jp",
        "Member survey on the My Number health insurance card",
    ),
    ("local-gov", "Local government statistics office", "自治体統計担当課", "stats.example.lg.jp", "Health insurance registration statistics"),
    ("digital-agency", "Digital Agency", "デジタル庁", "digital.example.go.jp", "My Number card figures by municipality"),
    ("nhi", "National Health Insurance division", "国民健康保険担当課", "nhi.example.lg.jp", "Eligibility certificates and registration changes"),
)
PLACES_PER_SOURCE = 24

# Questions a Discord member might ask that the knowledge base does not answer; some name a
# place the knowledge base knows, which makes them harder to decline.
_OFF_TOPIC_EN = (
    "what's the weather in {place} tomorrow",
    "best ramen shop in {place}?",
    "how do I renew my passport",
    "who won the baseball game last night",
    "recommend a good anime for the weekend",
    "how much is a shinkansen ticket from Tokyo to Osaka",
    "what time does the city hall in {place} close",
    "how do I cook rice without a rice cooker",
    "is it going to snow in {place} this week",
    "where can I buy a cheap bicycle",
    "what is the capital of Australia",
    "how do I reset my wifi router",
    "tell me a joke",
    "any good hot springs near {place}?",
    "how do I apply for a driving licence in {place}",
    "when do the cherry blossoms bloom in {place}",
    "can you translate hello into French",
    "how many people live in {place}",
    "what's a good laptop for programming",
    "is the museum in {place} open on Mondays",
)
_OFF_TOPIC_JA = (
    "{place_ja}の明日の天気は？",
    "おすすめのラーメン屋を教えて",
    "パスポートの更新方法は？",
    "昨日の野球の結果は？",
    "{place_ja}の温泉でおすすめは？",
    "東京から大阪までの新幹線の料金は？",
    "{place_ja}の桜の見頃はいつ？",
    "ご飯の炊き方を教えて",
    "{place_ja}の人口は何人？",
    "週末に見るアニメのおすすめは？",
)

# Question kinds and their shares of the question set.
QUESTION_MIX = (("exact", 0.25), ("paraphrase", 0.25), ("typo", 0.20), ("japanese", 0.15), ("offtopic", 0.15))
_KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}  # fmt: skip


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # exact | paraphrase | typo | japanese | offtopic
    expect: str | None  # the fact id that answers it; None for off-topic


@dataclass(frozen=True)
class Generated:
    folder: Path
    facts: int
    files: int
    bytes: int
    questions: tuple[Question, ...]


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """The 47 prefectures, then made-up municipalities; every name has tokens of its own."""
    out: list[Place] = []
    seen: set[tuple[str, ...]] = set()

    def add(en: str, ja: str, slug: str, prefecture: bool) -> None:
        keys = (tuple(sorted(set(tokens(en)))), tuple(sorted(set(tokens(ja)))))
        if keys[0] in seen or keys[1] in seen or not keys[0] or not keys[1]:
            return
        seen.update(keys)
        out.append(Place(en, ja, slug, prefecture))

    for en, ja in PREFECTURES:
        add(en, ja, en.lower(), True)
    names: list[tuple[str, str]] = []
    for head_en, head_ja in _NAME_HEADS:
        for body_en, body_ja in _NAME_BODIES:
            if head_ja != body_ja:
                names.append((head_en + body_en, head_ja + body_ja))
    for head_en, head_ja in _NAME_HEADS:
        for body_en, body_ja in _NAME_BODIES:
            for tail_en, tail_ja in _NAME_TAILS:
                if len({head_ja, body_ja, tail_ja}) == 3:
                    names.append((head_en + body_en + tail_en, head_ja + body_ja + tail_ja))
    for k, (en, ja) in enumerate(names):
        kind_en, kind_ja = _KINDS[k % len(_KINDS)]
        add(f"{en} {kind_en}", ja + kind_ja, f"{en.lower()}-{kind_en.lower()}", False)
    return tuple(out)


def max_facts() -> int:
    return len(places()) * len(METRICS)


def _plan(n: int, seed: int) -> list[tuple[int, int]]:
    """Which (metric, place) pairs become facts: a seeded sample of a quarter more places
    than strictly needed, so that not every place has every subject."""
    n_places = min(len(places()), max(1, math.ceil(n * 1.25 / len(METRICS))))
    total = n_places * len(METRICS)
    if n > total:
        n_places = len(places())
        total = n_places * len(METRICS)
    if n > total:
        raise ValueError(f"at most {total:,} synthetic facts can be generated")
    rng = random.Random(f"{seed}/plan/{n}")
    return [divmod(code, n_places) for code in sorted(rng.sample(range(total), n))]


@dataclass(frozen=True)
class _FactText:
    fact_id: str
    yaml: str
    held_en: tuple[str, ...]
    held_ja: tuple[str, ...]
    file_en: tuple[str, ...]
    file_ja: tuple[str, ...]
    place: Place
    source: tuple[int, int, int]  # publisher, year, place group


def _q(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, with every character escaped correctly.
    return json.dumps(text, ensure_ascii=False)


def _qlist(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _i18n(en: str, ja: str) -> str:
    return f"{{en: {_q(en)}, ja: {_q(ja)}}}"


def _figure(value: float | int, unit: str, counts: str, year: int, as_of: str, base: str | None) -> str:
    lines = f"      - value: {value}\n        unit: {unit}\n        counts: {counts}\n"
    if base:
        lines += f"        base: {base}\n"
    return lines + f'        period: {_i18n(f"fiscal {year}", f"{year}年度")}\n        as_of: "{as_of}"\n'


def _fact(seed: int, metric_no: int, place_no: int) -> _FactText:
    metric = METRICS[metric_no]
    subject, inst = metric.subject, metric.inst
    place = places()[place_no]
    fact_id = f"{metric.slug}-{place.slug}"
    rng = random.Random(f"{seed}/{fact_id}")
    fill = metric.fill(place)

    en_all = [t.format(**fill) for t in subject.questions_en]
    ja_all = [t.format(**fill) for t in subject.questions_ja]
    en_keep = sorted(rng.sample(range(len(en_all)), 4))
    ja_keep = sorted(rng.sample(range(len(ja_all)), 3))
    file_en = tuple(en_all[i] for i in en_keep)
    file_ja = tuple(ja_all[i] for i in ja_keep)
    held_en = tuple(q for i, q in enumerate(en_all) if i not in en_keep)
    held_ja = tuple(q for i, q in enumerate(ja_all) if i not in ja_keep)

    years = sorted(rng.sample(YEARS, rng.choice((2, 2, 3))))
    as_of = {y: f"{y + 1}-{rng.randint(4, 9):02d}" for y in years}
    counts = _i18n(subject.counts_en.format(**fill), subject.counts_ja.format(**fill))
    if inst is not None:
        base_n = rng.randint(12, 900) if place.prefecture else rng.randint(5, 120)
        base_en, base_ja = f"{base_n:,} {inst.plural} in {place.en}", f"{place.ja}の{inst.ja}{base_n:,}か所"
    else:
        base_n = rng.randint(300_000, 9_000_000) if place.prefecture else rng.randint(2_000, 300_000)
        base_en, base_ja = f"{base_n:,} residents of {place.en}", f"{place.ja}の住民{base_n:,}人"
    base = _i18n(base_en, base_ja)
    figures: list[str] = []
    values: list[float | int] = []
    if subject.kind == "share":
        for y in years:
            value = round(rng.uniform(3.0, 97.0), 1)
            values.append(value)
            figures.append(_figure(value, "percent", counts, y, as_of[y], base))
        words = {"value": f"{values[-1]}", "first": f"{values[0]}", "share": ""}
    else:
        unit = inst.unit if inst is not None else ("people" if subject.kind == "people" else "count")
        top = base_n if inst is not None else (base_n // 2 if subject.slug == "registrations" else max(4, base_n // 40))
        for y in years:
            value = rng.randint(1, top)
            values.append(value)
            figures.append(_figure(value, unit, counts, y, as_of[y], None))
        share = round(100 * values[-1] / base_n, 1)
        if "{share}" in subject.answer_en:  # the latest count as a share of its base, as a side figure
            share_counts = _i18n(f"share of {base_en}", f"{base_ja}のうちの割合")
            figures.append(_figure(share, "percent", share_counts, years[-1], as_of[years[-1]], base))
        words = {"value": f"{values[-1]:,}", "first": f"{values[0]:,}", "share": f"{share}"}
    words.update(base=f"{base_n:,}", year=str(years[-1]), first_year=str(years[0]))
    answer_en = subject.answer_en.format(**fill, **words)
    answer_ja = subject.answer_ja.format(**fill, **words)

    source = (subject.publisher, years[-1], place_no // PLACES_PER_SOURCE)
    lines = [
        f"  - id: {fact_id}\n",
        "    questions:\n",
        f"      en: {_qlist(file_en)}\n",
        f"      ja: {_qlist(file_ja)}\n",
    ]
    if rng.random() < 0.6:  # keywords are optional, and many hand-written facts have none
        kw_en = [place.en, *rng.sample(subject.keywords_en, 2)]
        kw_ja = [place.ja, rng.choice(subject.keywords_ja)]
        lines.append(f"    keywords: {{en: {_qlist(kw_en)}, ja: {_qlist(kw_ja)}}}\n")
    lines += [
        f"    answer:\n      en: {_q(answer_en)}\n      ja: {_q(answer_ja)}\n",
        "    figures:\n",
        *figures,
        f"    source: {_source_id(source)}\n",
        f"    series: {fact_id}\n",
    ]
    return _FactText(fact_id, "".join(lines), held_en, held_ja, file_en, file_ja, place, source)


def _source_id(source: tuple[int, int, int]) -> str:
    publisher, year, group = source
    return f"{PUBLISHERS[publisher][0]}-{year}-{group:03d}"


def _source_entries(used: set[tuple[int, int, int]], rng: random.Random) -> list[str]:
    out = []
    for source in sorted(used):
        publisher, year, group = source
        _slug, name_en, name_ja, domain, title = PUBLISHERS[publisher]
        out.append(
            f"  - id: {_source_id(source)}\n"
            f"    publisher: {_i18n(name_en, name_ja)}\n"
            f"    title: {_q(f'{title}, fiscal {year} (area group {group + 1})')}\n"
            f'    url: "https://{domain}/bench/{year}/area-{group:03d}.html"\n'
            f'    date: "{year + 1}-{rng.randint(4, 12):02d}"\n'
        )
    return out


def _typo(text: str, rng: random.Random) -> str:
    """The text with one or two typing mistakes in its longer words."""
    words = text.split(" ")
    longer = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not longer:
        return text
    for i in rng.sample(longer, min(len(longer), rng.choice((1, 1, 2)))):
        w = words[i]
        pos = rng.randrange(1, len(w) - 1)
        how = rng.choice(("swap", "drop", "double", "neighbour"))
        if how == "swap":
            w = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
        elif how == "drop":
            w = w[:pos] + w[pos + 1 :]
        elif how == "double":
            w = w[:pos] + w[pos] + w[pos:]
        else:
            ch = w[pos].lower()
            w = w[:pos] + rng.choice(_KEYBOARD_NEIGHBOURS.get(ch, ch)) + w[pos + 1 :]
        words[i] = w
    return " ".join(words)


def _question_plan(n_facts: int, n_questions: int, rng: random.Random) -> dict[int, list[str]]:
    """For each fact that gets asked about, the kinds of questions to ask about it."""
    wanted: dict[int, list[str]] = {}
    for kind, share in QUESTION_MIX:
        if kind == "offtopic":
            continue
        count = round(n_questions * share)
        picks = rng.sample(range(n_facts), count) if count <= n_facts else [rng.randrange(n_facts) for _ in range(count)]
        for idx in picks:
            wanted.setdefault(idx, []).append(kind)
    return wanted


def _questions_for(fact: _FactText, kinds: list[str], rng: random.Random) -> list[Question]:
    out = []
    for kind in kinds:
        if kind == "exact":
            text = rng.choice(fact.file_en + fact.file_en + fact.file_ja)  # two English for one Japanese
        elif kind == "paraphrase":
            text = rng.choice(fact.held_en)
        elif kind == "typo":
            text = _typo(rng.choice(fact.held_en + fact.file_en), rng)
        else:
            text = rng.choice(fact.held_ja)
        out.append(Question(text, kind, fact.fact_id))
    return out


def generate(folder: Path, n_facts: int, seed: int = 1, n_questions: int = 1000, limits: Limits = DEFAULT_LIMITS) -> Generated:
    """Write a knowledge base of `n_facts` facts into `folder` (created; must be empty) and
    return it with its question set. Files stay within `limits`, so the loader reads them all."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise ValueError(f"{folder} is not empty")
    plan = _plan(n_facts, seed)
    qrng = random.Random(f"{seed}/questions/{n_facts}/{n_questions}")
    wanted = _question_plan(n_facts, n_questions, qrng)
    budget = int(limits.max_file_bytes * FILE_BUDGET_SHARE)
    max_facts_per_file = max(1, limits.max_nodes // NODES_PER_FACT_BOUND)
    questions: list[Question] = []
    used_sources: set[tuple[int, int, int]] = set()
    places_used: list[Place] = []
    files = 0
    total_bytes = 0
    buffer: list[bytes] = []
    buffer_bytes = 0
    in_file = 0
    current_metric = -1
    part = 0

    def header(metric_no: int, part_no: int) -> bytes:
        metric = METRICS[metric_no]
        inst = metric.inst
        fill = {"Inst": inst.plural.capitalize() if inst else "", "inst_ja": inst.ja if inst else ""}
        title_en = metric.subject.title_en.format(**fill) + f" (part {part_no})"
        title_ja = metric.subject.title_ja.format(**fill) + f"（その{part_no}）"
        return f"topic:\n  id: {metric.slug}-{part_no}\n  title: {_i18n(title_en, title_ja)}\nfacts:\n".encode()

    def flush() -> None:
        nonlocal files, total_bytes, buffer, buffer_bytes, in_file
        if not buffer:
            return
        data = b"".join(buffer)
        (folder / f"{METRICS[current_metric].slug}-{part:03d}.yaml").write_bytes(data)
        files += 1
        total_bytes += len(data)
        buffer, buffer_bytes, in_file = [], 0, 0

    for idx, (metric_no, place_no) in enumerate(plan):
        fact = _fact(seed, metric_no, place_no)
        data = fact.yaml.encode()
        if metric_no != current_metric or buffer_bytes + len(data) > budget or in_file >= max_facts_per_file:
            flush()
            part = part + 1 if metric_no == current_metric else 1
            current_metric = metric_no
            head = header(metric_no, part)
            buffer, buffer_bytes = [head], len(head)
        buffer.append(data)
        buffer_bytes += len(data)
        in_file += 1
        used_sources.add(fact.source)
        if idx in wanted:
            questions.extend(_questions_for(fact, wanted[idx], qrng))
        if len(places_used) < 64 and fact.place not in places_used:
            places_used.append(fact.place)
    flush()
    # Sources go into as many files as their size needs; the loader reads every file whose
    # top key is `sources`.
    entries = _source_entries(used_sources, random.Random(f"{seed}/sources"))
    chunk: list[str] = []
    chunk_bytes = 0
    chunks: list[bytes] = []
    for entry in entries:
        size = len(entry.encode())
        if chunk and (chunk_bytes + size > budget or len(chunk) * NODES_PER_SOURCE_BOUND >= limits.max_nodes):
            chunks.append(("sources:\n" + "".join(chunk)).encode())
            chunk, chunk_bytes = [], 0
        chunk.append(entry)
        chunk_bytes += size
    chunks.append(("sources:\n" + "".join(chunk)).encode())
    for k, data in enumerate(chunks, 1):
        (folder / ("sources.yaml" if len(chunks) == 1 else f"sources-{k:03d}.yaml")).write_bytes(data)
        files += 1
        total_bytes += len(data)

    for _ in range(max(0, n_questions - len(questions))):
        place = qrng.choice(places_used)
        if qrng.random() < 0.7:
            text = qrng.choice(_OFF_TOPIC_EN).format(place=place.en)
        else:
            text = qrng.choice(_OFF_TOPIC_JA).format(place_ja=place.ja)
        questions.append(Question(text, "offtopic", None))
    qrng.shuffle(questions)
    return Generated(folder, n_facts, files, total_bytes, tuple(questions))


def write_questions(path: Path, questions: tuple[Question, ...] | list[Question]) -> None:
    path.write_text(json.dumps([q.__dict__ for q in questions], ensure_ascii=False, indent=0), encoding="utf-8")


def read_questions(path: Path) -> list[Question]:
    return [Question(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
