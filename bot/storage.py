"""SQLite storage for the moderator loop: unanswered questions, votes, counters, audit log.

Writes never block the caller and never fail it. `record_*` put the write on an in-memory
queue that one writer thread drains into the database, so the event loop never waits on disk.
When the database is missing, locked, read-only or the disk is full, the queue keeps every
write and the thread retries; the problem is logged once per outage and once on recovery. A
write leaves the queue only after its transaction has committed, so nothing that a
`record_*` call accepted (returned True) is lost while the process runs.

Reads (`miss_groups`, `stats`, `audit_entries`) open their own short connection; WAL mode
lets them run beside the writer. Async callers use the `*_async` variants.

Privacy: no user ids or names are stored. An asker or voter is kept as an HMAC of the user id
with a random salt kept in the database itself, only so distinct askers can be counted and one
vote per person enforced.

No discord here: the Discord layer passes plain ids and display strings.
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
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.text.normalise import detect_lang, normalise

if TYPE_CHECKING:
    from bot.answer.reply import Reply
    from bot.config import StorageSettings

log = logging.getLogger("bot.storage")

# Each entry moves the schema up one version (PRAGMA user_version). Never edit a released
# entry: add a new one, so every existing database is brought forward step by step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE misses (
            id INTEGER PRIMARY KEY,
            asked_at REAL NOT NULL,
            question TEXT NOT NULL,
            normalised TEXT NOT NULL,
            lang TEXT NOT NULL,
            kind TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            best_fact TEXT,
            best_score REAL NOT NULL DEFAULT 0,
            channel_id INTEGER,
            asker TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX misses_by_time ON misses (asked_at)",
        """CREATE TABLE votes (
            answer_id TEXT NOT NULL,
            voter TEXT NOT NULL,
            fact_id TEXT NOT NULL,
            value INTEGER NOT NULL CHECK (value IN (-1, 1)),
            voted_at REAL NOT NULL,
            PRIMARY KEY (answer_id, voter)
        )""",
        "CREATE INDEX votes_by_time ON votes (voted_at)",
        """CREATE TABLE fact_counts (
            day TEXT NOT NULL,
            fact_id TEXT NOT NULL,
            asked INTEGER NOT NULL DEFAULT 0,
            answered INTEGER NOT NULL DEFAULT 0,
            suggested INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, fact_id)
        )""",
        """CREATE TABLE outcome_counts (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, kind)
        )""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX audit_by_time ON audit (at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

MAX_STORED_QUESTION = 1000  # characters of a question kept; a longer one is cut
MAX_AUDIT_DETAILS = 4000
GROUP_SIMILARITY = 90.0  # rapidfuzz similarity (0-100) at which two misses are one question; 85 joined 'when did it start' and '... stop'
_BATCH = 500  # writes per transaction
_HOUSEKEEPING_SECONDS = 3600.0  # how often old rows are purged while running
# errors caused by one write's content, not by the database: retrying cannot help
_ITEM_ERRORS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.DataError)


class StorageError(Exception):
    """A problem reading the database, phrased as one line for a moderator or operator."""


class SchemaTooNew(StorageError):
    pass


# ---- what the readers return -------------------------------------------------------------


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


# ---- queued writes ------------------------------------------------------------------------


class _Write(Protocol):
    label: str

    def apply(self, conn: sqlite3.Connection, storage: Storage) -> None: ...


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

    def apply(self, conn: sqlite3.Connection, storage: Storage) -> None:
        day = _day(self.when)
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
        if self.kind != "answer":
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

    def apply(self, conn: sqlite3.Connection, storage: Storage) -> None:
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

    def apply(self, conn: sqlite3.Connection, storage: Storage) -> None:
        conn.execute("INSERT INTO audit (at, actor, action, details) VALUES (?, ?, ?, ?)", (self.when, self.actor, self.action, self.details))


@dataclass
class _PurgeWrite:
    label: ClassVar[str] = "clean-up of old rows"
    cutoff: float

    def apply(self, conn: sqlite3.Connection, storage: Storage) -> None:
        conn.execute("DELETE FROM misses WHERE asked_at < ?", (self.cutoff,))
        conn.execute("DELETE FROM votes WHERE voted_at < ?", (self.cutoff,))


