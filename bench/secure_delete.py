"""What "deleted means gone" costs: 20,000 inserts of inbox-sized rows, then 10,000 deletes.

Every other row is deleted, as when one person's questions go from among everyone's: the
deleted text then sits in pages that stay in use, not only in pages that become free.

Compares SQLite with secure_delete off (the old default), secure_delete on (what the bot's
writer uses), and incremental vacuum (auto_vacuum=INCREMENTAL, `PRAGMA incremental_vacuum`
after the deletes), each in WAL mode with synchronous=FULL like the writer, in transactions of
100 rows. Reports the seconds for each phase, the file size, and whether a deleted text can
still be found in the file's bytes.

    python bench/secure_delete.py [--rows 10000] [--batch 100] [--dir FOLDER]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from bot.storage.schema import migrate

MARK = "needle-{i:05d}-"


def _run(folder: Path, mode: str, rows: int, batch: int) -> dict[str, object]:
    path = folder / f"{mode}.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    if mode == "incremental-vacuum":
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # must precede the first table
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"PRAGMA secure_delete = {'ON' if mode == 'secure-delete' else 'OFF'}")
    migrate(conn)
    text = "how much does the card cost at a dentist in the countryside " * 3
    start = time.perf_counter()
    for first in range(0, 2 * rows, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO misses (id, asked_at, question, normalised, lang, kind, asker) VALUES (?, ?, ?, ?, 'en', 'decline', ?)",
            [(i, time.time(), MARK.format(i=i) + text, text, f"{i % 50:032x}") for i in range(first, min(2 * rows, first + batch))],
        )
        conn.execute("COMMIT")
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    for first in range(0, 2 * rows, 2 * batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM misses WHERE id >= ? AND id < ? AND id % 2 = 1", (first, first + 2 * batch))
        conn.execute("COMMIT")
    if mode == "incremental-vacuum":
        conn.executescript("PRAGMA incremental_vacuum;")  # run to the end: execute() would free one page
    deleted = time.perf_counter() - start
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = path.read_bytes()
    step = 2 * max(1, rows // 100)
    sample = range(1, 2 * rows, step)  # odd ids: deleted rows
    left = sum(MARK.format(i=i).encode() in raw for i in sample)
    kept = all(MARK.format(i=i).encode() in raw for i in range(0, 2 * rows, step))  # even ids: kept rows
    return {"mode": mode, "insert_s": inserted, "delete_s": deleted, "bytes": len(raw), "texts_left": left, "sampled": len(sample), "kept_found": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None, help="where the test files go (default: the system's temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for mode in ("plain", "secure-delete", "incremental-vacuum"):
            r = _run(Path(tmp), mode, args.rows, args.batch)
            print(
                f"{r['mode']:<20} insert {r['insert_s']:.3f}s  delete {r['delete_s']:.3f}s  "
                f"file {r['bytes']:>10,} bytes  deleted texts still in the file: {r['texts_left']}/{r['sampled']}"
                + ("" if r["kept_found"] else "  (a kept text is missing: the check is broken)")
            )


if __name__ == "__main__":
    main()
