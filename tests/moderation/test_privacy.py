"""What the storage keeps about one person and deleting it: listed for them only, exactly their
rows deleted in one transaction, through a locked database, audited by hash, and gone from the
file's bytes."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli import privacy as cli_privacy
from bot.cli.privacy import CLI_ACTOR
from bot.storage import personal_data, request_deletion
from bot.storage.privacy import FORGET_ACTION, person_hash
from tests.moderation.test_storage import DAY, OTHER, USER, _answer, _decline, _rows, _suggest

SECRET = "zebra-marmalade-7781 my doctor at Kōsei clinic"  # a text found nowhere else in the file


def _fill(storage) -> None:
    now = time.time()
    for i in range(12):
        storage.record_reply(_decline(f"user question {i}"), 1, USER, when=now - (12 - i) * 60)
    storage.record_reply(_suggest("other person's question", "launch-year"), 1, OTHER, when=now)
    storage.record_reply(_answer("an answered one", "launch-year"), 1, USER, when=now)
    storage.record_vote(501, "launch-year", USER, up=True)
    storage.record_vote(502, "launch-year", USER, up=False)
    storage.record_vote(501, "launch-year", OTHER, up=False)
    assert storage.flush(5)


def test_a_person_sees_their_own_questions_and_votes_and_nobody_elses(make_storage) -> None:
    storage = make_storage(retention_days=30)
    _fill(storage)
    mine = personal_data(storage, USER)
    assert (mine.questions, mine.votes, mine.retention_days) == (12, 2, 30)
    # the newest ten, newest first; the answered question is not kept at all
    assert [q.question for q in mine.newest] == [f"user question {i}" for i in range(11, 1, -1)]
    theirs = personal_data(storage, OTHER)
    assert (theirs.questions, theirs.votes) == (1, 1)
    assert [q.question for q in theirs.newest] == ["other person's question"]
    nobody = personal_data(storage, 42)
    assert nobody.empty and nobody.newest == ()


def test_without_a_database_nothing_is_kept(tmp_path: Path, make_storage) -> None:
    storage = make_storage(tmp_path / "nowhere" / "bot.sqlite3")
    assert personal_data(storage, USER).empty
    assert not storage.path.exists()  # reading did not create it


def test_deletion_removes_exactly_theirs_keeps_counters_and_is_audited_by_hash(make_storage) -> None:
    storage = make_storage()
    _fill(storage)
    stats_before = storage.stats()
    pending = request_deletion(storage, USER, "member (via /privacy delete)")
    assert pending is not None
    done = pending.wait(5)
    assert done is not None and (done.questions, done.votes) == (12, 2) and done.log_cleared
    assert done.person == person_hash(storage, USER) and str(USER) not in done.person
    assert personal_data(storage, USER).empty
    assert [r.question for r in storage.misses(days=None)] == ["other person's question"]
    assert _rows(storage.path, "SELECT answer_id, value FROM votes") == [("501", -1)]
    stats_after = storage.stats()
    assert (stats_after.questions, stats_after.declined, stats_after.suggested) == (stats_before.questions, 12, 1)
    assert {s.fact_id: s.asked for s in stats_after.facts} == {s.fact_id: s.asked for s in stats_before.facts}
    (entry,) = storage.audit_entries()
    assert (entry.actor, entry.action) == ("member (via /privacy delete)", FORGET_ACTION)
    assert entry.details == f"person {done.person}: 12 unanswered question(s) and 2 vote(s) deleted"
    assert str(USER) not in entry.details + entry.actor


def test_a_second_deletion_deletes_nothing_and_says_so(make_storage) -> None:
    storage = make_storage()
    _fill(storage)
    first = request_deletion(storage, OTHER, "cli").wait(5)
    second = request_deletion(storage, OTHER, "cli").wait(5)
    assert first is not None and not first.nothing
    assert second is not None and second.nothing and second.person == first.person
    assert personal_data(storage, USER).questions == 12  # the other person's rows are untouched
    assert [e.details.split(": ")[1] for e in storage.audit_entries()] == [
        "0 unanswered question(s) and 0 vote(s) deleted",
        "1 unanswered question(s) and 1 vote(s) deleted",
    ]


def test_deletion_of_someone_never_seen_leaves_rows_of_unknown_askers(make_storage) -> None:
    storage = make_storage()
    storage.record_reply(_decline("asked from the command line"), None, None)  # asker unknown: ""
    done = request_deletion(storage, 42, "cli").wait(5)
    assert done is not None and done.nothing
    assert [r.question for r in storage.misses(days=None)] == ["asked from the command line"]


def test_a_deletion_waits_through_a_locked_database_and_reports_when_done(make_storage) -> None:
    storage = make_storage()
    _fill(storage)
    blocker = sqlite3.connect(storage.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        storage.record_reply(_decline("asked while locked"), 1, USER)  # queued before the request: deleted too
        pending = request_deletion(storage, USER, "cli")
        assert pending is not None
        assert pending.wait(0.5) is None and not pending.settled
        assert "locked" in (storage.status.problem or "")
        assert storage.status.pending == 2
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    done = pending.wait(5)
    assert done is not None and (done.questions, done.votes) == (13, 2)
    assert personal_data(storage, USER).empty
    assert len(storage.audit_entries()) == 1


def test_deletion_is_one_transaction_with_its_audit_entry(make_storage) -> None:
    storage = make_storage()
    _fill(storage)
    conn = sqlite3.connect(storage.path)
    conn.execute("DROP TABLE audit")  # the audit entry cannot be written: nothing may be deleted
    conn.commit()
    conn.close()
    pending = request_deletion(storage, USER, "cli")
    assert pending is not None
    assert pending.wait(1.0) is None
    assert _rows(storage.path, "SELECT COUNT(*) FROM misses WHERE asker != ''") == [(13,)]
    assert _rows(storage.path, "SELECT COUNT(*) FROM votes") == [(3,)]


def test_the_deleted_text_is_gone_from_the_database_and_its_log(make_storage) -> None:
    storage = make_storage()
    storage.record_reply(_decline(f"{SECRET} first"), 1, USER)
    storage.record_reply(_decline("kept question of someone else"), 1, OTHER)
    assert storage.flush(5)
    conn = sqlite3.connect(storage.path)
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # the text in the main file too, not only in the log
    conn.close()
    storage.record_reply(_decline(f"{SECRET} second"), 1, USER, when=time.time() + DAY)  # this one only in the log
    assert storage.flush(5)
    files = [storage.path, storage.path.with_name(storage.path.name + "-wal")]
    assert SECRET.encode() in b"".join(f.read_bytes() for f in files if f.exists())  # the check can fail
    done = request_deletion(storage, USER, "cli").wait(5)
    assert done is not None and done.questions == 2 and done.log_cleared
    storage.close()
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert SECRET.encode() not in raw and b"zebra-marmalade" not in raw
    assert b"kept question of someone else" in raw


# ---- python -m bot forget ------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path, kb_dir: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"knowledge:\n  path: {kb_dir}\nstorage:\n  path: data/bot.sqlite3\n", encoding="utf-8")
    return path


def test_forget_dry_run_lists_and_deletes_nothing_then_forget_deletes_and_is_idempotent(config: Path, make_storage, capsys) -> None:
    storage = make_storage(config.parent / "data" / "bot.sqlite3")
    _fill(storage)
    storage.close()
    assert main(["forget", str(USER), "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Would delete 12 unanswered question(s) and 2 vote(s) of user {USER} (nothing deleted: --dry-run)."
    assert [line.split("UTC  ")[1] for line in out[1:]] == [f"user question {i}" for i in range(11, -1, -1)]
    assert personal_data(storage, USER).questions == 12 and storage.audit_entries() == []

    assert main(["forget", str(USER), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    person = person_hash(storage, USER)
    assert out.startswith(f"Deleted 12 unanswered question(s) and 2 vote(s) of user {USER}.") and person in out
    assert personal_data(storage, USER).empty and personal_data(storage, OTHER).questions == 1
    (entry,) = storage.audit_entries()
    assert entry.actor == CLI_ACTOR and entry.details.startswith(f"person {person}: 12") and str(USER) not in entry.details

    assert main(["forget", str(USER), "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("Nothing to delete:")
    assert len(storage.audit_entries()) == 2


def test_forget_refuses_bad_input_with_one_line(config: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["forget", "alice#1234", "--config", str(config)])
    assert exit_info.value.code == 2
    assert "expected a Discord user id" in capsys.readouterr().err
    assert main(["forget", str(USER), "--config", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["forget", str(USER), "--config", str(config)]) == 1  # no database yet
    err = capsys.readouterr().err
    assert err.startswith("error: no database at ") and err.count("\n") == 1
    assert not (config.parent / "data" / "bot.sqlite3").exists()  # and none was created


def test_forget_waits_for_a_locked_database(config: Path, make_storage, capsys) -> None:
    storage = make_storage(config.parent / "data" / "bot.sqlite3")
    _fill(storage)
    blocker = sqlite3.connect(storage.path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # released by another thread while the command waits
    release = threading.Timer(1.5, lambda: (blocker.execute("ROLLBACK"), blocker.close()))
    release.start()
    started = time.monotonic()
    try:
        assert main(["forget", str(USER), "--config", str(config)]) == 0
    finally:
        release.join()
    assert time.monotonic() - started >= 1.4
    assert capsys.readouterr().out.startswith("Deleted 12 unanswered question(s) and 2 vote(s)")
    assert personal_data(storage, USER).empty


def test_forget_gives_up_on_a_database_locked_for_too_long_and_deletes_nothing(config: Path, make_storage, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli_privacy, "FORGET_WAIT", 0.5)
    storage = make_storage(config.parent / "data" / "bot.sqlite3")
    _fill(storage)
    blocker = sqlite3.connect(storage.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        assert main(["forget", str(USER), "--config", str(config)]) == 1
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nothing was deleted" in err and err.count("\n") == 1
    assert personal_data(storage, USER).questions == 12 and storage.audit_entries() == []
