#!/usr/bin/python3
"""Measures what each piece of the SQLite ledger schema costs on the write path, by building variants of
it and inserting the same transfers into each (one transaction per 1,000 transfers, synchronous=NORMAL,
WAL), through sqlite3's executemany so that Python's cost is the same in every row. Prints postings/s
per variant and the ratio to two bare rows per transfer.

Usage: bench/schema_variants.py [transfers, default 100000]
"""
import os
import random
import sqlite3
import sys
import tempfile
import time

ACCOUNTS = 1000
BATCH = 1000

BARE = "CREATE TABLE postings (entry INTEGER NOT NULL, account_id TEXT NOT NULL, amount_minor INTEGER NOT NULL);"
JOURNAL = """
CREATE TABLE accounts (id TEXT PRIMARY KEY, d INTEGER NOT NULL, c INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE journal (sequence INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL {json},
  recorded_at INTEGER NOT NULL, hash BLOB NOT NULL, postings BLOB NOT NULL) STRICT;
{recorded_index}
"""
ACCOUNT_POSTINGS = """
CREATE TABLE account_postings (account_id TEXT NOT NULL {fk}, sequence INTEGER NOT NULL, leg INTEGER NOT NULL,
  side INTEGER NOT NULL, amount_minor INTEGER NOT NULL, dp INTEGER NOT NULL, cp INTEGER NOT NULL,
  dq INTEGER NOT NULL, cq INTEGER NOT NULL, PRIMARY KEY ({key})) STRICT, WITHOUT ROWID;
"""
# The adapter inserts each entry's postings right after it and its trigger asks for sequence = max; this
# script inserts a batch's entries first, so it asks for sequence <= max: the same lookup.
TRIGGERS = """
CREATE TRIGGER journal_append_only BEFORE INSERT ON journal BEGIN
  SELECT RAISE(ABORT, 'seq') WHERE NEW.sequence IS NOT (SELECT coalesce(max(sequence), 0) + 1 FROM journal);
  SELECT RAISE(ABORT, 'id') WHERE EXISTS (SELECT 1 FROM journal WHERE id = NEW.id);
END;
CREATE TRIGGER account_postings_append_only BEFORE INSERT ON account_postings BEGIN
  SELECT RAISE(ABORT, 'newest') WHERE NEW.sequence > (SELECT max(sequence) FROM journal);
  SELECT RAISE(ABORT, 'exists') WHERE EXISTS (SELECT 1 FROM account_postings
    WHERE account_id = NEW.account_id AND sequence = NEW.sequence AND leg = NEW.leg);
END;
"""


def transfers(count):
    rng = random.Random(42)
    for i in range(count):
        debit = rng.randrange(ACCOUNTS)
        credit = (debit + 1 + rng.randrange(ACCOUNTS - 1)) % ACCOUNTS
        yield i + 1, f"acct-{debit:04}", f"acct-{credit:04}", 1 + rng.randrange(100000)


def run(name, schema, count, pragmas="", with_index=True, key="account_id, sequence, leg"):
    fd, path = tempfile.mkstemp(suffix=".db")
    os.close(fd)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;" + pragmas + schema)
    bare = name == "bare: two plain rows per transfer"
    if not bare:
        db.executemany("INSERT INTO accounts VALUES (?, 0, 0)", [(f"acct-{i:04}",) for i in range(ACCOUNTS)])
    rows = list(transfers(count))
    blob = bytes(113)
    start = time.perf_counter()
    for first in range(0, count, BATCH):
        batch = rows[first:first + BATCH]
        db.execute("BEGIN IMMEDIATE")
        if bare:
            db.executemany("INSERT INTO postings VALUES (?, ?, ?)",
                           [p for s, d, c, a in batch for p in ((s, d, a), (s, c, -a))])
        else:
            db.executemany("INSERT INTO journal VALUES (?, ?, '{}', 0, zeroblob(32), ?)",
                           [(s, f"e-{s:012}", blob) for s, d, c, a in batch])
            if with_index:
                if "bucket" in key:
                    db.executemany("INSERT INTO account_postings VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0)",
                                   [p for s, d, c, a in batch for p in ((s // 1024, d, s, 0, 0, a), (s // 1024, c, s, 1, 1, a))])
                else:
                    db.executemany("INSERT INTO account_postings VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0)",
                                   [p for s, d, c, a in batch for p in ((d, s, 0, 0, a), (c, s, 1, 1, a))])
            touched = {d for s, d, c, a in batch} | {c for s, d, c, a in batch}
            db.executemany("UPDATE accounts SET d = d + 1 WHERE id = ?", [(t,) for t in touched])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return 2 * count / elapsed


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    base = JOURNAL.format(json="CHECK (json_valid(metadata))", recorded_index="CREATE INDEX jr ON journal(recorded_at);")
    index = ACCOUNT_POSTINGS.format(fk="REFERENCES accounts(id)", key="account_id, sequence, leg")
    variants = [
        ("bare: two plain rows per transfer", BARE, {}),
        ("journal row only (blob postings), no account index", base, {"with_index": False}),
        ("+ account_postings (account, sequence) written per posting, no triggers", base + index, {}),
        ("the same with the append-only triggers (the first version-3 layout)", base + index + TRIGGERS, {}),
        ("the same + cache_size 64 MiB", base + index + TRIGGERS, {"pragmas": "PRAGMA cache_size = -65536;"}),
        ("the same without the account FK", base + ACCOUNT_POSTINGS.format(fk="", key="account_id, sequence, leg") + TRIGGERS, {}),
        ("the index keyed (sequence / 1024, account, sequence): recent rows stay together",
         base.replace("", "") + ACCOUNT_POSTINGS.replace("account_id TEXT", "bucket INTEGER NOT NULL, account_id TEXT")
         .format(fk="", key="bucket, account_id, sequence, leg"), {"key": "bucket"}),
    ]
    bare = None
    print(f"{count} transfers over {ACCOUNTS} accounts, {BATCH} per transaction")
    for name, schema, options in variants:
        rate = run(name, schema, count, **options)
        bare = bare or rate
        print(f"{rate:12,.0f} postings/s  {rate / bare:5.3f} x bare   {name}", flush=True)


if __name__ == "__main__":
    main()
