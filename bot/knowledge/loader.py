"""Load and validate knowledge files: every problem in one run, each with file, line and field.

Each file is read safely (bot.knowledge.yamlsafe), checked against its schema (bot.knowledge.schema)
and, for facts, checked for numbers in answers that are not among the fact's figures. Then the
checks across files: duplicate ids, unknown sources, the phrasings the bot added, charts and
phrasings of different facts that the matcher could not tell apart.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.knowledge import schema
from bot.knowledge.charts_check import check_charts
from bot.knowledge.model import LANGS, Fact, Figure, Gap, KnowledgeBase, Source, Text, Topic
from bot.knowledge.numbers import numbers_in, same_number
from bot.knowledge.schema import MAX_QUESTION_CHARS, describe
from bot.knowledge.yamlsafe import Limits, Located, Problem, Scalar, YamlError, decode, format_path, parse_yaml_text, read_bytes

__all__ = ["ADDITIONS_FILE", "MAX_QUESTION_CHARS", "LoadCache", "LoadResult", "knowledge_files", "load_knowledge"]

ADDITIONS_FILE = "added_questions.yaml"  # the one file the bot itself writes (see bot.knowledge.store)
COLLISION_RATIO = 95.0
FUZZY_COLLISION_MAX = 5000  # phrasings; above it only the exact-signature check runs (all pairs grow as n²)
# Files to check holding at least this many bytes (about 2,000 facts) are checked in worker
# processes, one per core, when the calling process runs no other thread: the first load of a
# large knowledge base, before the bot connects. A reload after an edit checks few files.
PARALLEL_MIN_BYTES = 4_000_000

Position = tuple[int, int]


@dataclass
class LoadResult:
    kb: KnowledgeBase | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.kb is not None and not self.problems


# Where a fact stands in its file, for the checks across files: (its index in the file's `facts`,
# the position of its id, (path, source id, position) of each source it names, and for each of
# fact.all_questions() its collision signature and position). The signatures are kept with the
# file's result, so a reload signs only the phrasings of changed files. Plain tuples of text and
# numbers, not objects: the cycle collector stops tracking them at its first pass over them (see
# `_Row`).
_Placement = tuple[int, Position, tuple[tuple[tuple[Any, ...], str, Position], ...], tuple[tuple[str, Position], ...]]


@dataclass(frozen=True, slots=True)
class _Addition:
    file: str
    fact: str
    question: str
    lang: str
    at: Position


@dataclass(frozen=True, slots=True)
class _FileResult:
    """What one file holds and what is wrong with it on its own: a function of its name, bytes
    and the limits, so a reload reuses it while the bytes are unchanged."""

    problems: tuple[Problem, ...] = ()
    sources: tuple[tuple[Source, int, Position], ...] = ()  # (source, entry index, position of its id)
    declared: frozenset[str] = frozenset()  # source ids seen, valid or not
    topic: Topic | None = None
    topic_at: Position = (0, 0)
    facts: tuple[Fact, ...] = ()
    placements: tuple[_Placement, ...] = ()  # of each fact, in the same order
    additions: tuple[_Addition, ...] = ()
    gaps: tuple[tuple[Gap, int, Position], ...] = ()


class LoadCache:
    """The per-file results of the last load, reused by the next one for every file whose
    bytes (by SHA-256) and limits are unchanged; the checks across files run every time."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, Limits, _FileResult]] = {}
        self.hits = 0
        self.misses = 0

    def _get(self, display: str, digest: bytes, limits: Limits) -> _FileResult | None:
        entry = self._entries.get(display)
        if entry is not None and entry[0] == digest and entry[1] == limits:
            self.hits += 1
            return entry[2]
        self.misses += 1
        return None