def _day(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")


# ---- schema ---------------------------------------------------------------------------------


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: tuple[tuple[str, ...], ...] = MIGRATIONS) -> int:
    """Bring the schema to the newest version in one transaction: all steps or none.

    `conn` must be in autocommit mode (isolation_level=None). Returns the version reached.
    """
    target = len(migrations)
    if schema_version(conn) == target:
        return target
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)  # another process may have migrated while we waited
        if version > target:
            raise SchemaTooNew(f"the database schema is version {version}, newer than this bot knows ({target}); upgrade the bot")
        for step in migrations[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {target}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return target


# ---- the store ------------------------------------------------------------------------------


class Storage:
    """The bot's database. Create once, `start()` (or just record), `close()` at shutdown."""

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
    def from_settings(cls, settings: StorageSettings, **kwargs: Any) -> Storage:
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

    def __enter__(self) -> Storage:
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
            except _ITEM_ERRORS as exc:
                log.error("storage: dropped one %s the database refuses: %s", getattr(write, "label", "write"), exc)
            except (sqlite3.Error, OSError, StorageError) as exc:
                self._fault(exc)
                return done
            except Exception:
                log.exception("storage: dropped one %s that cannot be written", getattr(write, "label", "write"))
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
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    def _fault(self, exc: BaseException) -> None:
        self._disconnect()  # a read-only or stale handle would fail again: reopen on the next try
        message = _describe_fault(exc)
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

    # -- reads --

    def _read_connection(self) -> sqlite3.Connection:
        if self._thread is not None and self._thread.is_alive() and self._problem is None:
            self.flush(self.read_wait)  # so a moderator sees the vote they just cast
        if not self.path.exists():
            raise StorageError(f"no database at {self.path} yet; the bot creates it when it records its first question")
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            version = schema_version(conn)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read {self.path}: {_describe_fault(exc)}") from None
        if version > SCHEMA_VERSION:
            conn.close()
            raise StorageError(f"{self.path} was written by a newer version of the bot (schema {version}, this one knows {SCHEMA_VERSION}); upgrade the bot")
        if version < SCHEMA_VERSION:
            conn.close()
            raise StorageError(f"{self.path} has not been set up yet (schema {version}); start the bot once to create its tables")
        return conn

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self._read_connection()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read {self.path}: {_describe_fault(exc)}") from None
        finally:
            conn.close()

    def misses(self, days: float | None = 7, now: float | None = None) -> list[MissRow]:
        """Unanswered questions of the last `days` (None: all kept), oldest first."""
        since = _since(days, now)
        rows = self._query(
            "SELECT asked_at, question, normalised, lang, kind, reason, best_fact, best_score, channel_id, asker FROM misses WHERE asked_at >= ? ORDER BY asked_at, id",
            (since,),
        )
        return [MissRow(*row) for row in rows]

    def miss_groups(self, days: float | None = 7, now: float | None = None, include_empty: bool = False) -> list[MissGroup]:
        """The inbox: near-duplicate unanswered questions grouped, most asked first.

        Questions with no content at all ("hi", "???") are left out unless `include_empty`.
        """
        rows = [r for r in self.misses(days, now) if include_empty or r.reason != "no_content"]
        return group_misses(rows)

    def stats(self, days: float | None = None, fact_ids: tuple[str, ...] | list[str] = (), now: float | None = None) -> Stats:
        """Per fact: asked, answered, suggested and votes; overall outcome counts.

        `fact_ids` (the current knowledge base) are listed even when never asked. Votes are
        counted over the retention period, or `days` when given.
        """
        since = _since(days, now)
        since_day = _day(since) if since > 0 else ""
        outcome = dict(self._query("SELECT kind, SUM(count) FROM outcome_counts WHERE day >= ? GROUP BY kind", (since_day,)))
        per_fact: dict[str, list[int]] = {fid: [0, 0, 0, 0, 0] for fid in fact_ids}
        for fid, asked, answered, suggested in self._query(
            "SELECT fact_id, SUM(asked), SUM(answered), SUM(suggested) FROM fact_counts WHERE day >= ? GROUP BY fact_id", (since_day,)
        ):
            per_fact.setdefault(fid, [0, 0, 0, 0, 0])[:3] = [asked, answered, suggested]
        for fid, up, down in self._query("SELECT fact_id, SUM(value > 0), SUM(value < 0) FROM votes WHERE voted_at >= ? GROUP BY fact_id", (since,)):
            per_fact.setdefault(fid, [0, 0, 0, 0, 0])[3:] = [up, down]
        facts = tuple(sorted((FactStats(fid, *counts) for fid, counts in per_fact.items()), key=lambda s: (-s.asked, -s.answered, s.fact_id)))
        answered, suggested, declined = (int(outcome.get(k) or 0) for k in ("answer", "suggest", "decline"))
        return Stats(facts, answered + suggested + declined, answered, suggested, declined)

    def audit_entries(self, days: float | None = None, limit: int = 100, now: float | None = None) -> list[AuditEntry]:
        """Moderator actions, newest first."""
        rows = self._query("SELECT at, actor, action, details FROM audit WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?", (_since(days, now), limit))
        return [AuditEntry(*row) for row in rows]

    def vote_of(self, answer_id: int | str, user_id: int | str) -> int:
        """The vote a person has on an answer: 1, -1, or 0 for none."""
        salt = self._query("SELECT value FROM meta WHERE key = 'salt'")
        if not salt:
            return 0
        voter = hmac.new(bytes.fromhex(salt[0][0]), str(user_id).encode(), hashlib.sha256).hexdigest()[:32]
        rows = self._query("SELECT value FROM votes WHERE answer_id = ? AND voter = ?", (str(answer_id), voter))
        return int(rows[0][0]) if rows else 0

    async def miss_groups_async(self, days: float | None = 7, include_empty: bool = False) -> list[MissGroup]:
        return await asyncio.to_thread(self.miss_groups, days, None, include_empty)

    async def stats_async(self, days: float | None = None, fact_ids: tuple[str, ...] | list[str] = ()) -> Stats:
        return await asyncio.to_thread(self.stats, days, fact_ids)

    async def audit_entries_async(self, days: float | None = None, limit: int = 100) -> list[AuditEntry]:
        return await asyncio.to_thread(self.audit_entries, days, limit)


def _since(days: float | None, now: float | None) -> float:
    if days is None:
        return 0.0
    return (time.time() if now is None else now) - days * 86400


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _describe_fault(exc: BaseException) -> str:
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


# ---- grouping the inbox ----------------------------------------------------------------------


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
