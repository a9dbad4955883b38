"""Load and validate knowledge files: every problem in one run, each with file, line and field.

Each file is checked on its own (bot.knowledge.file_check: read safely, checked against its schema,
numbers in answers checked against the fact's figures). Then the checks across files: duplicate
ids, unknown sources, the phrasings the bot added, charts and phrasings of different facts that
the matcher could not tell apart.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.charts_check import check_charts
from bot.knowledge.file_check import Addition, FileResult, Placement, check_file
from bot.knowledge.model import LANGS, Fact, Gap, KnowledgeBase, Source, Topic
from bot.knowledge.schema import MAX_QUESTION_CHARS
from bot.knowledge.yamlsafe import Limits, Problem, YamlError, format_path, read_bytes

__all__ = ["ADDITIONS_FILE", "MAX_QUESTION_CHARS", "LoadCache", "LoadResult", "knowledge_files", "load_knowledge"]

ADDITIONS_FILE = "added_questions.yaml"  # the one file the bot itself writes (see bot.knowledge.store)
COLLISION_RATIO = 95.0
FUZZY_COLLISION_MAX = 5000  # phrasings; above it only the exact-signature check runs (all pairs grow as n²), and no wording check against not_covered
# Files to check holding at least this many bytes (about 2,000 facts) are checked in worker
# processes, one per core, when the calling process runs no other thread: the first load of a
# large knowledge base, before the bot connects. A reload after an edit checks few files.
PARALLEL_MIN_BYTES = 4_000_000
# While other threads run (a reload in a worker thread beside the event loop), the files to check
# of a knowledge base holding at least this many bytes are checked in a worker process all the
# same. Why: a full collection walks every object of the loaded knowledge base (about 125,000 at
# 10,000 facts, most of them its frozen dataclasses: 30 ms on a quiet machine, more on a busy one)
# holding the interpreter lock, so the event loop waits that long. CPython runs one when the
# objects carried into its oldest generation since the last exceed a quarter of those there, and
# checking a file builds its whole YAML tree and models (about 25 container objects a fact), which
# live long enough to be carried there. In a worker process they never reach this one; what comes
# back is the file's values. For the same reason the rest of a reload keeps no container per token
# or per key until its end (`index._postings`, `charts_check._groups`).
ASIDE_MIN_BYTES = 4_000_000


@dataclass
class LoadResult:
    kb: KnowledgeBase | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.kb is not None and not self.problems


class LoadCache:
    """The per-file results of the last load, reused by the next one for every file whose
    bytes (by SHA-256) and limits are unchanged; the checks across files run every time."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, Limits, FileResult]] = {}
        self.hits = 0
        self.misses = 0

    def _get(self, display: str, digest: bytes, limits: Limits) -> FileResult | None:
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
    results: list[tuple[str, FileResult | None]] = []  # None: to be checked
    to_check: list[tuple[int, str, bytes, bytes]] = []  # (its place in results, name, bytes, digest)
    kept: dict[str, tuple[bytes, Limits, FileResult]] = {}
    size = 0  # bytes of every file read
    for file in files:
        display = str(file)
        root = next((r for r in roots if file.is_relative_to(r)), None)
        try:
            data = read_bytes(file, display, limits, root)
        except YamlError as exc:
            results.append((display, FileResult((exc.problem,))))
            continue
        size += len(data)
        digest = hashlib.sha256(data).digest()
        # the version describes the very bytes that were checked, even if a file changes meanwhile
        version.update(display.encode() + b"\0" + digest)
        result = cache._get(display, digest, limits) if cache is not None else None
        if result is None:
            to_check.append((len(results), display, data, digest))
        else:
            kept[display] = (digest, limits, result)
        results.append((display, result))
    checked = _check_files([(display, data) for _i, display, data, _digest in to_check], limits, size)
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


