"""Load and validate knowledge files: every problem in one run, each with file, line and field."""

from __future__ import annotations

import hashlib
import re
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge.charts_check import check_charts
from bot.knowledge.model import LANGS, Fact, Figure, Gap, KnowledgeBase, Source, Text, Topic, pack_facts
from bot.knowledge.numbers import numbers_in, same_number
from bot.knowledge.yamlsafe import Limits, Located, Problem, Scalar, YamlError, decode, format_path, parse_yaml_text, read_bytes

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?$")
UNITS = {"percent", "people", "hospitals", "digits", "year", "date", "count", "years"}
QUALIFIERS = {"about", "more_than", "over", "at_least", "up_to"}
ADDITIONS_FILE = "added_questions.yaml"  # the one file the bot itself writes (see bot.knowledge.store)
MAX_QUESTION_CHARS = 200


@dataclass
class LoadResult:
    kb: KnowledgeBase | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.kb is not None and not self.problems


class _Checker:
    """Schema checks for one file; collects problems instead of stopping at the first."""

    def __init__(self, display: str, located: Located, problems: list[Problem]) -> None:
        self.display = display
        self.located = located
        self.problems = problems
        self._texts: dict[Text, Text] = {}

    def shared(self, text: Text | None) -> Text | None:
        """One object for labels that repeat (a fact's figures share what they count, many
        facts share a period): a large knowledge base holds each such label once."""
        if text is None:
            return None
        found = self._texts.get(text)
        if found is None:
            found = self._texts[text] = Text(sys.intern(text.en), sys.intern(text.ja))
        return found

    def problem(self, path: tuple[Any, ...], message: str, node: Any = None) -> None:
        if isinstance(node, Scalar):
            line, col = node.line, node.column
        else:
            line, col = self.located.at(path)
        self.problems.append(Problem(self.display, line, col, format_path(path), message))

    def mapping(self, node: Any, path: tuple[Any, ...], required: set[str], optional: set[str]) -> dict[str, Any] | None:
        if not isinstance(node, dict):
            self.problem(path, f"expected a mapping with keys {', '.join(sorted(required))}, found {_describe(node)}", node)
            return None
        for key in node:
            if key not in required and key not in optional:
                allowed = ", ".join(sorted(required | optional))
                self.problem(path + (key,), f"unknown key {key!r}; expected one of: {allowed}")
        for key in sorted(required - node.keys()):
            self.problem(path, f"missing required key {key!r}")
        return node

    def text(self, node: Any, path: tuple[Any, ...], allow_date: bool = False) -> str | None:
        if isinstance(node, Scalar) and (node.kind == "text" or (node.kind == "date" and allow_date)):
            value = node.raw if node.kind == "date" else str(node.value)
            if not value.strip():
                self.problem(path, "is empty; expected text", node)
                return None
            return value.strip()
        if isinstance(node, Scalar) and node.kind in {"boolean", "integer", "number", "date", "null"}:
            hint = "; put it in quotes" if node.kind != "null" else ""
            self.problem(path, f"expected text, found {node.kind} {node.raw!r}{hint}", node)
            return None
        self.problem(path, f"expected text, found {_describe(node)}", node)
        return None

    def ident(self, node: Any, path: tuple[Any, ...]) -> str | None:
        value = self.text(node, path)
        if value is not None and not ID_RE.match(value):
            self.problem(path, f"expected an id of lowercase letters, digits and hyphens, found {value!r}", node)
            return None
        return value

    def date(self, node: Any, path: tuple[Any, ...]) -> str | None:
        value = self.text(node, path, allow_date=True)
        if value is not None and not DATE_RE.match(value):
            self.problem(path, f"expected a date as YYYY-MM-DD or YYYY-MM, found {value!r}", node)
            return None
        return value

    def i18n(self, node: Any, path: tuple[Any, ...], both: bool = False) -> Text | None:
        if isinstance(node, dict):
            self.mapping(node, path, set(LANGS) if both else {"en"}, set() if both else {"ja"})
            en = self.text(node["en"], path + ("en",)) if "en" in node else None
            ja = self.text(node["ja"], path + ("ja",)) if "ja" in node else en
            return Text(en, ja or en) if en else None
        if both:
            self.problem(path, f"expected a mapping with 'en' and 'ja', found {_describe(node)}", node)
            return None
        value = self.text(node, path)
        return Text(value, value) if value else None

    def text_list(self, node: Any, path: tuple[Any, ...]) -> tuple[str, ...]:
        if not isinstance(node, list):
            self.problem(path, f"expected a list of text, found {_describe(node)}", node)
            return ()
        out = []
        for i, item in enumerate(node):
            value = self.text(item, path + (i,))
            if value is not None:
                out.append(value)
        return tuple(out)

    def per_lang_lists(self, node: Any, path: tuple[Any, ...], required: bool) -> dict[str, tuple[str, ...]]:
        spec = self.mapping(node, path, set(LANGS) if required else set(), set() if required else set(LANGS))
        if spec is None:
            return {}
        result = {}
        for lang in LANGS:
            if lang in spec:
                items = self.text_list(spec[lang], path + (lang,))
                if required and not items:
                    self.problem(path + (lang,), "needs at least one entry")
                result[lang] = items
        return result


