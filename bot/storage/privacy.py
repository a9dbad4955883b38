"""What the storage keeps about one person, and deleting it on their request.

A person is found by the salted hash of their user id (`writer.voter_hash`): the asker of an
unanswered question, the voter of a vote. `personal_data` reads what is kept; `request_deletion`
queues the deletion on the same writer as every other write, so a locked or read-only database
delays it but never loses it, and returns a `PendingDeletion` the caller waits on to report the
counts once the transaction has committed.

The deletion removes the person's rows from `misses` and `votes` and writes the audit entry in
one transaction. Counters that name nobody (`fact_counts`, `outcome_counts`) stay. The audit
entry names the person by hash, never by user id. The writer's connection has
`secure_delete` on, so deleted text is overwritten in the database file; after a deletion the
write-ahead log is checkpointed and truncated, so the text does not linger in the -wal file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from bot.storage.records import StorageError
from bot.storage.writer import voter_hash

if TYPE_CHECKING:
    from bot.storage.queries import Storage
    from bot.storage.writer import StorageWriter

SHOWN_QUESTIONS = 10  # how many of a person's unanswered questions `personal_data` returns
FORGET_ACTION = "delete personal data"


@dataclass(frozen=True)
class KeptQuestion:
    asked_at: float
    question: str


@dataclass(frozen=True)
class PersonalData:
    """What the database holds about one person."""

    questions: int  # unanswered questions they asked, still kept
    votes: int
    newest: tuple[KeptQuestion, ...]  # the newest few of those questions, newest first
    retention_days: int  # 0: kept until deleted

    @property
    def empty(self) -> bool:
        return not self.questions and not self.votes


@dataclass(frozen=True)
class Deletion:
    """What one deletion removed. `person` is the hash the rows were kept under."""

    questions: int
    votes: int
    person: str
    log_cleared: bool  # the write-ahead log was truncated afterwards (False: a reader held it)

    @property
    def nothing(self) -> bool:
        return not self.questions and not self.votes


def person_hash(storage: Storage, user_id: int | str) -> str | None:
    """The hash a person's rows are kept under; None when the database has no salt yet (so no rows)."""
    try:
        rows = storage._query("SELECT value FROM meta WHERE key = 'salt'")
    except StorageError:
        if not storage.path.exists():
            return None
        raise
    return voter_hash(bytes.fromhex(rows[0][0]), user_id) if rows else None


def personal_data(storage: Storage, user_id: int | str, shown: int = SHOWN_QUESTIONS) -> PersonalData:
    """Counts of this person's unanswered questions and votes, and the newest `shown` questions.

    Raises StorageError when the database exists but cannot be read.
    """
    person = person_hash(storage, user_id)
    if person is None:
        return PersonalData(0, 0, (), storage.retention_days)
    (questions,) = storage._query("SELECT COUNT(*) FROM misses WHERE asker = ?", (person,))[0]
    (votes,) = storage._query("SELECT COUNT(*) FROM votes WHERE voter = ?", (person,))[0]
    newest = storage._query("SELECT asked_at, question FROM misses WHERE asker = ? ORDER BY asked_at DESC, id DESC LIMIT ?", (person, shown))
    return PersonalData(int(questions), int(votes), tuple(KeptQuestion(at, text) for at, text in newest), storage.retention_days)


async def personal_data_async(storage: Storage, user_id: int | str, shown: int = SHOWN_QUESTIONS) -> PersonalData:
    return await asyncio.to_thread(personal_data, storage, user_id, shown)


@dataclass
class PendingDeletion:
    """A deletion in the writer's queue. `wait` returns its result once it has committed.

    The writer's thread settles it; a coroutine waiting in `wait_async` is woken through its event
    loop (`call_soon_threadsafe`) rather than by polling, so a long wait is one timer, not a loop."""

    _done: threading.Event = field(default_factory=threading.Event)
    result: Deletion | None = None
    refused: str | None = None  # why the database refused this write (it was dropped)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(default_factory=list)

    def wait(self, timeout: float) -> Deletion | None:
        """The result, or None if the deletion has not committed within `timeout` (it stays queued)."""
        self._done.wait(timeout)
        return self.result

    async def wait_async(self, timeout: float) -> Deletion | None:
        """As `wait`, without blocking the event loop; a cancelled wait leaves nothing behind."""
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._done.is_set():
                return self.result
            self._waiters.append((loop, woken))
        try:
            await asyncio.wait((woken,), timeout=timeout)
        finally:
            with self._lock:
                if (loop, woken) in self._waiters:
                    self._waiters.remove((loop, woken))
        return self.result

    def _settle(self) -> None:
        """Called on the writer's thread once the deletion committed or was dropped."""
        with self._lock:
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, woken in waiters:
            try:
                loop.call_soon_threadsafe(_wake, woken)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass

    @property
    def settled(self) -> bool:
        return self._done.is_set()


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


@dataclass
class _ForgetWrite:
    """One person's misses and votes deleted and the audit entry written, in the batch's transaction."""

    label: ClassVar[str] = "deletion of a person's data"
    user_id: int | str
    actor: str
    when: float
    pending: PendingDeletion
    _counts: tuple[int, int, str] = (0, 0, "")

    def apply(self, conn: sqlite3.Connection, storage: StorageWriter) -> None:
        person = storage._user_hash(self.user_id)
        if not person:  # no salt means the connection is not set up: never match the rows of "unknown" askers
            raise sqlite3.OperationalError("the database has no salt yet")
        questions = conn.execute("DELETE FROM misses WHERE asker = ?", (person,)).rowcount
        votes = conn.execute("DELETE FROM votes WHERE voter = ?", (person,)).rowcount
        details = f"person {person}: {questions} unanswered question(s) and {votes} vote(s) deleted"
        conn.execute("INSERT INTO audit (at, actor, action, details) VALUES (?, ?, ?, ?)", (self.when, self.actor, FORGET_ACTION, details))
        self._counts = (questions, votes, person)  # reported only once the transaction has committed

    def committed(self, conn: sqlite3.Connection) -> None:
        questions, votes, person = self._counts
        self.pending.result = Deletion(questions, votes, person, _truncate_log(conn))
        self.pending._settle()

    def dropped(self, reason: str) -> None:
        self.pending.refused = reason
        self.pending._settle()


def _truncate_log(conn: sqlite3.Connection) -> bool:
    """Copy the write-ahead log into the database and empty it, so deleted text is not left in
    old log frames. False when a reader kept it from finishing (the next checkpoint does it)."""
    try:
        busy, _frames, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error:
        return False
    return busy == 0


def request_deletion(storage: StorageWriter, user_id: int | str, actor: str, *, when: float | None = None) -> PendingDeletion | None:
    """Queue the deletion of everything kept under this person's hash; None when the queue
    refused it (full, or the storage is closed). Writes accepted before it are deleted too."""
    pending = PendingDeletion()
    write = _ForgetWrite(user_id, actor, time.time() if when is None else when, pending)
    return pending if storage._enqueue(write) else None
