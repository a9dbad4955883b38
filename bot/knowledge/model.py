"""The knowledge base as typed, immutable values (frozen dataclasses). Built only by the loader, after validation."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

LANGS = ("en", "ja")


def _pickled_as_call(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickled as a call of the class with its field values: read back a third quicker than
    dataclasses' per-field state, and without a list per value (a large first load gets the
    facts back from worker processes; a reload beside the event loop, a changed file's)."""
    return type(self), tuple(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(frozen=True, slots=True)
class Text:
    """Text shown to people, in English and Japanese (one may stand in for the other)."""

    __reduce__ = _pickled_as_call

    en: str
    ja: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True, slots=True)
class Source:
    __reduce__ = _pickled_as_call

    id: str
    publisher: Text
    title: Text | None  # None when the file gives none
    url: str
    date: str | None
    survey_by: Text | None
    file: str


@dataclass(frozen=True, slots=True)
class Figure:
    __reduce__ = _pickled_as_call

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
    __reduce__ = _pickled_as_call

    id: str
    title: Text
    file: str


@dataclass(frozen=True, slots=True, repr=False)
class Fact:
    """One answerable fact: the phrasings people ask it by, its answer and its figures."""

    __reduce__ = _pickled_as_call

    id: str
    topic: str
    questions: Mapping[str, tuple[str, ...]]  # by language
    keywords: Mapping[str, tuple[str, ...]]  # by language
    answer: Text
    figures: tuple[Figure, ...]
    source: str
    file: str
    line: int
    series: str | None = None
    chart: str | None = None

    def all_questions(self) -> list[tuple[str, str]]:
        return [(lang, q) for lang in LANGS for q in self.questions.get(lang, ())]

    def replace(self, **changes: object) -> Fact:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def __hash__(self) -> int:  # the mappings are not hashable; id, file and line tell facts apart
        return hash((self.id, self.file, self.line))

    def __repr__(self) -> str:
        return f"Fact(id={self.id!r}, topic={self.topic!r}, file={self.file!r}, line={self.line})"


@dataclass(frozen=True, slots=True)
class Gap:
    """Something people ask about that the sources have no figure for: the bot declines and says so."""

    __reduce__ = _pickled_as_call

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
    # file -> text -> (normalised text, tokens), as `bot.text.normalise.analyse` gives them, for
    # every text of the file's facts and its topic's title: computed where each file was checked
    # (in parallel on a large first load) and taken over by the search index
    analysed: Mapping[str, Mapping[str, tuple[str, tuple[str, ...]]]] = field(default_factory=dict, repr=False, compare=False)
    _by_id: Mapping[str, Fact] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({f.id: f for f in self.facts}))

    def fact(self, fact_id: str) -> Fact | None:
        return self._by_id.get(fact_id)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)
