#!/usr/bin/python3
"""Times Python `books.usage.record_batch` on SQLite against a pure-Python sqlite3 version of the same dedup and
aggregates, on the same events, in the same run (issue 10: ours >= 3x the baseline).

Usage: PYTHONPATH=build/python bench/usage_vs_sqlite3.py [--events 100000] [--batch 1000]

Workload: --events usage events of one SUM meter from 1,000 users (user i * 7919 mod 1,000), one a second,
quantities (i mod 997) / 100 as decimal text, in batches of --batch, one transaction per batch; each batch
also re-sends the last 10 events of the one before it (retries), which must count once. Every file is in WAL
with synchronous=NORMAL.

Rows (each on its own new file in a temporary directory):
  ours: record_batch (events built in the timed loop)
                 per batch, build the UsageEvent list in Python and call record_batch; both are timed.
  ours: record_batch (call only)
                 the lists are built before the clock starts; only record_batch is timed.
  baseline: pure-Python sqlite3
                 what a user writes by hand for the same guarantees: per event, INSERT OR IGNORE the raw row
                 (the id is its key, so a retry is ignored), then for the subject and for every subject
                 together, and for all time, the event's hour, day and month: SELECT the aggregate, fold the
                 event in with decimal.Decimal (count, sum, min, max, latest) and UPSERT it; then UPDATE the
                 meter's totals (subjects, events, total). BEGIN IMMEDIATE .. COMMIT per batch. The ratio
                 column is against this row.
At the end every user's all-time sum, and the meter's events and subjects, must agree between the baseline's
tables and books.usage on every file. Rates are wall clock (time.perf_counter).
"""
import argparse
import datetime
import decimal
import os
import sqlite3
import sys
import tempfile
import time

import billing
from billing import Aggregation, RecordResult, UsageEvent

USERS = 1000
RETRIES = 10
GOAL = 3.0  # ours events/s / the baseline's events/s
START = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
START_S = int(START.timestamp())

SCHEMA = """
CREATE TABLE events (id TEXT PRIMARY KEY, meter TEXT NOT NULL, subject TEXT NOT NULL, at INTEGER NOT NULL,
                     quantity TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX events_by_subject ON events (meter, subject, at);
CREATE TABLE aggregates (meter TEXT NOT NULL, subject TEXT NOT NULL, period INTEGER NOT NULL, bucket INTEGER NOT NULL,
                         count INTEGER NOT NULL, sum TEXT NOT NULL, min TEXT NOT NULL, max TEXT NOT NULL,
                         latest TEXT NOT NULL, latest_at INTEGER NOT NULL, latest_id TEXT NOT NULL,
                         PRIMARY KEY (meter, subject, period, bucket)) WITHOUT ROWID;
CREATE TABLE totals (meter TEXT PRIMARY KEY, subjects INTEGER NOT NULL, events INTEGER NOT NULL, total TEXT NOT NULL);
INSERT INTO totals VALUES ('requests', 0, 0, '0');
"""


def workload(count, batch):
    """Batches of (id, subject, at in seconds, quantity text); each batch after the first starts with the last
    RETRIES events of the one before, re-sent."""
    rows = [(f"evt-{i:012}", f"user-{(i * 7919) % USERS:04}", START_S + i, f"{i % 997 / 100:.2f}")
            for i in range(count)]
    batches = []
    for first in range(0, count, batch):
        retried = rows[max(0, first - RETRIES):first]
        batches.append(retried + rows[first:first + batch])
    return batches


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


# ---------------------------------------------------------------------------------------------- ours
def open_books(path):
    books = billing.open(path, durability=billing.Durability.NORMAL,
                         clock=billing.ManualClock(START + datetime.timedelta(days=2)))
    books.usage.define_meter("requests", Aggregation.SUM)
    books.usage.configure(lateness=datetime.timedelta(days=366))
    return books


def build_events(batch):
    """What a Python caller writes to turn a batch into UsageEvents."""
    return [UsageEvent("requests", subject, quantity, id=id_, at=START + datetime.timedelta(seconds=at - START_S))
            for id_, subject, at, quantity in batch]


def check(results, batch_index):
    expected_duplicates = RETRIES if batch_index > 0 else 0
    duplicates = sum(1 for result in results if result is RecordResult.DUPLICATE)
    if duplicates != expected_duplicates or any(r not in (RecordResult.OK, RecordResult.DUPLICATE) for r in results):
        raise SystemExit(f"batch {batch_index}: {duplicates} duplicates, expected {expected_duplicates}")


def ours_building(path, batches):
    books = open_books(path)
    outcomes = []
    start = time.perf_counter()
    for batch in batches:
        outcomes.append(books.usage.record_batch(build_events(batch)))
    seconds = time.perf_counter() - start
    for i, results in enumerate(outcomes):
        check(results, i)
    return seconds, books


def ours_call_only(path, batches):
    books = open_books(path)
    built = [build_events(batch) for batch in batches]
    outcomes = []
    start = time.perf_counter()
    for events in built:
        outcomes.append(books.usage.record_batch(events))
    seconds = time.perf_counter() - start
    for i, results in enumerate(outcomes):
        check(results, i)
    return seconds, books


