"""The knowledge base as typed, immutable values. Built only by the loader, after validation."""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

LANGS = ("en", "ja")


@dataclass(frozen=True, slots=True)
class Text:
    """Text shown to people, in English and Japanese (one may stand in for the other)."""

    en: str
    ja: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    publisher: Text
    title: Text
    url: str
    date: str | None
    survey_by: Text | None
    file: str


@dataclass(frozen=True, slots=True)
class Figure:
    value: float | str  # a number, or an ISO date when unit == "date"
    unit: str
    counts: Text
    as_of: str
    source: str
    qualifier: str | None = None
    base: Text | None = None
    period: Text | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: Text
    file: str


_Body = tuple[Mapping[str, tuple[str, ...]], Mapping[str, tuple[str, ...]], Text, tuple[Figure, ...]]


class Fact:
    """One answerable fact. Immutable.

    Its body (phrasings, keywords, answer, figures) is most of its size and is read only when
    a fact is indexed, answered or drawn, so the loader packs it (`pack_facts`): compressed
    against a dictionary drawn from the facts of the same file, it takes about a tenth of the
    memory of the objects. A packed body is unpacked on reading, with a small cache (`_unpack`).
    """

    __slots__ = ("_body", "_packer", "chart", "file", "id", "line", "series", "source", "topic")
    id: str
    topic: str
    source: str
    file: str
    line: int
    series: str | None
    chart: str | None

    def __init__(
        self,
        id: str,
        topic: str,
        questions: Mapping[str, tuple[str, ...]],
        keywords: Mapping[str, tuple[str, ...]],
        answer: Text,
        figures: tuple[Figure, ...],
        source: str,
        file: str,
        line: int,
        series: str | None = None,
        chart: str | None = None,
    ) -> None:
        body: _Body = (questions, keywords, answer, tuple(figures))
        self._init(id, topic, source, file, line, series, chart, body, None)

    def _init(self, id: str, topic: str, source: str, file: str, line: int, series: str | None, chart: str | None, body: object, packer: DeflateDictionary | None) -> None:
        for name, value in (("id", id), ("topic", topic), ("source", source), ("file", file), ("line", line), ("series", series), ("chart", chart), ("_body", body), ("_packer", packer)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Fact is immutable; use fact.replace({name}=...)")

    def _parts(self) -> _Body:
        if self._packer is None:
            return self._body  # type: ignore[return-value]
        return _unpack(self._packer, self._body)  # type: ignore[arg-type]

    @property
    def questions(self) -> Mapping[str, tuple[str, ...]]:
        return self._parts()[0]

    @property
    def keywords(self) -> Mapping[str, tuple[str, ...]]:
        return self._parts()[1]

    @property
    def answer(self) -> Text:
        return self._parts()[2]

    @property
    def figures(self) -> tuple[Figure, ...]:
        return self._parts()[3]

    def all_questions(self) -> list[tuple[str, str]]:
        questions = self.questions
        return [(lang, q) for lang in LANGS for q in questions.get(lang, ())]

    def replace(self, **changes: object) -> Fact:
        """A copy with some fields changed (as dataclasses.replace)."""
        questions, keywords, answer, figures = self._parts()
        fields = {
            "id": self.id, "topic": self.topic, "questions": questions, "keywords": keywords, "answer": answer, "figures": figures,
            "source": self.source, "file": self.file, "line": self.line, "series": self.series, "chart": self.chart,
        }  # fmt: skip
        unknown = changes.keys() - fields.keys()
        if unknown:
            raise TypeError(f"Fact has no field {sorted(unknown)[0]!r}")
        fields.update(changes)
        return Fact(**fields)  # type: ignore[arg-type]

    def _key(self) -> tuple[object, ...]:
        questions, keywords, answer, figures = self._parts()
        return (self.id, self.topic, _frozen(questions), _frozen(keywords), answer, figures, self.source, self.file, self.line, self.series, self.chart)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if not isinstance(other, Fact):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.id, self.file, self.line))

    def __repr__(self) -> str:
        return f"Fact(id={self.id!r}, topic={self.topic!r}, file={self.file!r}, line={self.line})"


def _frozen(mapping: Mapping[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(v)) for k, v in mapping.items()))


def _plain_text(text: Text | None) -> tuple[str, str] | None:
    return None if text is None else (text.en, text.ja)


