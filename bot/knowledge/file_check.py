"""The checks of one knowledge file on its own: read safely (bot.knowledge.yamlsafe), checked
against its schema (bot.knowledge.schema), built into values and, for facts, checked for numbers
in answers that are not among the fact's figures; every text of its facts is analysed
(bot.text.normalise.analyse) for the collision check and the search index.

`check_file` depends only on the file's name, bytes and the limits: the loader reuses its result
while a file's bytes are unchanged, and runs it in worker processes on a large first load, and
for a large knowledge base beside other threads (see `loader.ASIDE_MIN_BYTES`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.knowledge import schema
from bot.knowledge.model import LANGS, Fact, Figure, Gap, Source, Text, Topic
from bot.knowledge.numbers import numbers_in, same_number
from bot.knowledge.schema import describe
from bot.knowledge.yamlsafe import Limits, Located, Problem, Scalar, YamlError, decode, format_path, parse_yaml_text
from bot.text.normalise import analyse, detect_lang, signature_of

Position = tuple[int, int]


# Where a fact stands in its file, for the checks across files: (its index in the file's `facts`,
# the position of its id, (path, source id, position) of each source it names, and for each of
# fact.all_questions() its collision signature and position). The signatures are kept with the
# file's result, so a reload signs only the phrasings of changed files. Plain tuples of text and
# numbers, not objects: the cycle collector stops tracking them at its first pass over them (see
# `loader._Row`).
Placement = tuple[int, Position, tuple[tuple[tuple[Any, ...], str, Position], ...], tuple[tuple[str, Position], ...]]
# A text's `normalise.analyse`: its normalised form and its tokens.
Analysed = tuple[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Addition:
    file: str
    fact: str
    question: str
    lang: str
    at: Position


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one file holds and what is wrong with it on its own: a function of its name, bytes
    and the limits, so a reload reuses it while the bytes are unchanged."""

    problems: tuple[Problem, ...] = ()
    sources: tuple[tuple[Source, int, Position], ...] = ()  # (source, entry index, position of its id)
    declared: frozenset[str] = frozenset()  # source ids seen, valid or not
    topic: Topic | None = None
    topic_at: Position = (0, 0)
    facts: tuple[Fact, ...] = ()
    placements: tuple[Placement, ...] = ()  # of each fact, in the same order
    additions: tuple[Addition, ...] = ()
    gaps: tuple[tuple[Gap, int, Position], ...] = ()
    # every text of the facts and the topic's title, analysed: the phrasings' tokens sign them for
    # the collision check, and the search index takes all of them over instead of reading the
    # texts again (they are analysed here because a large first load checks files in parallel)
    analysed: dict[str, Analysed] = field(default_factory=dict)


def check_file(display: str, data: bytes, limits: Limits) -> FileResult:
    try:
        doc, located = parse_yaml_text(decode(data, display), display, limits)
    except YamlError as exc:
        return FileResult((exc.problem,))
    if doc is None:
        return FileResult((Problem(display, 0, 0, "", "is empty; expected 'sources', or 'topic' and 'facts'"),))
    if not isinstance(doc, dict):
        line, column = located.at(())
        return FileResult((Problem(display, line, column, "", f"expected a mapping at the top, found {describe(doc)}"),))
    reader = _FileReader(display, doc, located)
    if "sources" in doc:
        return reader.sources()
    if "additions" in doc:
        return reader.additions()
    if "not_covered" in doc:
        return reader.gaps()
    return reader.topic()


