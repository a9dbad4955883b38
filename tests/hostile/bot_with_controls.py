"""`python -m bot run` against a loopback stand-in, with a control line on stdin, and the
database's counts printed on stdout once the bot has exited.

    python tests/hostile/bot_with_controls.py API_BASE GATEWAY_URL CONFIG DATABASE

Commands on stdin, each acknowledged on stdout with "ok <command>":
    fill    write a filler file beside the database until the disk is full (ENOSPC)
    free    delete the filler

Run by tests/hostile/test_shutdown.py, inside a private mount namespace where the database's
folder is a small tmpfs, so "disk full" is the kernel's own error. The tmpfs disappears with
the process, which is why the counts are printed here rather than read by the test.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _fill(folder: Path) -> int:
    written = 0
    chunk = b"\0" * 4096
    with open(folder / "filler", "ab", buffering=0) as handle:
        try:
            while True:
                written += handle.write(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return written


def _controls(folder: Path) -> None:
    for line in sys.stdin:
        command = line.strip()
        if command == "fill":
            _say(f"ok fill {_fill(folder)}")
        elif command == "free":
            (folder / "filler").unlink(missing_ok=True)
            _say("ok free")


def _counts(database: Path) -> dict[str, int]:
    conn = sqlite3.connect(database)
    try:
        outcomes = dict(conn.execute("SELECT kind, SUM(count) FROM outcome_counts GROUP BY kind").fetchall())
        misses = conn.execute("SELECT COUNT(*) FROM misses").fetchone()[0]
    finally:
        conn.close()
    return {"answer": outcomes.get("answer", 0), "suggest": outcomes.get("suggest", 0), "decline": outcomes.get("decline", 0), "misses": misses}


def main() -> int:
    api_base, gateway_url, config, database = sys.argv[1:5]
    from tests.support.discord_standin import point_discord_at

    point_discord_at(api_base, gateway_url)
    threading.Thread(target=_controls, args=(Path(database).parent,), daemon=True).start()
    from bot.__main__ import main as bot_main

    code = bot_main(["run", "--config", config])
    _say("counts " + json.dumps(_counts(Path(database))))
    return code


if __name__ == "__main__":
    sys.exit(main())