def _describe(node: Any) -> str:
    if isinstance(node, Scalar):
        return f"{node.kind} {node.raw!r}"
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, list):
        return "a list"
    return "nothing"


@dataclass(frozen=True, slots=True)
class _Addition:
    file: str
    fact: str
    question: str
    lang: str
    at: tuple[int, int]


class _Phrasings:
    """One row per question phrasing of a file's facts, in order: which fact, which of its
    phrasings, a hash of its collision signature and its position. Arrays, not objects: a
    large knowledge base has hundreds of thousands of phrasings."""

    __slots__ = ("column", "fact", "line", "number", "sig")

    def __init__(self) -> None:
        self.fact = array("I")
        self.number = array("I")
        self.sig = array("q")
        self.line = array("I")
        self.column = array("I")

    def add(self, fact: int, number: int, sig: str, at: tuple[int, int]) -> None:
        self.fact.append(fact)
        self.number.append(number)
        self.sig.append(hash(sig))
        self.line.append(at[0])
        self.column.append(at[1])

    def compact(self) -> _Phrasings:
        """Each column in the smallest array type that holds it (numbers and columns are small)."""
        for name in ("fact", "number", "line", "column"):
            values = getattr(self, name)
            top = max(values, default=0)
            code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I"
            if code != values.typecode:
                setattr(self, name, array(code, values))
        return self


@dataclass(frozen=True, slots=True)
class _FileResult:
    """What one file holds and what is wrong with it on its own. A pure function of the file's
    name, bytes and the limits, so a reload can reuse it while the bytes are unchanged; what
    depends on other files (duplicate ids, unknown sources, collisions) is checked afterwards."""

    problems: tuple[Problem, ...] = ()
    sources: tuple[tuple[Source, int, tuple[int, int]], ...] = ()  # (source, entry index, position of its id)
    declared: frozenset[str] = frozenset()  # source ids seen, valid or not
    topic: Topic | None = None
    topic_at: tuple[int, int] = (0, 0)
    facts: tuple[Fact, ...] = ()
    # flat arrays, three and four numbers a row: a large base has hundreds of thousands of rows
    fact_at: array[int] = field(default_factory=lambda: array("I"))  # entry index, line, column of the id; per fact
    source_refs: array[int] = field(default_factory=lambda: array("i"))  # fact, figure (-1: the fact's own), line, column
    ref_sources: tuple[str, ...] = ()  # the source id each row of source_refs names
    additions: tuple[_Addition, ...] = ()
    gaps: tuple[tuple[Gap, int, tuple[int, int]], ...] = ()
    phrasings: _Phrasings | None = None


class LoadCache:
    """The per-file results of the last load, reused by the next one for every file whose
    bytes (by SHA-256) and limits are unchanged. Keeps only the files of the last load."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, Limits, _FileResult]] = {}
        self.charts: dict[tuple[str, str], tuple[Fact, ...]] = {}  # chart groups and series found sound, by members
        self.hits = 0
        self.misses = 0

    def _get(self, display: str, digest: bytes, limits: Limits) -> _FileResult | None:
        entry = self._entries.get(display)
        if entry is not None and entry[0] == digest and entry[1] == limits:
            self.hits += 1
            return entry[2]
        self.misses += 1
        return None

    def _keep(self, entries: dict[str, tuple[bytes, Limits, _FileResult]]) -> None:
        self._entries = entries


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

    With a `cache`, files whose bytes are unchanged since its last load are not parsed or
    checked again; the checks across files run every time."""
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
    results: list[tuple[str, _FileResult]] = []
    kept: dict[str, tuple[bytes, Limits, _FileResult]] = {}
    for file in files:
        display = str(file)
        root = next((r for r in roots if _inside(file, r)), None)
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
            result = _check_file(display, data, limits)
        kept[display] = (digest, limits, result)
        results.append((display, result))
    if cache is not None:
        cache._keep(kept)
    charts_memo = cache.charts if cache is not None else None
    kb, merge_problems = _merge(results, version.hexdigest()[:12], tuple(str(f) for f in files), check_collisions, chart_checks, charts_memo)
    problems.extend(merge_problems)
    if problems:
        return LoadResult(None, problems)
    return LoadResult(kb, [])