class _FileReader:
    """Builds the values of one file from its validated entries, collecting every problem."""

    def __init__(self, display: str, doc: dict[str, Any], located: Located) -> None:
        self.display = display
        self.doc = doc
        self.located = located
        self.problems: list[Problem] = []
        self._texts: dict[tuple[str, str], Text] = {}
        self._analysed: dict[str, Analysed] = {}
        self._numbers: dict[Text, set[float]] = {}  # the numbers in each base and period of the file

    def _entries(self, model: type[schema.StrictModel], key: str, entry_model: type[schema.StrictModel]) -> tuple[Any, Iterator[tuple[int, Any]]]:
        """The file's model without its entries under `key` (None if that is not valid), and its
        valid entries, each checked when it is taken, its problems noted: the models of one entry
        are gone before the next is read, so a large file's models never pile up for the cycle
        collector. Every entry is checked, valid file or not, so the checks across files see them."""
        raw = self.doc.get(key)
        shell = dict(self.doc, **{key: []}) if isinstance(raw, list) else self.doc
        spec, problems = schema.validate(model, shell, self.display, self.located)
        self.problems.extend(problems)
        return spec, self._valid_entries(raw if isinstance(raw, list) else [], model, key, entry_model)

    def _valid_entries(self, items: list[Any], model: type[schema.StrictModel], key: str, entry_model: type[schema.StrictModel]) -> Iterator[tuple[int, Any]]:
        for i, item in enumerate(items):
            entry, problems = schema.validate(entry_model, item, self.display, self.located, model, (key, i))
            self.problems.extend(problems)
            if entry is not None:
                yield i, entry

    def _result(self, **values: Any) -> FileResult:
        # the order of the file, whichever check found them
        return FileResult(tuple(sorted(self.problems, key=lambda p: (p.line, p.column))), **values)

    def sources(self) -> FileResult:
        _, entries = self._entries(schema.SourcesFile, "sources", schema.SourceSpec)
        raw = self.doc.get("sources")
        declared = {str(e["id"].value).strip() for e in (raw if isinstance(raw, list) else ()) if isinstance(e, dict) and isinstance(e.get("id"), Scalar)}
        sources = []
        for i, spec in entries:
            source = Source(
                spec.id, self._label(spec.publisher), self._maybe_label(spec.title), spec.url, spec.date, self._maybe_label(spec.survey_by), self.display
            )
            sources.append((source, i, self.located.at(("sources", i, "id"))))
        return self._result(sources=tuple(sources), declared=frozenset(declared))

    def gaps(self) -> FileResult:
        _, entries = self._entries(schema.NotCoveredFile, "not_covered", schema.GapSpec)
        gaps = []
        for i, spec in entries:
            terms = _per_lang(spec.terms)
            if terms:
                gaps.append((Gap(spec.id, self._text(spec.what.en, spec.what.ja), terms, self.display), i, self.located.at(("not_covered", i, "id"))))
        return self._result(gaps=tuple(gaps))

    def additions(self) -> FileResult:
        _, entries = self._entries(schema.AdditionsFile, "additions", schema.AdditionSpec)
        out = tuple(Addition(self.display, s.fact, s.question, s.lang or detect_lang(s.question), self.located.at(("additions", i))) for i, s in entries)
        return self._result(additions=out)

    def topic(self) -> FileResult:
        spec, entries = self._entries(schema.TopicFile, "facts", schema.FactSpec)
        if spec is not None:
            topic_spec = spec.topic
        else:
            bad = any(p.path == "topic" or p.path.startswith("topic.") for p in self.problems)
            raw = self.doc.get("topic")
            try:
                topic_spec = None if bad or raw is None else schema.TopicSpec.model_validate(schema.as_input(raw))
            except ValidationError:  # reported with the file's problems already
                topic_spec = None
        if topic_spec is None:
            for _entry in entries:  # still checked, for their problems
                pass
            return self._result()
        topic = Topic(topic_spec.id, self._text(topic_spec.title.en, topic_spec.title.ja), self.display)
        for lang in LANGS:
            self._analyse(topic.title.get(lang))
        facts: list[Fact] = []
        placements: list[Placement] = []
        for i, fact_spec in entries:
            placed = self._fact(i, fact_spec, topic.id)
            if placed is not None:
                facts.append(placed[0])
                placements.append(placed[1])
        return self._result(topic=topic, topic_at=self.located.at(("topic", "id")), facts=tuple(facts), placements=tuple(placements), analysed=self._analysed)

    def _fact(self, i: int, spec: schema.FactSpec, topic: str) -> tuple[Fact, Placement] | None:
        path: tuple[Any, ...] = ("facts", i)
        figures = [self._figure(path + ("figures", j), fig, spec.source) for j, fig in enumerate(spec.figures)]
        questions = {"en": tuple(spec.questions.en), "ja": tuple(spec.questions.ja)}
        keywords = _per_lang(spec.keywords) if spec.keywords is not None else {}
        fact = Fact(
            spec.id, topic, questions, keywords, self._text(spec.answer.en, spec.answer.ja), tuple(f for f in figures if f is not None),
            spec.source, self.display, self.located.at(path)[0], spec.series, spec.chart,
        )  # fmt: skip
        if None in figures:
            return None  # its answer's numbers are checked once its figures are sound
        self._check_answer_numbers(fact, path)
        # sources may be declared in another file: keep where each is named, to report an unknown one
        named = [(path + ("source",), spec.source, self.located.at(path + ("source",)))]
        named += [
            (path + ("figures", j, "source"), f.source, self.located.at(path + ("figures", j, "source")))
            for j, f in enumerate(spec.figures)
            if f.source not in (None, spec.source)
        ]
        phrasings = tuple(
            (signature_of(self._analyse(q)[1]), self.located.at(path + ("questions", lang, k))) for lang in LANGS for k, q in enumerate(questions[lang])
        )
        for lang in LANGS:
            for keyword in keywords.get(lang, ()):
                self._analyse(keyword)
            self._analyse(fact.answer.get(lang))
            for fig in fact.figures:
                for label in (fig.counts, fig.base, fig.period):
                    if label is not None:
                        self._analyse(label.get(lang))
        return fact, (i, self.located.at(path + ("id",)), tuple(named), phrasings)

    def _analyse(self, text: str) -> Analysed:
        """`normalise.analyse` of a text, once per file (figures repeat their wording)."""
        found = self._analysed.get(text)
        if found is None:
            found = self._analysed[text] = analyse(text)
        return found

    def _figure(self, path: tuple[Any, ...], spec: schema.FigureSpec, fact_source: str) -> Figure | None:
        value = spec.value
        if (spec.unit == "date") != isinstance(value, str) or (isinstance(value, str) and not schema.is_date(value)):
            node = self._node(path + ("value",))
            line, column = (node.line, node.column) if isinstance(node, Scalar) else self.located.at(path + ("value",))
            if spec.unit == "date":
                message = f"expected a date as YYYY-MM-DD or YYYY-MM, found {node.raw if isinstance(node, Scalar) else value!r}"
            else:
                message = f"expected a number, found {describe(node)}"
            self.problems.append(Problem(self.display, line, column, format_path(path + ("value",)), message))
            return None
        return Figure(
            value, spec.unit, self._label(spec.counts), spec.as_of, spec.source or fact_source, spec.qualifier,
            self._maybe_label(spec.base), self._maybe_label(spec.period),
        )  # fmt: skip

    def _allowed_numbers(self, fact: Fact) -> set[float]:
        """Every number a fact's answer may state: its figures' values and dates, and the numbers
        in their bases and periods."""
        allowed: set[float] = set()
        for fig in fact.figures:
            if isinstance(fig.value, float):
                allowed.add(fig.value)
            else:
                allowed.update(float(p) for p in fig.value.split("-"))
            allowed.update(float(p) for p in fig.as_of.split("-"))
            for text in (fig.base, fig.period):
                if text is not None:
                    numbers = self._numbers.get(text)
                    if numbers is None:
                        numbers = self._numbers[text] = {value for lang in LANGS for _, value in numbers_in(text.get(lang))}
                    allowed |= numbers
        return allowed

    def _text(self, en: str, ja: str) -> Text:
        """The file's one `Text` of this wording: a file's figures repeat what they count, their
        bases and periods, and each object kept is one more for the cycle collector to walk."""
        key = (en, ja)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = Text(en, ja)
        return text

    def _label(self, value: str | schema.Label) -> Text:
        """One text for both languages, or English and Japanese (Japanese defaults to English)."""
        if isinstance(value, str):
            return self._text(value, value)
        return self._text(value.en, value.ja or value.en)

    def _maybe_label(self, value: str | schema.Label | None) -> Text | None:
        return None if value is None else self._label(value)

    def _node(self, path: tuple[Any, ...]) -> Any:
        node: Any = self.doc
        for part in path:
            node = node[part]
        return node

    def _check_answer_numbers(self, fact: Fact, path: tuple[Any, ...]) -> None:
        allowed = self._allowed_numbers(fact)
        for lang in LANGS:
            for written, value in numbers_in(fact.answer.get(lang)):
                if value not in allowed and not any(same_number(value, a) for a in allowed):
                    line, column = self.located.at(path + ("answer", lang))
                    message = f"states the number {written!r}, which is not among this fact's figures, dates, bases or periods; add it as a figure or correct the sentence"
                    self.problems.append(Problem(self.display, line, column, format_path(path + ("answer", lang)), message))


def _per_lang(spec: schema.Keywords) -> dict[str, tuple[str, ...]]:
    """The languages a file gives, each with its entries."""
    return {lang: tuple(getattr(spec, lang)) for lang in LANGS if lang in spec.model_fields_set}
