"""The database schema: numbered migrations, applied in order, all or none."""

from __future__ import annotations

import sqlite3

from bot.storage.records import SchemaTooNew

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
