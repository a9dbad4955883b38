"""The live knowledge base: one `Answerer` at a time, replaced whole on reload.

Front ends read `service.answerer` for every question; a reload validates and builds the
new index, which trains the learned matcher (`bot.search.learned`), away from the caller (in a
worker thread when asked from the event loop), then
swaps the reference in one assignment, so a question sees either the old or the new
knowledge base, never a mix. On any problem the old one stays.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer.policy import Thresholds
from bot.answer.reply import DEFAULT_MAX_CHARS, Answerer
from bot.knowledge import Fact, KnowledgeBase, Limits, LoadCache, Problem, load_knowledge
from bot.search.index import SearchIndex


@dataclass(frozen=True)
class KnowledgeDiff:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        if self.empty:
            return "no facts changed"
        parts = []
        for label, ids in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if ids:
                parts.append(f"{label}: {', '.join(ids)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    problems: tuple[Problem, ...] = ()
    diff: KnowledgeDiff = field(default_factory=KnowledgeDiff)
    version: str = ""
    load_s: float = 0.0  # reading and validating the files
    index_s: float = 0.0  # building the search index, training the learned matcher included


def diff_knowledge(old: KnowledgeBase | None, new: KnowledgeBase) -> KnowledgeDiff:
    before = {f.id: f for f in old.facts} if old else {}
    after = {f.id: f for f in new.facts}
    added = tuple(sorted(after.keys() - before.keys()))
    removed = tuple(sorted(before.keys() - after.keys()))
    # a fact from an unchanged file is the very same object: only the others need comparing
    changed = tuple(sorted(fid for fid in after.keys() & before.keys() if after[fid] is not before[fid] and _fact_key(after[fid]) != _fact_key(before[fid])))
    return KnowledgeDiff(added, changed, removed)


def _fact_key(fact: Fact) -> Fact:
    # the line moves when unrelated lines are edited: not a change of the fact
    return fact.replace(line=0)


class KnowledgeService:
    def __init__(self, path: Path, limits: Limits = Limits(), thresholds: Thresholds = Thresholds(), max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.path = path
        self.limits = limits
        self.thresholds = thresholds
        self.max_chars = max_chars
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()  # one reload at a time; readers never wait on it
        self._cache = LoadCache()  # files unchanged since the last reload are not parsed again

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            raise RuntimeError("knowledge base not loaded")
        return self._answerer

    @property
    def load_cache(self) -> LoadCache:
        """What the last reload checked, file by file; other loads of the same folder may share it."""
        return self._cache

    @property
    def loaded(self) -> bool:
        return self._answerer is not None

    def reload(self) -> ReloadResult:
        """Validate, index and swap in the knowledge folder; keep the old one on any problem."""
        with self._lock:
            start = time.perf_counter()
            result = load_knowledge([self.path], self.limits, cache=self._cache)
            loaded = time.perf_counter()
            if result.kb is None:
                return ReloadResult(False, tuple(result.problems), load_s=loaded - start)
            # facts from unchanged files are the same objects as before: the new index takes over
            # their analysis (reading every fact again takes seconds at 10,000 facts, this a fraction)
            previous = self._answerer.index if self._answerer else None
            index = SearchIndex(result.kb, previous=previous)
            answerer = Answerer(result.kb, index=index, thresholds=self.thresholds, max_chars=self.max_chars)
            indexed = time.perf_counter()
            old = self._answerer.kb if self._answerer else None
            self._answerer = answerer  # the atomic swap
            return ReloadResult(True, (), diff_knowledge(old, result.kb), result.kb.version, loaded - start, indexed - loaded)

    async def reload_async(self) -> ReloadResult:
        """`reload` in a worker thread, so the event loop keeps answering meanwhile."""
        # A thread, not a process: the new knowledge base and index must end up in this
        # process, and unpickling them holds the interpreter lock in one piece (the index
        # alone of 10,000 facts takes over 100 ms), longer than the build ever holds it.
        return await asyncio.to_thread(self.reload)