def _check_file(display: str, data: bytes, limits: Limits) -> _FileResult:
    try:
        doc, located = parse_yaml_text(decode(data, display), display, limits)
    except YamlError as exc:
        return _FileResult((exc.problem,))
    problems: list[Problem] = []
    checker = _Checker(display, located, problems)
    if doc is None:
        return _FileResult((Problem(display, 0, 0, "", "is empty; expected 'sources', or 'topic' and 'facts'"),))
    if not isinstance(doc, dict):
        checker.problem((), f"expected a mapping at the top, found {_describe(doc)}", doc)
        return _FileResult(tuple(problems))
    if "sources" in doc:
        sources, declared = _read_sources(doc, checker)
        return _FileResult(tuple(problems), sources=sources, declared=declared)
    if "additions" in doc:
        return _FileResult(tuple(problems), additions=_read_additions(doc, checker))
    if "not_covered" in doc:
        return _FileResult(tuple(problems), gaps=_read_gaps(doc, checker))
    topic = _read_topic(doc, checker)
    if topic is None:
        return _FileResult(tuple(problems))
    from bot.text.normalise import signature

    facts: list[Fact] = []
    fact_at = array("I")
    refs = array("i")
    ref_sources: list[str] = []
    phrasings = _Phrasings()
    raw_facts = doc.get("facts")
    for i, raw in enumerate(raw_facts if isinstance(raw_facts, list) else []):
        path = ("facts", i)
        incomplete: set[str] = set()  # a fact with an invalid figure: its answer numbers are not checked
        fact = _read_fact(raw, path, topic.id, checker, incomplete)
        if fact is None:
            continue
        if fact.id not in incomplete:
            _check_answer_numbers(fact, checker, path)
        n = len(facts)
        facts.append(fact)
        fact_at.extend((i, *located.at(path + ("id",))))
        # sources may be declared in another file: keep where each is named, to report an unknown one
        refs.extend((n, -1, *located.at(path + ("source",))))
        ref_sources.append(fact.source)
        for j, fig in enumerate(fact.figures):
            if fig.source != fact.source:
                refs.extend((n, j, *located.at(path + ("figures", j, "source"))))
                ref_sources.append(fig.source)
        number = 0
        for lang in LANGS:
            for k, question in enumerate(fact.questions.get(lang, ())):
                sig = signature(question)
                if sig:
                    phrasings.add(n, number, sig, located.at(path + ("questions", lang, k)))
                number += 1
    if not isinstance(raw_facts, list):
        checker.problem(("facts",), f"expected a list of facts, found {_describe(raw_facts)}")
    return _FileResult(tuple(problems), topic=topic, topic_at=located.at(("topic", "id")), facts=pack_facts(facts), fact_at=fact_at, source_refs=refs, ref_sources=tuple(ref_sources), phrasings=phrasings.compact())


