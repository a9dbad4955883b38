"""The read side of the storage: the inbox of unanswered questions, statistics, the audit log.

Each read opens its own short connection; WAL mode lets it run beside the writer thread.
Async callers use the `*_async` variants, which read in a worker thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from bot.storage.grouping import group_misses
from bot.storage.records import AuditEntry, FactStats, MissGroup, MissRow, Stats, StorageError
from bot.storage.schema import SCHEMA_VERSION, schema_version
from bot.storage.writer import StorageWriter, day_of, describe_fault, voter_hash


class Storage(StorageWriter):
    """The bot's database: the writer's queued `record_*` calls plus the reads moderators use.
    Create once, `start()` (or just record), `close()` at shutdown."""

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
            raise StorageError(f"cannot read {self.path}: {describe_fault(exc)}") from None
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
            raise StorageError(f"cannot read {self.path}: {describe_fault(exc)}") from None
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
        since_day = day_of(since) if since > 0 else ""
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
        voter = voter_hash(bytes.fromhex(salt[0][0]), user_id)
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