def knowledge_files(paths: list[Path]) -> list[Path]:
    """The .yaml/.yml files under the given folders (hidden ones skipped), and any file given by name."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            continue
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.y*ml")) if not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            files.append(path)
    return files


def load_knowledge(
    paths: list[Path] | Path,
    limits: Limits = Limits(),
    check_collisions: bool = True,
    chart_checks: bool = True,
    cache: LoadCache | None = None,
) -> LoadResult:
    """Read, validate and build a knowledge base. Returns every problem found; kb is None if any.

    With a `cache`, files whose bytes are unchanged since its last load are not read again."""
    if isinstance(paths, Path):
        paths = [paths]
    problems: list[Problem] = []
    files = knowledge_files(paths)
    roots = [p for p in paths if p.is_dir()]
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), 0, 0, "", "does not exist"))
    if not files and not problems:
        problems.append(Problem(", ".join(str(p) for p in paths), 0, 0, "", "holds no .yaml knowledge files"))
    version = hashlib.sha256()
    results: list[tuple[str, _FileResult | None]] = []  # None: to be checked
    to_check: list[tuple[int, str, bytes, bytes]] = []  # (its place in results, name, bytes, digest)
    kept: dict[str, tuple[bytes, Limits, _FileResult]] = {}
    for file in files:
        display = str(file)
        root = next((r for r in roots if file.is_relative_to(r)), None)
        try:
            data = read_bytes(file, display, limits, root)
        except YamlError as exc:
            results.append((display, _FileResult((exc.problem,))))
            continue
        digest = hashlib.sha256(data).digest()
        # the version describes the very bytes that were checked, even if a file changes meanwhile
        version.update(display.encode() + b"\0" + digest)
        result = cache._get(display, digest, limits) if cache is not None else None
        if result is None:
            to_check.append((len(results), display, data, digest))
        else:
            kept[display] = (digest, limits, result)
        results.append((display, result))
    checked = _check_files([(display, data) for _i, display, data, _digest in to_check], limits)
    for (i, display, _data, digest), result in zip(to_check, checked, strict=True):
        kept[display] = (digest, limits, result)
        results[i] = (display, result)
    if cache is not None:
        cache._entries = kept
    kb, merge_problems = _merge(
        [(display, result) for display, result in results if result is not None],
        version.hexdigest()[:12],
        tuple(str(f) for f in files),
        check_collisions,
        chart_checks,
    )
    problems.extend(merge_problems)
    if problems:
        return LoadResult(None, problems)
    return LoadResult(kb, [])


# -- one file


def _check_files(files: list[tuple[str, bytes]], limits: Limits) -> list[_FileResult]:
    """`_check_file` of each (name, bytes), in order."""
    workers = min(len(files), os.cpu_count() or 1)
    if (
        workers > 1
        and sum(len(data) for _display, data in files) >= PARALLEL_MIN_BYTES
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
        and sys.platform != "darwin"
    ):
        # Processes, not threads: the checks are Python code, which holds the interpreter lock.
        # Forked, so they start in milliseconds with everything imported and never run the
        # caller's main module again; forking is safe only while no other thread runs (and not
        # on macOS, whose system libraries may not survive it).
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                return list(pool.map(_check_file, [display for display, _ in files], [data for _, data in files], itertools.repeat(limits)))
        except (OSError, BrokenProcessPool):  # no processes to be had: check them in this one
            pass
    return [_check_file(display, data, limits) for display, data in files]


def _check_file(display: str, data: bytes, limits: Limits) -> _FileResult:
    try:
        doc, located = parse_yaml_text(decode(data, display), display, limits)
    except YamlError as exc:
        return _FileResult((exc.problem,))
    if doc is None:
        return _FileResult((Problem(display, 0, 0, "", "is empty; expected 'sources', or 'topic' and 'facts'"),))
    if not isinstance(doc, dict):
        line, column = located.at(())
        return _FileResult((Problem(display, line, column, "", f"expected a mapping at the top, found {describe(doc)}"),))
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

    def _result(self, **values: Any) -> _FileResult:
        # the order of the file, whichever check found them
        return _FileResult(tuple(sorted(self.problems, key=lambda p: (p.line, p.column))), **values)

    def sources(self) -> _FileResult:
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

    def gaps(self) -> _FileResult:
        _, entries = self._entries(schema.NotCoveredFile, "not_covered", schema.GapSpec)
        gaps = []
        for i, spec in entries:
            terms = _per_lang(spec.terms)
            if terms:
                gaps.append((Gap(spec.id, self._text(spec.what.en, spec.what.ja), terms, self.display), i, self.located.at(("not_covered", i, "id"))))
        return self._result(gaps=tuple(gaps))

    def additions(self) -> _FileResult:
        from bot.text.normalise import detect_lang

        _, entries = self._entries(schema.AdditionsFile, "additions", schema.AdditionSpec)
        out = tuple(_Addition(self.display, s.fact, s.question, s.lang or detect_lang(s.question), self.located.at(("additions", i))) for i, s in entries)
        return self._result(additions=out)

    def topic(self) -> _FileResult:
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
        facts: list[Fact] = []
        placements: list[_Placement] = []
        for i, fact_spec in entries:
            placed = self._fact(i, fact_spec, topic.id)
            if placed is not None:
                facts.append(placed[0])
                placements.append(placed[1])
        return self._result(topic=topic, topic_at=self.located.at(("topic", "id")), facts=tuple(facts), placements=tuple(placements))

    def _fact(self, i: int, spec: schema.FactSpec, topic: str) -> tuple[Fact, _Placement] | None:
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
        from bot.text.normalise import signature

        phrasings = tuple((signature(q), self.located.at(path + ("questions", lang, k))) for lang in LANGS for k, q in enumerate(questions[lang]))
        return fact, (i, self.located.at(path + ("id",)), tuple(named), phrasings)

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


# -- across files


def _merge(
    results: list[tuple[str, _FileResult]],
    version: str,
    files: tuple[str, ...],
    check_collisions: bool,
    chart_checks: bool,
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """The checks across files, in file order, and the knowledge base if nothing is wrong."""
    problems: list[Problem] = []
    sources: dict[str, Source] = {}
    declared: set[str] = set()
    topics: list[Topic] = []
    topic_file: dict[str, str] = {}
    taken: list[Fact] = []  # the facts taken, first of each id
    placements: list[_Placement] = []  # of each fact taken
    origin: dict[str, str] = {}
    gaps: list[Gap] = []
    additions: list[_Addition] = []
    for display, res in results:
        problems.extend(res.problems)
        for source, i, (line, col) in res.sources:
            if source.id in sources:
                problems.append(
                    Problem(
                        display, line, col, format_path(("sources", i, "id")), f"duplicate source id {source.id!r}; also defined in {sources[source.id].file}"
                    )
                )
            else:
                sources[source.id] = source
        declared |= res.declared
        for gap, i, (line, col) in res.gaps:
            if any(g.id == gap.id for g in gaps):
                problems.append(Problem(display, line, col, format_path(("not_covered", i, "id")), f"duplicate id {gap.id!r} in not_covered"))
            else:
                gaps.append(gap)
        additions.extend(res.additions)
        if res.topic is None:
            continue
        if res.topic.id in topic_file:
            problems.append(Problem(display, *res.topic_at, "topic.id", f"topic id {res.topic.id!r} is already used by {topic_file[res.topic.id]}"))
        else:
            topic_file[res.topic.id] = display
        topics.append(res.topic)
        for fact, placement in zip(res.facts, res.placements, strict=True):
            entry, id_at, _named, _phrasings = placement
            if fact.id in origin:
                problems.append(
                    Problem(display, *id_at, format_path(("facts", entry, "id")), f"duplicate fact id {fact.id!r}; also defined in {origin[fact.id]}")
                )
                continue
            origin[fact.id] = f"{display}:{fact.line}"
            taken.append(fact)
            placements.append(placement)
    for fact, (_entry, _id_at, named, _phrasings) in zip(taken, placements, strict=True):
        for path, source, (line, col) in named:
            if source not in sources and source not in declared:
                problems.append(Problem(fact.file, line, col, format_path(path), f"unknown source {source!r}; declare it in sources.yaml"))
    facts, gained = _apply_additions(taken, additions, problems)
    if chart_checks:
        problems.extend(check_charts(facts))
    if check_collisions:
        problems.extend(_collisions(_phrasing_rows(taken, placements, gained)))
    if problems:
        return None, problems
    return KnowledgeBase(facts=tuple(facts), topics=tuple(topics), sources=sources, version=version, files=files, gaps=tuple(gaps)), []


def _apply_additions(facts: list[Fact], additions: list[_Addition], problems: list[Problem]) -> tuple[list[Fact], list[tuple[Fact, str]]]:
    """The facts with the bot-written phrasings merged in, and each phrasing a fact gained
    (with the fact as its own file has it)."""
    if not additions:
        return facts, []
    by_id = {f.id: f for f in facts}
    extra: dict[str, dict[str, list[str]]] = {}
    for add in additions:
        if add.fact not in by_id:
            problems.append(Problem(add.file, *add.at, "", f"adds a question to unknown fact {add.fact!r}"))
            continue
        extra.setdefault(add.fact, {}).setdefault(add.lang, []).append(add.question)
    out = []
    gained: list[tuple[Fact, str]] = []
    for fact in facts:
        if fact.id in extra:
            new = {lang: tuple(q for q in dict.fromkeys(extra[fact.id].get(lang, [])) if q not in fact.questions.get(lang, ())) for lang in LANGS}
            gained.extend((fact, q) for lang in LANGS for q in new[lang])
            fact = fact.replace(questions={lang: tuple(fact.questions.get(lang, ())) + new[lang] for lang in LANGS})
        out.append(fact)
    return out, gained


# A phrasing to check for collisions: (fact id, file, phrasing, line, column, signature). Plain
# tuples of text and numbers: the cycle collector stops watching them at its first pass, so the
# tens of thousands a large knowledge base has never pile up into full collections, which hold
# the interpreter lock (a reload runs in a worker thread beside the event loop).
_Row = tuple[str, str, str, int, int, str]


def _phrasing_rows(facts: list[Fact], placements: list[_Placement], gained: list[tuple[Fact, str]]) -> list[_Row]:
    """Every phrasing with a signature of the facts taken, with its position and signature:
    those in the files, then those the bot added (reported at their fact)."""
    from bot.text.normalise import signature

    rows = [
        (fact.id, fact.file, question, *at, sig)
        for fact, (_entry, _id_at, _named, phrasings) in zip(facts, placements, strict=True)
        for (_lang, question), (sig, at) in zip(fact.all_questions(), phrasings, strict=True)
    ]
    rows += [(fact.id, fact.file, question, fact.line, 0, signature(question)) for fact, question in gained]
    return [row for row in rows if row[5]]


def _collisions(signed: list[_Row]) -> list[Problem]:
    """Question phrasings of different facts that are the same, or nearly, after normalisation."""
    problems: list[Problem] = []
    first: dict[str, tuple[str, str]] = {}  # signature -> (fact id, phrasing) of its first phrasing
    for fact_id, file, question, line, col, sig in signed:
        other = first.setdefault(sig, (fact_id, question))
        if other[0] != fact_id:
            message = f"phrasing {question!r} collides with {other[1]!r} of fact {other[0]!r}; the bot could not tell them apart"
            problems.append(Problem(file, line, col, f"{fact_id}.questions", message))
    if len(signed) <= FUZZY_COLLISION_MAX:
        problems.extend(_near_duplicates(signed))
    return problems


def _near_duplicates(rows: list[_Row]) -> list[Problem]:
    from rapidfuzz import fuzz, process

    from bot.text.normalise import normalise, signature

    texts = [normalise(question) for _id, _file, question, *_ in rows]
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for i, (fact_id, _file, original, *_rest) in enumerate(rows):
        for _match, _score, j in process.extract(texts[i], texts, scorer=fuzz.ratio, score_cutoff=COLLISION_RATIO, limit=None):
            other_id, other_file, other_original, line, col, _sig = rows[j]
            if j <= i or other_id == fact_id or signature(original) == signature(other_original):
                continue
            if (original, other_original) in reported:
                continue
            reported.add((original, other_original))
            problems.append(
                Problem(
                    other_file,
                    line,
                    col,
                    f"{other_id}.questions",
                    f"phrasing {other_original!r} is nearly identical to {original!r} of fact {fact_id!r}; make it say what sets this fact apart",
                )
            )
    return problems