def _merge(
    results: list[tuple[str, _FileResult]],
    version: str,
    files: tuple[str, ...],
    check_collisions: bool,
    chart_checks: bool,
    charts_memo: dict[tuple[str, str], tuple[Fact, ...]] | None = None,
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """The checks across files, in file order, and the knowledge base if nothing is wrong."""
    problems: list[Problem] = []
    sources: dict[str, Source] = {}
    declared: set[str] = set()
    topics: list[Topic] = []
    topic_file: dict[str, str] = {}
    facts: list[Fact] = []
    origin: dict[str, str] = {}
    kept: list[tuple[_FileResult, list[bool]]] = []  # which facts of each file were taken
    gaps: list[Gap] = []
    additions: list[_Addition] = []
    for display, res in results:
        problems.extend(res.problems)
        for source, i, (line, col) in res.sources:
            if source.id in sources:
                problems.append(Problem(display, line, col, format_path(("sources", i, "id")), f"duplicate source id {source.id!r}; also defined in {sources[source.id].file}"))
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
        taken = []
        for k, fact in enumerate(res.facts):
            i, line, col = res.fact_at[3 * k : 3 * k + 3]
            if fact.id in origin:
                problems.append(Problem(display, line, col, format_path(("facts", i, "id")), f"duplicate fact id {fact.id!r}; also defined in {origin[fact.id]}"))
                taken.append(False)
                continue
            origin[fact.id] = f"{display}:{fact.line}"
            facts.append(fact)
            taken.append(True)
        kept.append((res, taken))
    for res, taken in kept:
        for row, source in enumerate(res.ref_sources):
            n, j, line, col = res.source_refs[4 * row : 4 * row + 4]
            if taken[n] and source not in sources and source not in declared:
                fact = res.facts[n]
                path = ("facts", res.fact_at[3 * n], "source") if j < 0 else ("facts", res.fact_at[3 * n], "figures", j, "source")
                problems.append(Problem(fact.file, line, col, format_path(path), f"unknown source {source!r}; declare it in sources.yaml"))
    facts, added = _apply_additions(facts, additions, problems)
    if chart_checks:
        problems.extend(check_charts(facts, charts_memo))
    if check_collisions:
        problems.extend(_collisions(kept, added))
    if problems:
        return None, problems
    return KnowledgeBase(facts=tuple(facts), topics=tuple(topics), sources=sources, version=version, files=files, gaps=tuple(gaps)), []


def _inside(file: Path, root: Path) -> bool:
    try:
        file.relative_to(root)
        return True
    except ValueError:
        return False


def _read_sources(doc: dict[str, Any], checker: _Checker) -> tuple[tuple[tuple[Source, int, tuple[int, int]], ...], frozenset[str]]:
    """The valid sources with their entry index and the position of their id, and every id seen."""
    checker.mapping(doc, (), {"sources"}, set())
    entries = doc["sources"]
    if not isinstance(entries, list):
        checker.problem(("sources",), f"expected a list of sources, found {_describe(entries)}", entries)
        return (), frozenset()
    sources: list[tuple[Source, int, tuple[int, int]]] = []
    declared: set[str] = set()
    for i, raw in enumerate(entries):
        path = ("sources", i)
        spec = checker.mapping(raw, path, {"id", "publisher", "url"}, {"title", "date", "survey_by"})
        if spec is None:
            continue
        sid = checker.ident(spec.get("id"), path + ("id",)) if "id" in spec else None
        if sid:
            declared.add(sid)
        publisher = checker.i18n(spec["publisher"], path + ("publisher",)) if "publisher" in spec else None
        title = checker.i18n(spec["title"], path + ("title",)) if "title" in spec else None
        url = checker.text(spec["url"], path + ("url",)) if "url" in spec else None
        if url is not None and not url.startswith(("https://", "http://")):
            checker.problem(path + ("url",), f"expected an http(s) link, found {url!r}", spec["url"])
            url = None
        date = checker.date(spec["date"], path + ("date",)) if "date" in spec else None
        survey_by = checker.i18n(spec["survey_by"], path + ("survey_by",)) if "survey_by" in spec else None
        if sid and publisher and url and (title or "title" not in spec):
            # a page whose own title could not be read has none: its link reads as its publisher
            # (the source line beside it already gives publisher and date)
            title = title or publisher
            sources.append((Source(sid, publisher, title, url, date, survey_by, checker.display), i, checker.located.at(path + ("id",))))
    return tuple(sources), frozenset(declared)


def _read_topic(doc: dict[str, Any], checker: _Checker) -> Topic | None:
    checker.mapping(doc, (), {"topic", "facts"}, set())
    spec = checker.mapping(doc.get("topic"), ("topic",), {"id", "title"}, set()) if "topic" in doc else None
    if spec is None:
        return None
    tid = checker.ident(spec.get("id"), ("topic", "id")) if "id" in spec else None
    title = checker.i18n(spec["title"], ("topic", "title"), both=True) if "title" in spec else None
    if tid and title:
        return Topic(tid, title, checker.display)
    return None


def _read_fact(raw: Any, path: tuple[Any, ...], topic: str, checker: _Checker, incomplete: set[str]) -> Fact | None:
    spec = checker.mapping(raw, path, {"id", "questions", "answer", "figures", "source"}, {"keywords", "series", "chart"})
    if spec is None:
        return None
    fid = checker.ident(spec.get("id"), path + ("id",)) if "id" in spec else None
    questions = checker.per_lang_lists(spec["questions"], path + ("questions",), required=True) if "questions" in spec else {}
    for lang, items in questions.items():
        for k, q in enumerate(items):
            if len(q) > MAX_QUESTION_CHARS:
                checker.problem(path + ("questions", lang, k), f"is {len(q)} characters; a phrasing may have at most {MAX_QUESTION_CHARS}")
    keywords = checker.per_lang_lists(spec["keywords"], path + ("keywords",), required=False) if "keywords" in spec else {}
    answer = checker.i18n(spec["answer"], path + ("answer",), both=True) if "answer" in spec else None
    source = checker.ident(spec["source"], path + ("source",)) if "source" in spec else None
    series = checker.ident(spec["series"], path + ("series",)) if "series" in spec else None
    chart = checker.ident(spec["chart"], path + ("chart",)) if "chart" in spec else None
    figures: list[Figure] = []
    raw_figures = spec.get("figures")
    if "figures" in spec and not isinstance(raw_figures, list):
        checker.problem(path + ("figures",), f"expected a list of figures (or []), found {_describe(raw_figures)}", raw_figures)
    elif isinstance(raw_figures, list):
        for j, fraw in enumerate(raw_figures):
            fig = _read_figure(fraw, path + ("figures", j), source, checker)
            if fig is not None:
                figures.append(fig)
    if not (fid and questions and answer and source):
        return None
    if isinstance(raw_figures, list) and len(figures) != len(raw_figures):
        incomplete.add(fid)
    line = checker.located.at(path)[0]
    return Fact(fid, topic, questions, keywords, answer, tuple(figures), sys.intern(source), checker.display, line, series, chart and sys.intern(chart))


def _read_figure(raw: Any, path: tuple[Any, ...], fact_source: str | None, checker: _Checker) -> Figure | None:
    spec = checker.mapping(raw, path, {"value", "unit", "counts", "as_of"}, {"qualifier", "base", "period", "source"})
    if spec is None:
        return None
    unit = checker.text(spec["unit"], path + ("unit",)) if "unit" in spec else None
    if unit is not None and unit not in UNITS:
        checker.problem(path + ("unit",), f"unknown unit {unit!r}; expected one of: {', '.join(sorted(UNITS))}")
        unit = None
    value: float | str | None = None
    if "value" in spec:
        node = spec["value"]
        if unit == "date":
            value = checker.date(node, path + ("value",))
        elif isinstance(node, Scalar) and node.kind in {"integer", "number"} and isinstance(node.value, (int, float)):
            value = float(node.value)
        else:
            checker.problem(path + ("value",), f"expected a number, found {_describe(node)}", node)
    qualifier = checker.text(spec["qualifier"], path + ("qualifier",)) if "qualifier" in spec else None
    if qualifier is not None and qualifier not in QUALIFIERS:
        checker.problem(path + ("qualifier",), f"unknown qualifier {qualifier!r}; expected one of: {', '.join(sorted(QUALIFIERS))}")
    counts = checker.shared(checker.i18n(spec["counts"], path + ("counts",))) if "counts" in spec else None
    base = checker.shared(checker.i18n(spec["base"], path + ("base",))) if "base" in spec else None
    period = checker.shared(checker.i18n(spec["period"], path + ("period",))) if "period" in spec else None
    as_of = checker.date(spec["as_of"], path + ("as_of",)) if "as_of" in spec else None
    source = checker.ident(spec["source"], path + ("source",)) if "source" in spec else fact_source
    if value is None or unit is None or counts is None or as_of is None or source is None:
        return None
    return Figure(value, sys.intern(unit), counts, sys.intern(as_of), sys.intern(source), qualifier and sys.intern(qualifier), base, period)


def _read_gaps(doc: dict[str, Any], checker: _Checker) -> tuple[tuple[Gap, int, tuple[int, int]], ...]:
    checker.mapping(doc, (), {"not_covered"}, set())
    entries = doc["not_covered"]
    if not isinstance(entries, list):
        checker.problem(("not_covered",), f"expected a list, found {_describe(entries)}", entries)
        return ()
    out: list[tuple[Gap, int, tuple[int, int]]] = []
    for i, raw in enumerate(entries):
        path = ("not_covered", i)
        spec = checker.mapping(raw, path, {"id", "what", "terms"}, set())
        if spec is None:
            continue
        gid = checker.ident(spec.get("id"), path + ("id",)) if "id" in spec else None
        what = checker.i18n(spec["what"], path + ("what",), both=True) if "what" in spec else None
        terms = checker.per_lang_lists(spec["terms"], path + ("terms",), required=False) if "terms" in spec else {}
        if gid and what and terms:
            out.append((Gap(gid, what, terms, checker.display), i, checker.located.at(path + ("id",))))
    return tuple(out)


def _read_additions(doc: dict[str, Any], checker: _Checker) -> tuple[_Addition, ...]:
    checker.mapping(doc, (), {"additions"}, set())
    entries = doc["additions"]
    if entries is None:
        return ()
    if not isinstance(entries, list):
        checker.problem(("additions",), f"expected a list, found {_describe(entries)}", entries)
        return ()
    out: list[_Addition] = []
    for i, raw in enumerate(entries):
        path = ("additions", i)
        spec = checker.mapping(raw, path, {"fact", "question"}, {"lang"})
        if spec is None:
            continue
        fid = checker.ident(spec.get("fact"), path + ("fact",)) if "fact" in spec else None
        question = checker.text(spec["question"], path + ("question",)) if "question" in spec else None
        lang = checker.text(spec["lang"], path + ("lang",)) if "lang" in spec else None
        if lang is not None and lang not in LANGS:
            checker.problem(path + ("lang",), f"expected one of {', '.join(LANGS)}, found {lang!r}")
            continue
        if fid and question:
            from bot.text.normalise import detect_lang

            out.append(_Addition(checker.display, fid, question, lang or detect_lang(question), checker.located.at(path)))
    return tuple(out)


def _apply_additions(facts: list[Fact], additions: list[_Addition], problems: list[Problem]) -> tuple[list[Fact], dict[str, tuple[Fact, tuple[str, ...]]]]:
    """The facts with the bot-written phrasings merged in, and for each fact that gained any,
    the fact as its own file has it and the phrasings it gained."""
    if not additions:
        return facts, {}
    by_id = {f.id: f for f in facts}
    extra: dict[str, dict[str, list[str]]] = {}
    for add in additions:
        if add.fact not in by_id:
            problems.append(Problem(add.file, *add.at, "", f"adds a question to unknown fact {add.fact!r}"))
            continue
        extra.setdefault(add.fact, {}).setdefault(add.lang, []).append(add.question)
    out = []
    added: dict[str, tuple[Fact, tuple[str, ...]]] = {}
    for fact in facts:
        if fact.id in extra:
            new = {lang: tuple(q for q in dict.fromkeys(extra[fact.id].get(lang, [])) if q not in fact.questions.get(lang, ())) for lang in LANGS}
            merged = {lang: tuple(fact.questions.get(lang, ())) + new[lang] for lang in LANGS}
            added[fact.id] = (fact, tuple(q for lang in LANGS for q in new[lang]))
            fact = fact.replace(questions=merged)
        out.append(fact)
    return out, added


def _allowed_numbers(fact: Fact) -> set[float]:
    allowed: set[float] = set()
    texts: set[str] = set()  # figures of one fact often share a base or period: read each once
    for fig in fact.figures:
        if isinstance(fig.value, float):
            allowed.add(fig.value)
        else:
            allowed.update(float(p) for p in fig.value.split("-"))
        allowed.update(float(p) for p in fig.as_of.split("-"))
        for text in (fig.base, fig.period):
            if text is not None:
                texts.update(text.get(lang) for lang in LANGS)
    for text in texts:
        allowed.update(v for _, v in numbers_in(text))
    return allowed


def _check_answer_numbers(fact: Fact, checker: _Checker, path: tuple[Any, ...]) -> None:
    allowed = _allowed_numbers(fact)
    for lang in LANGS:
        for written, value in numbers_in(fact.answer.get(lang)):
            if value not in allowed and not any(same_number(value, a) for a in allowed):
                checker.problem(
                    path + ("answer", lang),
                    f"states the number {written!r}, which is not among this fact's figures, dates, bases or periods; add it as a figure or correct the sentence",
                )


COLLISION_RATIO = 95.0


def _collisions(files: list[tuple[_FileResult, list[bool]]], added: dict[str, tuple[Fact, tuple[str, ...]]]) -> list[Problem]:
    """Question phrasings of different facts that are the same, or nearly, after normalisation.

    Signatures were hashed file by file; a shared hash is confirmed on the texts themselves,
    and a phrasing's text is looked up only then."""
    from bot.text.normalise import signature

    gained = [(fact, q) for res, _taken in files for fact, qs in (added[f.id] for f in res.facts if f.id in added) for q in qs]
    # Only a hash that occurs twice can be a collision. The hashes go into eight arrays by their
    # low bits and each is sorted on its own: no dictionary of every phrasing, and the sort's
    # list of numbers is an eighth of them at a time.
    buckets = [array("q") for _ in range(8)]
    rows = 0
    for sigs in [res.phrasings.sig for res, _taken in files if res.phrasings is not None] + [array("q", [hash(signature(q)) for _f, q in gained])]:
        rows += len(sigs)
        for h in sigs:
            buckets[h & 7].append(h)
    repeated: set[int] = set()
    while buckets:
        ordered = sorted(buckets.pop())
        repeated.update(a for a, b in zip(ordered, ordered[1:], strict=False) if a == b)
    problems: list[Problem] = []
    seen: dict[int, tuple[str, str]] = {}  # hash -> (fact id, phrasing) of its first phrasing
    for row in _phrasing_rows(files, gained, repeated):
        other = seen.get(row.sig)
        if other is None:
            seen[row.sig] = (row.fact.id, row.text())
        elif other[0] != row.fact.id and signature(other[1]) == signature(row.text()):
            message = f"phrasing {row.text()!r} collides with {other[1]!r} of fact {other[0]!r}; the bot could not tell them apart"
            problems.append(Problem(row.fact.file, row.line, row.column, f"{row.fact.id}.questions", message))
    # Fuzzy near-duplicates: all pairs is fine for hand-written knowledge bases; very large
    # generated ones rely on the exact signature check above.
    if rows <= FUZZY_COLLISION_MAX:
        problems.extend(_near_duplicates([(row.fact, row.text(), row.line, row.column) for row in _phrasing_rows(files, gained)]))
    return problems


@dataclass(frozen=True, slots=True)
class _Row:
    fact: Fact
    sig: int  # hash of the signature
    number: int  # which of the fact's phrasings; -1 for one the bot added (then in `added`)
    line: int
    column: int
    added: str = ""

    def text(self) -> str:
        return self.added if self.number < 0 else self.fact.all_questions()[self.number][1]


def _phrasing_rows(files: list[tuple[_FileResult, list[bool]]], gained: list[tuple[Fact, str]], only: set[int] | None = None) -> Iterator[_Row]:
    """Every phrasing with a signature of the facts taken into the knowledge base, in order:
    those in the files, then those the bot added (placed at their fact); with `only`, just
    those whose signature hash is in it."""
    from bot.text.normalise import signature

    for res, taken in files:
        table = res.phrasings
        if table is None:
            continue
        for r in range(len(table.fact)):
            if taken[table.fact[r]] and (only is None or table.sig[r] in only):
                yield _Row(res.facts[table.fact[r]], table.sig[r], table.number[r], table.line[r], table.column[r])
    for fact, question in gained:
        sig = signature(question)
        if sig and (only is None or hash(sig) in only):
            yield _Row(fact, hash(sig), -1, fact.line, 0, question)


FUZZY_COLLISION_MAX = 5000


def _near_duplicates(rows: list[tuple[Fact, str, int, int]]) -> list[Problem]:
    from rapidfuzz import fuzz, process

    from bot.text.normalise import normalise, signature

    texts = [normalise(question) for _fact, question, *_ in rows]
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for i, (fact, original, *_rest) in enumerate(rows):
        for _match, _score, j in process.extract(texts[i], texts, scorer=fuzz.ratio, score_cutoff=COLLISION_RATIO, limit=None):
            other, other_original, line, col = rows[j]
            if j <= i or other.id == fact.id or signature(original) == signature(other_original):
                continue
            if (original, other_original) in reported:
                continue
            reported.add((original, other_original))
            problems.append(Problem(other.file, line, col, f"{other.id}.questions", f"phrasing {other_original!r} is nearly identical to {original!r} of fact {fact.id!r}; make it say what sets this fact apart"))
    return problems
