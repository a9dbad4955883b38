"""python -m bot forget USER_ID: a moderator deletes what the bot keeps about a person who asked
by other means (a message, an e-mail). The same deletion and audit entry as /privacy delete.

Thin: parse, call `bot.storage`, print the counts.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, error, say, warn

CLI_ACTOR = "moderator (python -m bot forget)"  # the audit entry's actor
FORGET_WAIT = 30.0  # seconds to wait for a busy database before giving up (nothing is deleted then)
FORGET_RETRY = 0.5  # seconds between attempts while it is busy: a person is waiting at the terminal
MAX_USER_ID_DIGITS = 20  # Discord ids are 64-bit numbers


def user_id(text: str) -> int:
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_USER_ID_DIGITS:
        raise argparse.ArgumentTypeError(f"expected a Discord user id (digits only, e.g. 123456789012345678), found {text!r}")
    return int(digits)


def forget(args: argparse.Namespace) -> int:
    # the command says in one line what happened; the writer's own log lines (a locked
    # database, a write given up at the end) would only repeat it on standard error
    storage_log = logging.getLogger("bot.storage")
    level = storage_log.level
    storage_log.setLevel(logging.CRITICAL)
    try:
        return _forget(args)
    finally:
        storage_log.setLevel(level)


def _forget(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config
    from bot.storage import Storage, StorageError, personal_data, request_deletion

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    storage = Storage.from_settings(config.storage, retry_seconds=FORGET_RETRY)
    if not storage.path.exists():  # writing the deletion would create an empty database
        error(f"no database at {storage.path}: the bot has recorded nothing there, so there is nothing to delete")
        return EXIT_PROBLEMS
    try:
        kept = personal_data(storage, args.user_id, shown=10**9)
    except StorageError as exc:
        error(str(exc))
        return EXIT_PROBLEMS
    if args.dry_run:
        say(f"Would delete {kept.questions} unanswered question(s) and {kept.votes} vote(s) of user {args.user_id} (nothing deleted: --dry-run).")
        for q in kept.newest:
            say(f"  {datetime.fromtimestamp(q.asked_at, UTC).strftime('%Y-%m-%d %H:%M UTC')}  {' '.join(q.question.split())}")
        return EXIT_OK
    pending = request_deletion(storage, args.user_id, CLI_ACTOR)
    result = pending.wait(FORGET_WAIT) if pending is not None else None
    storage.close(timeout=1.0)  # a deletion still queued now is given up: the database did not take it
    if pending is None or not pending.settled:
        error(f"{storage.path} did not accept the deletion within {FORGET_WAIT:g}s ({storage.status.problem or 'busy'}); nothing was deleted, try again")
        return EXIT_PROBLEMS
    if result is None:
        error(f"the database refused the deletion ({pending.refused}); nothing was deleted")
        return EXIT_PROBLEMS
    if result.nothing:
        say(f"Nothing to delete: no unanswered questions or votes are kept for user {args.user_id}. Recorded in the audit log.")
    else:
        say(
            f"Deleted {result.questions} unanswered question(s) and {result.votes} vote(s) of user {args.user_id}. "
            f"Recorded in the audit log under the salted hash {result.person}, not the user id; the daily counters stay."
        )
    if not result.log_cleared:
        warn("note: a reader had the database open, so the write-ahead log was not emptied; the deleted text leaves it at the next checkpoint")
    return EXIT_OK
