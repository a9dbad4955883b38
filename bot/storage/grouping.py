"""Grouping the inbox: near-identical unanswered questions counted as one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.storage.records import MissGroup, MissRow
from bot.text.normalise import normalise

GROUP_SIMILARITY = 90.0  # rapidfuzz similarity (0-100) at which two misses are one question; 85 joined 'when did it start' and '... stop'


@dataclass
class _Bucket:
    normalised: str
    wordings: Counter[str] = field(default_factory=Counter)
    askers: set[str] = field(default_factory=set)
    closest: Counter[str] = field(default_factory=Counter)
    best_score: dict[str, float] = field(default_factory=dict)
    langs: Counter[str] = field(default_factory=Counter)
    count: int = 0
    declined: int = 0
    last: float = 0.0

    def add(self, row: MissRow) -> None:
        self.count += 1
        self.wordings[row.question.strip()] += 1
        if row.asker:
            self.askers.add(row.asker)
        if row.best_fact:
            self.closest[row.best_fact] += 1
            self.best_score[row.best_fact] = max(self.best_score.get(row.best_fact, 0.0), row.best_score)
        self.langs[row.lang] += 1
        self.declined += row.kind == "decline"
        self.last = max(self.last, row.asked_at)

    def merge(self, other: _Bucket) -> None:
        self.count += other.count
        self.wordings.update(other.wordings)
        self.askers |= other.askers
        self.closest.update(other.closest)
        for fid, score in other.best_score.items():
            self.best_score[fid] = max(self.best_score.get(fid, 0.0), score)
        self.langs.update(other.langs)
        self.declined += other.declined
        self.last = max(self.last, other.last)


def group_misses(rows: list[MissRow], similarity: float = GROUP_SIMILARITY) -> list[MissGroup]:
    """Group unanswered questions whose normalised text is the same or nearly (typos, word order).

    Greedy: the most asked wordings start groups, and each other wording joins the group whose
    first wording it resembles most, if at least `similarity`; comparing with the group's first
    wording (not any member) keeps a chain of small changes from drifting to another question.
    """
    from rapidfuzz import fuzz, process

    buckets: dict[str, _Bucket] = {}
    for row in rows:
        key = row.normalised or normalise(row.question)
        if not key:
            continue
        buckets.setdefault(key, _Bucket(key)).add(row)
    ordered = sorted(buckets.values(), key=lambda b: (-b.count, -b.last, b.normalised))
    groups: list[_Bucket] = []
    heads: list[str] = []
    for bucket in ordered:
        match = None
        if heads:
            # plain ratio forgives typos, token_sort_ratio forgives word order; either may group
            by_chars = process.extractOne(bucket.normalised, heads, scorer=fuzz.ratio, score_cutoff=similarity)
            by_words = process.extractOne(bucket.normalised, heads, scorer=fuzz.token_sort_ratio, score_cutoff=similarity)
            found = [m for m in (by_chars, by_words) if m is not None]
            match = max(found, key=lambda m: m[1]) if found else None
        if match is None:
            groups.append(bucket)
            heads.append(bucket.normalised)
        else:
            groups[match[2]].merge(bucket)
    out = []
    for g in groups:
        variants = tuple(sorted(g.wordings.items(), key=lambda kv: (-kv[1], kv[0])))
        closest = max(g.closest, key=lambda fid: (g.closest[fid], g.best_score[fid], fid)) if g.closest else None
        out.append(
            MissGroup(
                question=variants[0][0],
                lang=g.langs.most_common(1)[0][0],
                count=g.count,
                askers=len(g.askers),
                variants=variants,
                closest_fact=closest,
                closest_score=g.best_score.get(closest, 0.0) if closest else 0.0,
                last_asked=g.last,
                declined=g.declined,
            )
        )
    out.sort(key=lambda m: (-m.count, -m.askers, -m.last_asked, m.question))
    return out