def _text(pair: tuple[str, str] | None) -> Text | None:
    return None if pair is None else Text(*pair)


class DeflateDictionary:
    """Raw deflate (no header or checksum: the bytes never leave the process) against a
    dictionary drawn from the texts being packed, so each small text costs a fraction of its
    size. Used for facts' bodies (one per file) and the index's phrasings (one per index).

    Packing copies a compressor primed with the dictionary (priming a new one per text costs
    four times as much); `done_packing` lets it go when no more texts will come."""

    __slots__ = ("_primed", "zdict")
    DICT_BYTES = 16_384  # zlib reads at most 32 KiB of dictionary; a smaller one is set up faster
    SAMPLES = 64
    WBITS = -15

    def __init__(self, samples: Sequence[bytes]) -> None:
        # zlib finds matches best near the end of its dictionary: the dictionary is the tail of
        # an even sample of the texts, so it holds the words, names and labels they share
        step = max(1, len(samples) // self.SAMPLES)
        self.zdict = b"".join(samples[::step])[-self.DICT_BYTES :]
        self._primed: Any = None

    def pack(self, raw: bytes) -> bytes:
        if self._primed is None:
            self._primed = zlib.compressobj(6, zlib.DEFLATED, self.WBITS, zdict=self.zdict)
        squeezer = self._primed.copy()
        return squeezer.compress(raw) + squeezer.flush()  # type: ignore[no-any-return]

    def done_packing(self) -> None:
        self._primed = None  # a primed compressor holds about 256 KiB

    def unpack(self, blob: bytes) -> bytes:
        return zlib.decompressobj(self.WBITS, zdict=self.zdict).decompress(blob)


def _raw_body(body: _Body) -> bytes:
    questions, keywords, answer, figures = body
    return marshal.dumps(
        (
            tuple((lang, tuple(items)) for lang, items in questions.items()),
            tuple((lang, tuple(items)) for lang, items in keywords.items()),
            (answer.en, answer.ja),
            tuple((f.value, f.unit, _plain_text(f.counts), f.as_of, f.source, f.qualifier, _plain_text(f.base), _plain_text(f.period)) for f in figures),
        )
    )


# Small on purpose: the objects of an unpacked body are ones the cycle collector walks, and a
# cache of a thousand bodies kept ~10,000 of them in the young generations after each reload,
# so a collection pass could take 5 ms in the middle of a question. Readers take a fact's
# fields one after another (indexing, answering, charts), so a few entries catch them all.
@lru_cache(maxsize=32)
def _unpack(packer: DeflateDictionary, blob: bytes) -> _Body:
    questions, keywords, (en, ja), figures = marshal.loads(packer.unpack(blob))
    return (  # read-only views: the cache hands the same body to every reader
        MappingProxyType(dict(questions)),
        MappingProxyType(dict(keywords)),
        Text(en, ja),
        tuple(Figure(value, unit, Text(*counts), as_of, source, qualifier, _text(base), _text(period)) for value, unit, counts, as_of, source, qualifier, base, period in figures),
    )


def pack_facts(facts: Sequence[Fact]) -> tuple[Fact, ...]:
    """The same facts with their bodies packed (see `Fact`); reading them gives equal values."""
    raws = [_raw_body(f._parts()) for f in facts]
    if not raws:
        return ()
    packer = DeflateDictionary(raws)
    out = []
    for fact, raw in zip(facts, raws, strict=True):
        packed = Fact.__new__(Fact)
        packed._init(fact.id, fact.topic, fact.source, fact.file, fact.line, fact.series, fact.chart, packer.pack(raw), packer)
        out.append(packed)
    packer.done_packing()
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Gap:
    """Something people ask about that the sources have no figure for: the bot declines and says so."""

    id: str
    what: Text
    terms: Mapping[str, tuple[str, ...]]
    file: str


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    facts: tuple[Fact, ...]
    topics: tuple[Topic, ...]
    sources: Mapping[str, Source]
    version: str  # short content hash of the files it was built from
    files: tuple[str, ...] = field(default=())
    gaps: tuple[Gap, ...] = field(default=())
    _by_id: Mapping[str, Fact] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({f.id: f for f in self.facts}))

    def fact(self, fact_id: str) -> Fact | None:
        return self._by_id.get(fact_id)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)
