"""Load and validate knowledge files: every problem in one run, each with file, line and field."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.charts_check import check_charts
from bot.knowledge.model import LANGS, Fact, Figure, Gap, KnowledgeBase, Source, Text, Topic
from bot.knowledge.numbers import numbers_in, same_number
from bot.knowledge.yamlsafe import Limits, Located, Problem, Scalar, YamlError, format_path, read_yaml

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


def knowledge_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            continue
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.y*ml")) if not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            files.append(path)
    return files


def load_knowledge(paths: list[Path] | Path, limits: Limits = Limits(), check_collisions: bool = True, chart_checks: bool = True) -> LoadResult:
    """Read, validate and build a knowledge base. Returns every problem found; kb is None if any."""
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
    digest = hashlib.sha256()
    sources: dict[str, Source] = {}
    topics: list[Topic] = []
    facts: list[Fact] = []
    additions: list[tuple[str, str, str, str, tuple[int, int]]] = []
    fact_origin: dict[str, str] = {}
    gaps: list[Gap] = []
    source_checks: list[tuple[Fact, str, dict[tuple[Any, ...], tuple[int, int]]]] = []
    declared_sources: set[str] = set()  # ids seen, even on invalid entries (no cascade of "unknown source")
    incomplete: set[str] = set()  # facts with an invalid figure: their answer numbers are not checked
    for file in files:
        display = str(file)
        root = next((r for r in roots if _inside(file, r)), None)
        try:
            doc, located = read_yaml(file, display, limits, root=root, digest=digest)
        except YamlError as exc:
            problems.append(exc.problem)
            continue
        checker = _Checker(display, located, problems)
        if doc is None:
            problems.append(Problem(display, 0, 0, "", "is empty; expected 'sources', or 'topic' and 'facts'"))
            continue
        if not isinstance(doc, dict):
            checker.problem((), f"expected a mapping at the top, found {_describe(doc)}", doc)
            continue
        if "sources" in doc:
            _read_sources(doc, checker, sources, declared_sources)
        elif "additions" in doc:
            _read_additions(doc, checker, additions)
        elif "not_covered" in doc:
            _read_gaps(doc, checker, gaps)
        else:
            topic = _read_topic(doc, checker)
            if topic is None:
                continue
            if any(t.id == topic.id for t in topics):
                checker.problem(("topic", "id"), f"topic id {topic.id!r} is already used by {next(t.file for t in topics if t.id == topic.id)}")
            topics.append(topic)
            for i, raw in enumerate(doc.get("facts") or []):
                fact = _read_fact(raw, ("facts", i), topic.id, checker, incomplete)
                if fact is None:
                    continue
                if fact.id in fact_origin:
                    checker.problem(("facts", i, "id"), f"duplicate fact id {fact.id!r}; also defined in {fact_origin[fact.id]}")
                    continue
                fact_origin[fact.id] = f"{display}:{fact.line}"
                facts.append(fact)
                path = ("facts", i)
                if fact.id not in incomplete:
                    _check_answer_numbers(fact, checker, path)
                # sources may be declared in a later file: keep just the positions needed to
                # report an unknown one, not the whole file's position map
                wanted = [path + ("source",)] + [path + ("figures", j, "source") for j in range(len(fact.figures))]
                source_checks.append((fact, display, {p: located.at(p) for p in wanted}))
            if not isinstance(doc.get("facts"), list):
                checker.problem(("facts",), f"expected a list of facts, found {_describe(doc.get('facts'))}")
    facts = _apply_additions(facts, additions, problems)
    for fact, display, where in source_checks:
        ((fact_path, _fact_pos),) = [(p, w) for p, w in where.items() if p[-1] == "source" and len(p) == 3]
        for j, fig in enumerate(fact.figures):
            if fig.source != fact.source and fig.source not in sources and fig.source not in declared_sources:
                fpath = fact_path[:2] + ("figures", j, "source")
                line, col = where[fpath]
                problems.append(Problem(display, line, col, format_path(fpath), f"unknown source {fig.source!r}; declare it in sources.yaml"))
        if fact.source not in sources and fact.source not in declared_sources:
            line, col = where[fact_path]
            problems.append(Problem(display, line, col, format_path(fact_path), f"unknown source {fact.source!r}; declare it in sources.yaml"))
    if chart_checks:
        problems.extend(check_charts(facts))
    if check_collisions:
        problems.extend(find_collisions(facts))
    if problems:
        return LoadResult(None, problems)
    kb = KnowledgeBase(
        facts=tuple(facts),
        topics=tuple(topics),
        sources=sources,
        version=digest.hexdigest()[:12],
        files=tuple(str(f) for f in files),
        gaps=tuple(gaps),
    )
    return LoadResult(kb, [])


def _inside(file: Path, root: Path) -> bool:
    try:
        file.relative_to(root)
        return True
    except ValueError:
        return False


def _read_sources(doc: dict[str, Any], checker: _Checker, sources: dict[str, Source], declared: set[str]) -> None:
    checker.mapping(doc, (), {"sources"}, set())
    entries = doc["sources"]
    if not isinstance(entries, list):
        checker.problem(("sources",), f"expected a list of sources, found {_describe(entries)}", entries)
        return
    for i, raw in enumerate(entries):
        path = ("sources", i)
        spec = checker.mapping(raw, path, {"id", "publisher", "title", "url"}, {"date", "survey_by"})
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
        if sid and sid in sources:
            checker.problem(path + ("id",), f"duplicate source id {sid!r}; also defined in {sources[sid].file}")
            continue
        if sid and publisher and title and url:
            sources[sid] = Source(sid, publisher, title, url, date, survey_by, checker.display)


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
    positions = {q: checker.located.at(path + ("questions", lang, k)) for lang, items in questions.items() for k, q in enumerate(items)}
    return Fact(fid, topic, questions, keywords, answer, tuple(figures), source, checker.display, line, series, chart, positions)


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
    counts = checker.i18n(spec["counts"], path + ("counts",)) if "counts" in spec else None
    base = checker.i18n(spec["base"], path + ("base",)) if "base" in spec else None
    period = checker.i18n(spec["period"], path + ("period",)) if "period" in spec else None
    as_of = checker.date(spec["as_of"], path + ("as_of",)) if "as_of" in spec else None
    source = checker.ident(spec["source"], path + ("source",)) if "source" in spec else fact_source
    if value is None or unit is None or counts is None or as_of is None or source is None:
        return None
    return Figure(value, unit, counts, as_of, source, qualifier, base, period)


def _read_gaps(doc: dict[str, Any], checker: _Checker, out: list[Gap]) -> None:
    checker.mapping(doc, (), {"not_covered"}, set())
    entries = doc["not_covered"]
    if not isinstance(entries, list):
        checker.problem(("not_covered",), f"expected a list, found {_describe(entries)}", entries)
        return
    for i, raw in enumerate(entries):
        path = ("not_covered", i)
        spec = checker.mapping(raw, path, {"id", "what", "terms"}, set())
        if spec is None:
            continue
        gid = checker.ident(spec.get("id"), path + ("id",)) if "id" in spec else None
        what = checker.i18n(spec["what"], path + ("what",), both=True) if "what" in spec else None
        terms = checker.per_lang_lists(spec["terms"], path + ("terms",), required=False) if "terms" in spec else {}
        if gid and any(g.id == gid for g in out):
            checker.problem(path + ("id",), f"duplicate id {gid!r} in not_covered")
            continue
        if gid and what and terms:
            out.append(Gap(gid, what, terms, checker.display))


def _read_additions(doc: dict[str, Any], checker: _Checker, out: list[tuple[str, str, str, str, tuple[int, int]]]) -> None:
    checker.mapping(doc, (), {"additions"}, set())
    entries = doc["additions"]
    if entries is None:
        return
    if not isinstance(entries, list):
        checker.problem(("additions",), f"expected a list, found {_describe(entries)}", entries)
        return
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
            from bot.search.normalise import detect_lang

            out.append((checker.display, fid, question, lang or detect_lang(question), checker.located.at(path)))


def _apply_additions(facts: list[Fact], additions: list[tuple[str, str, str, str, tuple[int, int]]], problems: list[Problem]) -> list[Fact]:
    if not additions:
        return facts
    by_id = {f.id: f for f in facts}
    extra: dict[str, dict[str, list[str]]] = {}
    for display, fid, question, lang, (line, col) in additions:
        if fid not in by_id:
            problems.append(Problem(display, line, col, "", f"adds a question to unknown fact {fid!r}"))
            continue
        extra.setdefault(fid, {}).setdefault(lang, []).append(question)
    out = []
    for fact in facts:
        if fact.id in extra:
            merged = {lang: tuple(fact.questions.get(lang, ())) + tuple(q for q in extra[fact.id].get(lang, []) if q not in fact.questions.get(lang, ())) for lang in LANGS}
            fact = Fact(fact.id, fact.topic, merged, fact.keywords, fact.answer, fact.figures, fact.source, fact.file, fact.line, fact.series, fact.chart, fact.positions)
        out.append(fact)
    return out


def _allowed_numbers(fact: Fact) -> list[float]:
    allowed: list[float] = []
    for fig in fact.figures:
        if isinstance(fig.value, float):
            allowed.append(fig.value)
        else:
            allowed.extend(float(p) for p in fig.value.split("-"))
        allowed.extend(float(p) for p in fig.as_of.split("-"))
        for text in (fig.base, fig.period):
            if text is not None:
                for lang in LANGS:
                    allowed.extend(v for _, v in numbers_in(text.get(lang)))
    return allowed


def _check_answer_numbers(fact: Fact, checker: _Checker, path: tuple[Any, ...]) -> None:
    allowed = _allowed_numbers(fact)
    for lang in LANGS:
        for written, value in numbers_in(fact.answer.get(lang)):
            if not any(same_number(value, a) for a in allowed):
                checker.problem(
                    path + ("answer", lang),
                    f"states the number {written!r}, which is not among this fact's figures, dates, bases or periods; add it as a figure or correct the sentence",
                )


COLLISION_RATIO = 95.0


def find_collisions(facts: list[Fact]) -> list[Problem]:
    """Question phrasings of different facts that are the same, or nearly, after normalisation."""
    from rapidfuzz import fuzz, process

    from bot.search.normalise import normalise, signature

    problems: list[Problem] = []
    seen: dict[str, tuple[str, str]] = {}
    entries: list[tuple[str, str, str]] = []  # (normalised, fact id, original)
    for fact in facts:
        for _lang, question in fact.all_questions():
            sig = signature(question)
            if not sig:
                continue
            other = seen.get(sig)
            if other and other[0] != fact.id:
                line, col = fact.positions.get(question, (fact.line, 0))
                problems.append(Problem(fact.file, line, col, f"{fact.id}.questions", f"phrasing {question!r} collides with {other[1]!r} of fact {other[0]!r}; the bot could not tell them apart"))
            else:
                seen.setdefault(sig, (fact.id, question))
            entries.append((normalise(question), fact.id, question))
    # Fuzzy near-duplicates: all pairs is fine for hand-written knowledge bases; very large
    # generated ones rely on the exact signature check above.
    if len(entries) <= 5000:
        texts = [e[0] for e in entries]
        reported: set[tuple[str, str]] = set()
        for i, (text, fid, original) in enumerate(entries):
            for _match, _score, j in process.extract(text, texts, scorer=fuzz.ratio, score_cutoff=COLLISION_RATIO, limit=None):
                other_text, other_id, other_original = entries[j]
                if j <= i or other_id == fid or signature(original) == signature(other_original):
                    continue
                if (original, other_original) in reported:
                    continue
                reported.add((original, other_original))
                fact = next(f for f in facts if f.id == other_id)
                line, col = fact.positions.get(other_original, (fact.line, 0))
                problems.append(Problem(fact.file, line, col, f"{fact.id}.questions", f"phrasing {other_original!r} is nearly identical to {original!r} of fact {fid!r}; make it say what sets this fact apart"))
    return problems