def ours_sums(books):
    stats = books.usage.stats("requests")
    sums = {f"user-{u:04}": books.usage.total("requests", f"user-{u:04}") for u in range(USERS)}
    return sums, stats.events, stats.subjects


# ---------------------------------------------------------------------------------------------- baseline
def buckets(at):
    """(period, bucket start) of all time, the hour, the day and the calendar month that hold `at` (seconds)."""
    day = at - at % 86400
    when = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
    month = int(datetime.datetime(when.year, when.month, 1, tzinfo=datetime.timezone.utc).timestamp())
    return ((0, 0), (1, at - at % 3600), (2, day), (3, month))


def baseline(path, batches):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    insert = "INSERT OR IGNORE INTO events (id, meter, subject, at, quantity) VALUES (?, 'requests', ?, ?, ?)"
    select = ("SELECT count, sum, min, max, latest, latest_at, latest_id FROM aggregates "
              "WHERE meter = 'requests' AND subject = ? AND period = ? AND bucket = ?")
    upsert = ("INSERT INTO aggregates VALUES ('requests', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
              "count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max, "
              "latest = excluded.latest, latest_at = excluded.latest_at, latest_id = excluded.latest_id")
    start = time.perf_counter()
    for batch in batches:
        db.execute("BEGIN IMMEDIATE")
        subjects, events, total = db.execute(
            "SELECT subjects, events, total FROM totals WHERE meter = 'requests'").fetchone()
        total = decimal.Decimal(total)
        for id_, subject, at, quantity in batch:
            if db.execute(insert, (id_, subject, at, quantity)).rowcount == 0:
                continue  # a retry: counted before
            value = decimal.Decimal(quantity)
            events += 1
            total += value
            for who in (subject, ""):
                for period, bucket in buckets(at):
                    row = db.execute(select, (who, period, bucket)).fetchone()
                    if row is None:
                        if who and period == 0:
                            subjects += 1
                        folded = (1, value, value, value, value, at, id_)
                    else:
                        count, sum_, low, high, latest, latest_at, latest_id = row
                        later = (at, id_) > (latest_at, latest_id)
                        folded = (count + 1, decimal.Decimal(sum_) + value, min(decimal.Decimal(low), value),
                                  max(decimal.Decimal(high), value), value if later else decimal.Decimal(latest),
                                  at if later else latest_at, id_ if later else latest_id)
                    db.execute(upsert, (who, period, bucket, folded[0], str(folded[1]), str(folded[2]),
                                        str(folded[3]), str(folded[4]), folded[5], folded[6]))
        db.execute("UPDATE totals SET subjects = ?, events = ?, total = ? WHERE meter = 'requests'",
                   (subjects, events, str(total)))
        db.execute("COMMIT")
    return time.perf_counter() - start, db


def baseline_sums(db):
    sums = {f"user-{u:04}": decimal.Decimal(0) for u in range(USERS)}
    for subject, sum_ in db.execute("SELECT subject, sum FROM aggregates WHERE period = 0 AND subject <> ''"):
        sums[subject] = decimal.Decimal(sum_)
    subjects, events = db.execute("SELECT subjects, events FROM totals").fetchone()
    return sums, events, subjects


def agree(what, reference, got):
    if reference != got:
        raise SystemExit(f"{what} disagrees with the baseline")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if args.events < 1 or not 1 <= args.batch <= 10_000 - RETRIES:
        parser.error("--events must be positive and --batch 1 to 9,990")
    batches = workload(args.events, args.batch)

    scratch = tempfile.mkdtemp(prefix="billing-usage-vs-sqlite3-", dir="/tmp")
    paths = {name: os.path.join(scratch, name + ".db") for name in ("baseline", "ours_build", "ours_call")}
    try:
        base_s, db = baseline(paths["baseline"], batches)
        reference = baseline_sums(db)
        db.close()
        build_s, books = ours_building(paths["ours_build"], batches)
        agree("ours (events built in the timed loop)", reference, ours_sums(books))
        del books
        call_s, books = ours_call_only(paths["ours_call"], batches)
        agree("ours (call only)", reference, ours_sums(books))
        del books
    finally:
        for path in paths.values():
            remove_db(path)
        os.rmdir(scratch)

    n = args.events
    base_rate = n / base_s
    rows = [
        ("ours: record_batch (events built in the timed loop)", build_s, GOAL),
        ("ours: record_batch (call only)", call_s, GOAL),
        ("baseline: pure-Python sqlite3", base_s, None),
    ]
    print(f"{n:,} events from {USERS:,} users, batches of {args.batch:,} plus {RETRIES} retried, WAL, "
          f"synchronous=NORMAL; every user's sum, the events and the subjects agree")
    print(f"{'row':<54} {'events/s':>12} {'ratio':>7}  goal")
    for name, seconds, goal in rows:
        rate = n / seconds
        ratio = rate / base_rate
        verdict = f">= {goal}  {'met' if ratio >= goal else 'NOT met'}" if goal else ""
        print(f"{name:<54} {rate:12,.0f} {ratio:7.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
