"""The SQLite store: schema and migrations, what is recorded, and keeping writes through faults."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from bot.answer.reply import Answerer, Reply, Suggestion
from bot.storage import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, Storage, StorageError, migrate, schema_version
from tests.support.files import read_only

DAY = 86400.0
USER = 123456789012345678
OTHER = 223456789012345678


def _decline(question: str, reason: str = "no_match", score: float = 0.2) -> Reply:
    return Reply("decline", "en", question, None, score, reason=reason)


def _suggest(question: str, *fact_ids: str, score: float = 0.45) -> Reply:
    return Reply("suggest", "en", question, None, score, suggestions=tuple(Suggestion(f, "q") for f in fact_ids), reason="close")


def _answer(question: str, fact_id: str, score: float = 0.9) -> Reply:
    return Reply("answer", "en", question, fact_id, score, reason="confident")


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# ---- schema -------------------------------------------------------------------------------


def test_new_database_is_created_in_wal_mode_at_the_current_schema(make_storage) -> None:
    storage = make_storage()
    assert not storage.path.parent.exists()
    storage.record_audit("mod", "reload", "ok")
    assert storage.flush(5)
    assert _rows(storage.path, "PRAGMA journal_mode") == [("wal",)]
    assert _rows(storage.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    tables = {name for (name,) in _rows(storage.path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "misses", "votes", "fact_counts", "outcome_counts", "audit"} <= tables


def test_migrations_run_in_order_and_keep_data(tmp_path: Path) -> None:
    steps = (
        ("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)", "INSERT INTO notes (text) VALUES ('kept')"),
        ("ALTER TABLE notes ADD COLUMN lang TEXT NOT NULL DEFAULT 'en'",),
    )
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    assert migrate(conn, steps[:1]) == 1
    assert migrate(conn, steps) == 2
    assert migrate(conn, steps) == 2  # nothing left to do: no step runs twice
    assert conn.execute("SELECT text, lang FROM notes").fetchall() == [("kept", "en")]
    assert schema_version(conn) == 2


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    steps = (
        ("CREATE TABLE a (x INTEGER)",),
        ("CREATE TABLE b (y INTEGER)", "INSERT INTO no_such_table VALUES (1)"),
    )
    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    migrate(conn, steps[:1])
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, steps)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'").fetchall() == []


def test_a_database_from_a_newer_bot_is_not_touched(make_storage, tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        migrate(sqlite3.connect(path, isolation_level=None))
    storage = make_storage(path)
    assert storage.record_audit("mod", "reload")
    assert not storage.flush(0.3)
    assert "newer" in (storage.status.problem or "")
    with pytest.raises(StorageError, match="newer version of the bot"):
        storage.audit_entries()
    assert _rows(path, "SELECT name FROM sqlite_master") == []


def test_the_shipped_migrations_build_an_empty_file(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    assert migrate(conn) == len(MIGRATIONS) == SCHEMA_VERSION


# ---- what is recorded ---------------------------------------------------------------------


def test_declines_and_suggestions_go_to_the_inbox_answers_only_to_counters(make_storage) -> None:
    storage = make_storage()
    storage.record_reply(_answer("how many hospitals use it", "hospitals-using"), 11, USER)
    storage.record_reply(_suggest("hospital use?", "hospitals-using", "launch-year"), 11, USER)
    storage.record_reply(_decline("how much does the card cost"), 12, OTHER)
    assert storage.flush(5)
    rows = storage.misses(days=None)
    assert [(r.question, r.kind, r.best_fact, r.channel_id) for r in rows] == [
        ("hospital use?", "suggest", "hospitals-using", 11),
        ("how much does the card cost", "decline", None, 12),
    ]
    assert rows[0].normalised == "hospital use"
    stats = storage.stats(fact_ids=["hospitals-using", "launch-year", "never-asked"])
    by_id = {s.fact_id: s for s in stats.facts}
    assert (by_id["hospitals-using"].asked, by_id["hospitals-using"].answered, by_id["hospitals-using"].suggested) == (2, 1, 1)
    assert (by_id["launch-year"].asked, by_id["launch-year"].suggested) == (0, 1)
    assert by_id["never-asked"].asked == 0
    assert (stats.questions, stats.answered, stats.suggested, stats.declined) == (3, 1, 1, 1)
    assert stats.rate("answer") == pytest.approx(1 / 3)


def test_a_partly_declined_answer_goes_to_the_inbox_too(make_storage) -> None:
    # "since when can I cancel, and how many have?": answered in part, the rest is a miss to look at
    storage = make_storage()
    storage.record_reply(Reply("answer", "en", "since when, and how many cancelled?", "cancel", 0.8, reason="partly_declined"), 3, USER)
    assert storage.flush(5)
    (row,) = storage.misses(days=None)
    assert (row.kind, row.reason, row.best_fact) == ("answer", "partly_declined", "cancel")


def test_a_decline_is_stored_with_its_closest_fact(make_storage, mini_answerer: Answerer) -> None:
    storage = make_storage()
    reply = mini_answerer.ask("hospital pharmacy opening hours and parking")
    assert reply.kind == "decline"
    storage.record_reply(reply, 5, USER)
    assert storage.flush(5)
    (row,) = storage.misses(days=None)
    assert row.best_fact == "hospitals-using"
    assert row.best_score == pytest.approx(mini_answerer.search(reply.question).top.score)


def test_no_user_id_is_stored_only_a_salted_hash(make_storage) -> None:
    storage = make_storage()
    storage.record_reply(_decline("what about dentists"), 1, USER)
    storage.record_vote(999, "launch-year", USER, up=True)
    assert storage.flush(5)
    storage.close()
    conn = sqlite3.connect(storage.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = storage.path.read_bytes()
    assert str(USER).encode() not in raw
    (asker,) = _rows(storage.path, "SELECT asker FROM misses")[0]
    (voter,) = _rows(storage.path, "SELECT voter FROM votes")[0]
    assert asker == voter and len(asker) == 32 and str(USER) not in asker
    (salt,) = _rows(storage.path, "SELECT value FROM meta WHERE key = 'salt'")[0]
    assert len(salt) == 64


def test_salts_differ_between_databases(make_storage, tmp_path: Path) -> None:
    hashes = []
    for name in ("a", "b"):
        storage = make_storage(tmp_path / name / "db.sqlite3")
        storage.record_reply(_decline("dentists?"), 1, USER)
        assert storage.flush(5)
        hashes.append(storage.misses(days=None)[0].asker)
    assert hashes[0] != hashes[1]


def test_votes_are_one_per_person_per_answer_and_a_second_vote_replaces_the_first(make_storage) -> None:
    storage = make_storage()
    storage.record_vote(1001, "launch-year", USER, up=True)
    storage.record_vote(1001, "launch-year", USER, up=True)  # the same click twice
    assert storage.flush(5)
    assert storage.vote_of(1001, USER) == 1
    stats = {s.fact_id: s for s in storage.stats().facts}
    assert (stats["launch-year"].votes_up, stats["launch-year"].votes_down) == (1, 0)
    storage.record_vote(1001, "launch-year", USER, up=False)  # changed their mind
    storage.record_vote(1001, "launch-year", OTHER, up=False)
    storage.record_vote(1002, "launch-year", USER, up=True)  # another answer, another vote
    assert storage.flush(5)
    stats = {s.fact_id: s for s in storage.stats().facts}
    assert (stats["launch-year"].votes_up, stats["launch-year"].votes_down) == (1, 2)
    assert storage.vote_of(1001, USER) == -1
    assert storage.vote_of(1001, 42) == 0


def test_audit_entries_newest_first_with_who_and_what(make_storage) -> None:
    storage = make_storage()
    now = time.time()
    storage.record_audit("Aiko (via /kb reload)", "reload", "added: launch-year", when=now - 3 * DAY)
    storage.record_audit("watcher", "reload-failed", "facts.yaml:3:1: bad", when=now - 1)
    assert storage.flush(5)
    entries = storage.audit_entries()
    assert [(e.actor, e.action, e.details) for e in entries] == [
        ("watcher", "reload-failed", "facts.yaml:3:1: bad"),
        ("Aiko (via /kb reload)", "reload", "added: launch-year"),
    ]
    assert [e.action for e in storage.audit_entries(days=2)] == ["reload-failed"]
    assert entries[0].when.tzinfo is not None


def test_retention_deletes_old_questions_and_votes_but_not_counts_or_audit(make_storage) -> None:
    storage = make_storage(retention_days=30)
    now = time.time()
    storage.record_reply(_decline("old question"), 1, USER, when=now - 40 * DAY)
    storage.record_reply(_decline("new question"), 1, USER, when=now - 1 * DAY)
    storage.record_vote(1, "launch-year", USER, up=True, when=now - 40 * DAY)
    storage.record_vote(2, "launch-year", USER, up=True, when=now - 1 * DAY)
    storage.record_audit("mod", "reload", when=now - 400 * DAY)
    storage.purge(now)
    assert storage.flush(5)
    assert [r.question for r in storage.misses(days=None)] == ["new question"]
    stats = storage.stats()
    assert stats.declined == 2  # the daily counters have no personal data and stay
    assert {s.fact_id: s.votes_up for s in stats.facts}["launch-year"] == 1
    assert len(storage.audit_entries()) == 1


def test_reading_a_database_that_does_not_exist_says_so(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "none.sqlite3")
    with pytest.raises(StorageError, match="no database at"):
        storage.miss_groups()
    assert not (tmp_path / "none.sqlite3").exists()


def test_async_api_from_an_event_loop(make_storage) -> None:
    storage = make_storage()

    async def scenario() -> tuple[bool, list[object], object]:
        storage.record_reply(_decline("dentists?"), 1, USER)  # only queues: safe on the loop
        storage.record_audit("mod", "add-question")
        flushed = await storage.flush_async(5)
        groups = await storage.miss_groups_async(days=1)
        stats = await storage.stats_async()
        return flushed, groups, stats

    flushed, groups, stats = asyncio.run(scenario())
    assert flushed and [g.question for g in groups] == ["dentists?"]
    assert stats.declined == 1


# ---- faults: nothing accepted is lost ----------------------------------------------------


def test_locked_database_keeps_writes_logs_once_and_saves_them_when_released(make_storage, caplog) -> None:
    storage = make_storage()
    storage.record_audit("mod", "first")
    assert storage.flush(5)
    blocker = sqlite3.connect(storage.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    caplog.set_level(logging.WARNING, logger="bot.storage")
    try:
        for i in range(5):
            assert storage.record_reply(_decline(f"question {i}"), 1, USER) is True
        for _ in range(3):  # each flush forces another attempt
            assert not storage.flush(0.3)
        assert storage.status.pending == 5
        assert "locked" in (storage.status.problem or "")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert storage.flush(5)
    assert [r.question for r in storage.misses(days=None)] == [f"question {i}" for i in range(5)]
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.storage"]
    assert sum("cannot write" in m for m in messages) == 1
    assert sum("accepts writes again" in m for m in messages) == 1
    assert storage.status.problem is None


def test_read_only_database_keeps_writes_until_it_is_writable_again(make_storage) -> None:
    first = make_storage()
    first.record_audit("mod", "before")
    assert first.flush(5)
    first.close()
    storage = make_storage(first.path)
    with read_only(first.path):
        storage.record_audit("mod", "while read-only")
        storage.record_vote(7, "launch-year", USER, up=True)
        assert not storage.flush(0.5)
        assert "read-only" in (storage.status.problem or "")
    assert storage.flush(5)
    assert [e.action for e in storage.audit_entries()] == ["while read-only", "before"]
    assert storage.vote_of(7, USER) == 1


def test_missing_folder_that_cannot_be_created_then_appears(make_storage, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database folder should be")
    storage = make_storage(blocker / "bot.sqlite3")
    assert storage.record_reply(_decline("while missing"), 1, USER)
    assert not storage.flush(0.3)
    assert storage.status.problem
    blocker.unlink()
    assert storage.flush(5)
    assert [r.question for r in storage.misses(days=None)] == ["while missing"]


def test_database_deleted_while_running_is_recreated_for_new_writes(make_storage) -> None:
    storage = make_storage()
    storage.record_audit("mod", "before delete")
    assert storage.flush(5)
    for suffix in ("", "-wal", "-shm"):
        Path(str(storage.path) + suffix).unlink(missing_ok=True)
    storage.record_audit("mod", "after delete")
    assert storage.flush(5)
    assert [e.action for e in storage.audit_entries()] == ["after delete"]


def test_close_reports_writes_it_could_not_save(make_storage, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    storage = make_storage(blocker / "bot.sqlite3")
    storage.record_audit("mod", "never saved")
    caplog.set_level(logging.ERROR, logger="bot.storage")
    assert storage.close(timeout=0.3) == 1
    assert any("could not be saved" in r.getMessage() for r in caplog.records)
    assert storage.record_audit("mod", "after close") is False


def test_a_full_queue_refuses_instead_of_growing_without_bound(make_storage, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    storage = make_storage(blocker / "bot.sqlite3", max_pending=3, retention_days=0)
    accepted = [storage.record_audit("mod", f"a{i}") for i in range(5)]
    assert accepted == [True, True, True, False, False]
    assert storage.status.refused == 2
    blocker.unlink()
    assert storage.flush(5)
    assert sorted(e.action for e in storage.audit_entries()) == ["a0", "a1", "a2"]


def test_a_write_that_cannot_be_stored_is_dropped_alone_and_the_rest_are_saved(make_storage, caplog) -> None:
    storage = make_storage()
    caplog.set_level(logging.ERROR, logger="bot.storage")
    storage.record_audit("mod", "before")
    storage.record_audit("mod", "broken", "a lone surrogate \ud800 cannot be encoded")
    storage.record_audit("mod", "after")
    assert storage.flush(5)
    assert [e.action for e in storage.audit_entries()] == ["after", "before"]
    assert sum("dropped one audit entry" in r.getMessage() for r in caplog.records) == 1


def test_a_question_with_a_lone_surrogate_is_kept_with_it_replaced(make_storage) -> None:
    storage = make_storage()
    assert storage.record_reply(_decline("how much \ud800 does it cost"), 12, OTHER)
    assert storage.flush(5)
    (row,) = storage.misses(days=None)
    assert row.question == "how much ? does it cost"
