"""What the storage's readers return, and its one error type. Plain data, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


class StorageError(Exception):
    """A problem reading the database, phrased as one line for a moderator or operator."""


class SchemaTooNew(StorageError):
    pass


@dataclass(frozen=True)
class MissRow:
    asked_at: float
    question: str
    normalised: str
    lang: str
    kind: str  # suggest or decline
    reason: str
    best_fact: str | None
    best_score: float
    channel_id: int | None
    asker: str  # salted hash, "" when unknown


@dataclass(frozen=True)
class MissGroup:
    """Near-identical unanswered questions, counted together."""

    question: str  # the most frequent wording
    lang: str
    count: int
    askers: int  # distinct people
    variants: tuple[tuple[str, int], ...]  # every wording with its count, most frequent first
    closest_fact: str | None  # the fact most often closest when it was asked
    closest_score: float
    last_asked: float
    declined: int  # how many were declined (the rest got "did you mean")


@dataclass(frozen=True)
class FactStats:
    fact_id: str
    asked: int = 0  # questions whose best match was this fact
    answered: int = 0
    suggested: int = 0  # times offered as a "did you mean"
    votes_up: int = 0
    votes_down: int = 0


@dataclass(frozen=True)
class Stats:
    facts: tuple[FactStats, ...]
    questions: int
    answered: int
    suggested: int
    declined: int

    def rate(self, kind: str) -> float:
        count = {"answer": self.answered, "suggest": self.suggested, "decline": self.declined}[kind]
        return count / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    details: str

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)


@dataclass(frozen=True)
class StorageStatus:
    pending: int  # writes accepted but not yet in the database
    problem: str | None  # the current fault, None when writes go through
    refused: int  # writes refused because the queue was full (not acknowledged)
