"""The write side of the storage: schema migrations, the connection, and queued writes.

Writes never block the caller and never fail it. `record_*` put the write on an in-memory
queue that one writer thread drains into the database, so the event loop never waits on disk.
When the database is missing, locked, read-only or the disk is full, the queue keeps every
write and the thread retries; the problem is logged once per outage and once on recovery. A
write leaves the queue only after its transaction has committed, so nothing that a
`record_*` call accepted (returned True) is lost while the process runs.

Privacy: an asker or voter is kept as an HMAC of the user id with a random salt kept in the
database itself (`voter_hash`), only so distinct askers can be counted and one vote per
person enforced.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from bot.storage.records import StorageError, StorageStatus
from bot.storage.schema import migrate
from bot.text.normalise import detect_lang, normalise

if TYPE_CHECKING:
    from bot.answer.reply import Reply
    from bot.config import StorageSettings

log = logging.getLogger("bot.storage")

MAX_STORED_QUESTION = 1000  # characters of a question kept; a longer one is cut
MAX_AUDIT_DETAILS = 4000
PARTLY_DECLINED = "partly_declined"  # a reply answering one part of a question and declining the other (bot/answer/two_part.py)
_BATCH = 500  # writes per transaction
_HOUSEKEEPING_SECONDS = 3600.0  # how often old rows are purged while running
# errors caused by one write's content, not by the database: retrying cannot help
_ITEM_ERRORS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.DataError)


# ---- queued writes ------------------------------------------------------------------------


class _Write(Protocol):
    label: str

    def apply(self, conn: sqlite3.Connection, storage: StorageWriter) -> None: ...


@dataclass
class _ReplyWrite:
    label: ClassVar[str] = "recorded question"
    when: float
    kind: str
    lang: str
    question: str
    reason: str
    fact_id: str | None
    suggested: tuple[str, ...]
    best_fact: str | None
    best_score: float
    channel_id: int | None
    user_id: int | str | None

    def apply(self, conn: sqlite3.Connection, storage: StorageWriter) -> None:
        day = day_of(self.when)
        conn.execute(
            "INSERT INTO outcome_counts (day, kind, count) VALUES (?, ?, 1) ON CONFLICT (day, kind) DO UPDATE SET count = count + 1",
            (day, self.kind),
        )
        bumps: dict[str, list[int]] = {}  # fact -> [asked, answered, suggested]
        if self.best_fact:
            bumps.setdefault(self.best_fact, [0, 0, 0])[0] += 1
        if self.kind == "answer" and self.fact_id:
            bumps.setdefault(self.fact_id, [0, 0, 0])[1] += 1
        for fid in dict.fromkeys(self.suggested):
            bumps.setdefault(fid, [0, 0, 0])[2] += 1
        for fid, (asked, answered, suggested) in bumps.items():
            conn.execute(
                "INSERT INTO fact_counts (day, fact_id, asked, answered, suggested) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (day, fact_id) DO UPDATE SET asked = asked + excluded.asked, "
                "answered = answered + excluded.answered, suggested = suggested + excluded.suggested",
                (day, fid, asked, answered, suggested),
            )
        if self.kind != "answer" or self.reason == PARTLY_DECLINED:  # the inbox shows what went unanswered
            conn.execute(
                "INSERT INTO misses (asked_at, question, normalised, lang, kind, reason, best_fact, best_score, channel_id, asker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.when,
                    self.question,
                    normalise(self.question),
                    self.lang,
                    self.kind,
                    self.reason,
                    self.best_fact,
                    self.best_score,
                    self.channel_id,
                    storage._user_hash(self.user_id),
                ),
            )


@dataclass
class _VoteWrite:
    label: ClassVar[str] = "vote"
    when: float
    answer_id: str
    fact_id: str
    user_id: int | str
    value: int

    def apply(self, conn: sqlite3.Connection, storage: StorageWriter) -> None:
        conn.execute(
            "INSERT INTO votes (answer_id, voter, fact_id, value, voted_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (answer_id, voter) DO UPDATE SET value = excluded.value, fact_id = excluded.fact_id, voted_at = excluded.voted_at",
            (self.answer_id, storage._user_hash(self.user_id), self.fact_id, self.value, self.when),
        )


@dataclass
class _AuditWrite:
    label: ClassVar[str] = "audit entry"
    when: float
    actor: str
    action: str
    details: str

    def apply(self, conn: sqlite3.Connection, storage: StorageWriter) -> None:
        conn.execute("INSERT INTO audit (at, actor, action, details) VALUES (?, ?, ?, ?)", (self.when, self.actor, self.action, self.details))


@dataclass
class _PurgeWrite:
    label: ClassVar[str] = "clean-up of old rows"
    cutoff: float

    def apply(self, conn: sqlite3.Connection, storage: StorageWriter) -> None:
        conn.execute("DELETE FROM misses WHERE asked_at < ?", (self.cutoff,))
        conn.execute("DELETE FROM votes WHERE voted_at < ?", (self.cutoff,))


def voter_hash(salt: bytes, user_id: int | str) -> str:
    """A person as the database keeps them: a salted HMAC of the user id, never the id."""
    return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def day_of(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")


# ---- the writer -----------------------------------------------------------------------------


class StorageWriter:
    """The queue, the writer thread and its connection. `Storage` adds the reads."""

    def __init__(
        self,
        path: Path | str,
        retention_days: int = 180,
        *,
        retry_seconds: float = 5.0,
        busy_timeout: float = 1.0,
        max_pending: int = 100_000,
        read_wait: float = 2.0,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days  # 0 keeps rows forever
        self.retry_seconds = retry_seconds
        self.busy_timeout = busy_timeout
        self.max_pending = max_pending
        self.read_wait = read_wait  # how long a read waits for queued writes to land
        self._pending: deque[_Write] = deque()
        self._cond = threading.Condition()
        self._wake = threading.Event()  # cut a retry pause short (flush, close)
        self._thread: threading.Thread | None = None
        self._closing = False
        self._close_deadline = 0.0
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._salt: bytes | None = None
        self._problem: str | None = None
        self._refused = 0
        self._next_purge = 0.0

    @classmethod
    def from_settings(cls, settings: StorageSettings, **kwargs: Any) -> Self:
        return cls(settings.path, settings.retention_days, **kwargs)

    # -- lifecycle --

    def start(self) -> None:
        with self._cond:
            if self._closing:
                return  # close() has reported what was left; a late record is refused in _enqueue
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 10.0) -> int:
        """Write what is queued (retrying until `timeout`), stop the writer. Returns writes not saved."""
        with self._cond:
            self._closing = True
            self._close_deadline = time.monotonic() + timeout
            self._cond.notify_all()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout + self.busy_timeout + 1.0)
        unsaved = len(self._pending)
        if unsaved:
            log.error("storage: %d write(s) could not be saved to %s before shutdown: %s", unsaved, self.path, self._problem or "writer stopped")
        return unsaved

    async def close_async(self, timeout: float = 10.0) -> int:
        return await asyncio.to_thread(self.close, timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def status(self) -> StorageStatus:
        return StorageStatus(len(self._pending), self._problem, self._refused)

    # -- writes: cheap, never raise for database trouble, safe on the event loop --

    def record_reply(self, reply: Reply, channel_id: int | None, user_id: int | str | None, *, when: float | None = None) -> bool:
        """Count an ask's outcome; keep a declined or did-you-mean question in the inbox, with
        the fact that came closest (the reply carries it). Returns False only when the record
        was not accepted: the queue is full, or the storage is closed.
        """
        suggested = tuple(s.fact_id for s in reply.suggestions)
        best = reply.closest_fact
        if best is None:
            best = reply.fact_id if reply.kind == "answer" else suggested[0] if suggested else None
        # lone surrogates cannot be encoded for SQLite: keep the question, with them replaced
        question = reply.question[:MAX_STORED_QUESTION].encode("utf-8", "replace").decode("utf-8")
        write = _ReplyWrite(
            when=time.time() if when is None else when,
            kind=reply.kind,
            lang=reply.lang or detect_lang(question),
            question=question,
            reason=reply.reason,
            fact_id=reply.fact_id if reply.kind == "answer" else None,
            suggested=suggested,
            best_fact=best,
            best_score=float(reply.score),
            channel_id=channel_id,
            user_id=user_id,
        )
        return self._enqueue(write)

    def record_vote(self, answer_id: int | str, fact_id: str, user_id: int | str, up: bool, *, when: float | None = None) -> bool:
        """One vote per person per answer (`answer_id`: the answer message); voting again replaces it."""
        return self._enqueue(_VoteWrite(time.time() if when is None else when, str(answer_id), fact_id, user_id, 1 if up else -1))

    def record_audit(self, actor: str, action: str, details: str = "", *, when: float | None = None) -> bool:
        """Log a moderator action. `actor` is a display string chosen by the caller ("name (via /kb reload)")."""
        return self._enqueue(_AuditWrite(time.time() if when is None else when, actor, action, details[:MAX_AUDIT_DETAILS]))

    def purge(self, now: float | None = None) -> bool:
        """Delete unanswered questions and votes older than the retention period (queued like any write)."""
        if self.retention_days <= 0:
            return True
        now = time.time() if now is None else now
        return self._enqueue(_PurgeWrite(now - self.retention_days * 86400))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every accepted write is in the database; True if it got there within `timeout`."""
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._cond.wait(min(left, 0.25))
                self._wake.set()
        return True

    async def flush_async(self, timeout: float = 5.0) -> bool:
        return await asyncio.to_thread(self.flush, timeout)

    def _enqueue(self, write: _Write) -> bool:
        with self._cond:
            if self._closing:
                log.debug("storage: closed; not recording one %s", getattr(write, "label", "write"))
                return False
            if len(self._pending) >= self.max_pending:
                if not self._refused:
                    log.warning("storage: %d writes are waiting for %s; refusing new ones until it accepts writes again", len(self._pending), self.path)
                self._refused += 1
                return False
            self._pending.append(write)
            self._cond.notify_all()
        if self._thread is None:
            self.start()
        return True

    # -- the writer thread --

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing and time.time() < self._next_purge:
                    self._cond.wait(timeout=min(60.0, self._next_purge - time.time()))
                if self._closing and (not self._pending or time.monotonic() >= self._close_deadline):
                    break
                if not self._pending:  # housekeeping is due
                    self._next_purge = time.time() + _HOUSEKEEPING_SECONDS
                    if self.retention_days > 0:
                        self._pending.append(_PurgeWrite(time.time() - self.retention_days * 86400))
                    continue
                batch = [self._pending[i] for i in range(min(_BATCH, len(self._pending)))]
            try:
                written = self._write(batch)
            except Exception:  # a bug must not stop the writer: keep the writes and retry later
                log.exception("storage: unexpected error while writing")
                written = 0
            with self._cond:
                for _ in range(written):
                    self._pending.popleft()
                self._cond.notify_all()
            if not written:
                self._wake.clear()
                if self._closing and time.monotonic() >= self._close_deadline:
                    break
                pause = self.retry_seconds
                if self._closing:
                    pause = min(pause, max(0.0, self._close_deadline - time.monotonic()))
                self._wake.wait(pause)
        self._disconnect()

    def _write(self, batch: list[_Write]) -> int:
        """Commit a batch; the number of writes done (0 after a fault, all of them kept)."""
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for write in batch:
                    write.apply(conn, self)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            _tell_committed(batch, conn)
        except _ITEM_ERRORS:
            return self._write_one_by_one(batch)
        except (sqlite3.Error, OSError, StorageError) as exc:
            self._fault(exc)
            return 0
        except Exception:  # a bug in one write: find it rather than retry the batch forever
            return self._write_one_by_one(batch)
        self._recovered(len(batch))
        return len(batch)

    def _write_one_by_one(self, batch: list[_Write]) -> int:
        """A write the database rejects for what it holds would block the queue forever: drop it alone."""
        done = 0
        for write in batch:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    write.apply(conn, self)
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
                _tell_committed([write], conn)
            except _ITEM_ERRORS as exc:
                log.error("storage: dropped one %s the database refuses: %s", getattr(write, "label", "write"), exc)
                _tell_dropped(write, str(exc))
            except (sqlite3.Error, OSError, StorageError) as exc:
                self._fault(exc)
                return done
            except Exception as exc:
                log.exception("storage: dropped one %s that cannot be written", getattr(write, "label", "write"))
                _tell_dropped(write, str(exc) or type(exc).__name__)
            done += 1
        if done:
            self._recovered(done)
        return done

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            try:
                st = os.stat(self.path)
                if (st.st_dev, st.st_ino) == self._identity:
                    return self._conn
            except OSError:
                pass
            # the file was deleted or replaced under us: writes to the old handle would vanish
            log.warning("storage: %s was removed or replaced; opening it afresh", self.path)
            self._disconnect()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"cannot switch {self.path} to WAL mode (it stays in {mode} mode)")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA secure_delete = ON")  # deleted rows are overwritten, not left in free space
            migrate(conn)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
            self._salt = bytes.fromhex(conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0])
            st = os.stat(self.path)
        except BaseException:
            conn.close()
            raise
        self._conn, self._identity = conn, (st.st_dev, st.st_ino)
        return conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None
        self._identity = None

    def _user_hash(self, user_id: int | str | None) -> str:
        if user_id is None or self._salt is None:
            return ""
        return voter_hash(self._salt, user_id)

    def _fault(self, exc: BaseException) -> None:
        self._disconnect()  # a read-only or stale handle would fail again: reopen on the next try
        message = describe_fault(exc)
        if self._problem is None:
            log.warning(
                "storage: cannot write to %s (%s); keeping %d write(s) in memory and retrying every %gs",
                self.path,
                message,
                len(self._pending),
                self.retry_seconds,
            )
        self._problem = message

    def _recovered(self, written: int) -> None:
        if self._problem is not None:
            log.warning("storage: %s accepts writes again; saved %d waiting write(s)", self.path, written)
            self._problem = None
        if self._refused:
            self._refused = 0


def _tell_committed(writes: list[_Write], conn: sqlite3.Connection) -> None:
    """A write whose caller waits for its outcome (a deletion someone asked for) has a
    `committed` hook: called after the commit, on the writer's connection."""
    for write in writes:
        hook = getattr(write, "committed", None)
        try:
            if hook is not None:
                hook(conn)
        except Exception:  # the write is committed: a failing report must not make it run again
            log.exception("storage: could not report a committed %s", write.label)


def _tell_dropped(write: _Write, reason: str) -> None:
    hook = getattr(write, "dropped", None)
    if hook is not None:
        hook(reason)


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def describe_fault(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database is read-only ({text})"
    if "locked" in lowered or "busy" in lowered:
        return f"the database is locked by another program ({text})"
    if "disk is full" in lowered or "no space" in lowered:
        return f"the disk is full ({text})"
    if "unable to open" in lowered:
        return f"the database file cannot be opened or created ({text})"
    return text