def _check_files(files: list[tuple[str, bytes]], limits: Limits, size: int) -> list[FileResult]:
    """`check_file` of each (name, bytes), in order; `size`: the bytes of the whole knowledge base."""
    workers = min(len(files), os.cpu_count() or 1)
    context = _process_context(workers, sum(len(data) for _display, data in files), size) if files else None
    if context is not None:
        try:
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                return list(pool.map(check_file, [display for display, _ in files], [data for _, data in files], itertools.repeat(limits)))
        except (OSError, BrokenProcessPool):  # no processes to be had: check them in this one
            pass
    return [check_file(display, data, limits) for display, data in files]


def _process_context(workers: int, checked: int, size: int) -> multiprocessing.context.BaseContext | None:
    """How to start the processes that check files of `checked` bytes in all, of a knowledge base
    of `size` bytes, or None to check them in this process. Processes, not threads: the checks
    are Python code, which holds the interpreter lock."""
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1:
        if workers > 1 and checked >= PARALLEL_MIN_BYTES and "fork" in methods and sys.platform != "darwin":
            # Forked, so they start in milliseconds with everything imported and never run the
            # caller's main module again; forking is safe only while no other thread runs (and
            # not on macOS, whose system libraries may not survive it).
            return multiprocessing.get_context("fork")
        return None
    if size >= ASIDE_MIN_BYTES and "forkserver" in methods:
        # Forked from multiprocessing's fork server, a process of its own started on first use
        # that imports the checks once: safe beside other threads. (Like any process not forked
        # from this one, a worker imports the caller's main module again if it is a script file.)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([check_file.__module__])
        return context
    return None


# -- across files


def _merge(
    results: list[tuple[str, FileResult]],
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
    placements: list[Placement] = []  # of each fact taken
    origin: dict[str, str] = {}
    gaps: list[Gap] = []
    additions: list[Addition] = []
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
        rows = _phrasing_rows(taken, placements, gained)
        problems.extend(_collisions(rows))
        if gaps and len(rows) <= FUZZY_COLLISION_MAX:  # like the near-duplicate check, only where it stays cheap
            problems.extend(_declined_wording(rows, taken, gaps))
    if problems:
        return None, problems
    analysed = {display: res.analysed for display, res in results if res.analysed}
    return KnowledgeBase(facts=tuple(facts), topics=tuple(topics), sources=sources, version=version, files=files, gaps=tuple(gaps), analysed=analysed), []


def _apply_additions(facts: list[Fact], additions: list[Addition], problems: list[Problem]) -> tuple[list[Fact], list[tuple[Fact, str]]]:
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


def _phrasing_rows(facts: list[Fact], placements: list[Placement], gained: list[tuple[Fact, str]]) -> list[_Row]:
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


def _declined_wording(rows: list[_Row], facts: list[Fact], gaps: list[Gap]) -> list[Problem]:
    """Phrasings and keywords that mention a subject `not_covered.yaml` declares: a question
    worded like them is declined, so they could only ever match themselves."""
    from bot.knowledge.gaps import GapMatcher
    from bot.text.normalise import normalise

    mentions = GapMatcher(gaps)
    problems: list[Problem] = []
    for fact_id, file, question, line, col, _sig in rows:
        for gap_id in mentions(normalise(question)):
            problems.append(
                Problem(
                    file,
                    line,
                    col,
                    f"{fact_id}.questions",
                    f"phrasing {question!r} mentions {gap_id!r}, which not_covered.yaml declares unanswered; reword it or narrow that entry's terms",
                )
            )
    for fact in facts:
        for lang in LANGS:
            for keyword in fact.keywords.get(lang, ()):
                for gap_id in mentions(normalise(keyword)):
                    problems.append(
                        Problem(
                            fact.file,
                            fact.line,
                            0,
                            f"{fact.id}.keywords",
                            f"keyword {keyword!r} mentions {gap_id!r}, which not_covered.yaml declares unanswered; reword it or narrow that entry's terms",
                        )
                    )
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
