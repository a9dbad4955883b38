"""SQLite storage for the moderator loop: unanswered questions, votes, counters, audit log.

- `schema`: the numbered migrations that build and upgrade the database;
- `writer`: the queue and writer thread behind `record_*`, which never block or fail the
  caller and keep every accepted write through a locked, missing or read-only database;
- `queries`: `Storage`, the writer plus the reads (inbox, statistics, audit log);
- `grouping`: near-identical unanswered questions grouped for the inbox;
- `records`: the plain rows the reads return;
- `privacy`: what is kept about one person, and deleting it on their request.

Privacy: no user ids or names are stored, only salted hashes (see `writer`). No discord
here, and nothing from the answer layer is called: the Discord layer passes plain ids and
display strings, and a Reply carries the fact that came closest.
"""

from bot.storage.grouping import GROUP_SIMILARITY, group_misses
from bot.storage.privacy import Deletion, KeptQuestion, PendingDeletion, PersonalData, personal_data, personal_data_async, request_deletion
from bot.storage.queries import Storage
from bot.storage.records import AuditEntry, FactStats, MissGroup, MissRow, SchemaTooNew, Stats, StorageError, StorageStatus
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from bot.storage.writer import MAX_AUDIT_DETAILS, MAX_STORED_QUESTION

__all__ = [
    "GROUP_SIMILARITY",
    "MAX_AUDIT_DETAILS",
    "MAX_STORED_QUESTION",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditEntry",
    "Deletion",
    "FactStats",
    "KeptQuestion",
    "MissGroup",
    "MissRow",
    "PendingDeletion",
    "PersonalData",
    "SchemaTooNew",
    "Stats",
    "Storage",
    "StorageError",
    "StorageStatus",
    "group_misses",
    "migrate",
    "personal_data",
    "personal_data_async",
    "request_deletion",
    "schema_version",
]
