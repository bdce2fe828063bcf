#!/usr/bin/python3
"""Times Python `books.ledger.post_batch` on SQLite against a pure-Python sqlite3 ledger of the same tables,
on the same transfers, in the same run (goal P6 of issue 7: ours >= 3x the per-row baseline).

Usage: PYTHONPATH=build/python bench/python_vs_sqlite3.py [--transfers 100000] [--batch 1000]

Workload: 1,000 USD accounts acct-0000..acct-0999 and --transfers two-leg transfers drawn from
random.Random(42) (a debit account, a different credit account, 1..100000 minor units), posted in
batches of --batch, one transaction per batch, every file in WAL with synchronous=NORMAL.

Rows (each on its own new file in a temporary directory):
  ours: post_batch (requests built in the timed loop)
                 per batch, build the EntryRequest list in Python and call post_batch; both are timed.
  ours: post_batch (call only)
                 per batch, the list is built before the clock starts; only post_batch is timed. The
                 building is timed on its own too, and reported as a share of the row above.
  baseline: pure-Python sqlite3, execute per row
                 what a user writes by hand: per transfer, INSERT the entry, INSERT two postings and
                 UPDATE both accounts' running totals, one execute each, BEGIN IMMEDIATE .. COMMIT per
                 batch. The ratio column is against this row.
  baseline: pure-Python sqlite3, executemany
                 the same rows through executemany, and one UPDATE per touched account per batch (no goal).
Account creation is not timed. Outcomes are checked after the clock stops (any failure aborts), and at
the end every account's net balance (debits - credits, minor units) must agree between the baseline's
tables and books.ledger.balance(id).totals on every file. Rates are wall clock (time.perf_counter).
"""
import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time

import billing
from billing import EntryRequest, Money, credit, debit

ACCOUNTS = 1000
SEED = 42
MAX_AMOUNT_MINOR = 100_000
GOAL = 3.0  # ours transfers/s / the execute-per-row baseline's transfers/s
USD = billing.Currency("USD")

SCHEMA = """
CREATE TABLE accounts (id TEXT PRIMARY KEY, debits INTEGER NOT NULL, credits INTEGER NOT NULL);
CREATE TABLE entries (id INTEGER PRIMARY KEY, description TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE postings (entry_id INTEGER NOT NULL, account_id TEXT NOT NULL, amount_minor INTEGER NOT NULL);
CREATE INDEX postings_account ON postings (account_id, entry_id);
"""


def account_ids():
    return [f"acct-{i:04}" for i in range(ACCOUNTS)]


def workload(count, batch):
    """Batches of (n, debit account, credit account, amount in minor units), n from 1."""
    rng = random.Random(SEED)
    rows = []
    for n in range(1, count + 1):
        d = rng.randrange(ACCOUNTS)
        c = (d + 1 + rng.randrange(ACCOUNTS - 1)) % ACCOUNTS
        rows.append((n, f"acct-{d:04}", f"acct-{c:04}", 1 + rng.randrange(MAX_AMOUNT_MINOR)))
    return [rows[i:i + batch] for i in range(0, count, batch)]


def build_requests(batch):
    """What a Python caller writes to turn a batch of transfers into EntryRequests."""
    requests = []
    for n, d, c, minor in batch:
        amount = Money.from_minor(minor, USD)
        requests.append(EntryRequest([debit(d, amount), credit(c, amount)], description=f"transfer {n}"))
    return requests


# ---------------------------------------------------------------------------------------------- ours
def open_books(path):
    books = billing.open(path, durability=billing.Durability.NORMAL)
    for account in account_ids():
        outcome = books.accounts.create("USD", account, id=account)
        if outcome.result != billing.AccountResult.OK:
            sys.exit(f"creating {account} failed: {outcome.result}")
    return books


def check_outcomes(outcomes, expected):
    if len(outcomes) != expected:
        sys.exit(f"post_batch returned {len(outcomes)} outcomes for {expected} requests")
    failures = [o.result for o in outcomes if o.result != billing.PostResult.OK]
    if failures:
        # An atomic batch marks every other request BATCH_FAILED; name the one that caused it.
        cause = next((r for r in failures if r != billing.PostResult.BATCH_FAILED), failures[0])
        sys.exit(f"post_batch: {len(failures)} of {expected} requests failed, cause {cause}")


def ours_building(path, batches):
    """Build each batch's requests and post them, both timed. (seconds, books)"""
    books = open_books(path)
    post_batch = books.ledger.post_batch
    elapsed = 0.0
    for batch in batches:
        start = time.perf_counter()
        outcomes = post_batch(build_requests(batch))
        elapsed += time.perf_counter() - start
        check_outcomes(outcomes, len(batch))
    return elapsed, books


def ours_call_only(path, batches):
    """Build each batch's requests (timed on its own), then time post_batch alone.
    (seconds in post_batch, seconds building, books)"""
    books = open_books(path)
    post_batch = books.ledger.post_batch
    elapsed = building = 0.0
    for batch in batches:
        start = time.perf_counter()
        requests = build_requests(batch)
        building += time.perf_counter() - start
        start = time.perf_counter()
        outcomes = post_batch(requests)
        elapsed += time.perf_counter() - start
        check_outcomes(outcomes, len(batch))
        del requests, outcomes
    return elapsed, building, books


def ours_balances(books):
    out = {}
    for account in account_ids():
        totals = books.ledger.balance(account).totals
        out[account] = totals.debits_posted - totals.credits_posted
    return out


# ---------------------------------------------------------------------------------------------- baseline
def open_sqlite(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO accounts VALUES (?, 0, 0)", ((a,) for a in account_ids()))
    db.execute("COMMIT")
    return db


def baseline_per_row(path, batches):
    """The straightforward loop: one execute per row and per account update. (seconds, connection)"""
    db = open_sqlite(path)
    elapsed = 0.0
    for batch in batches:
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        for n, d, c, minor in batch:
            entry = db.execute("INSERT INTO entries (description, created_at) VALUES (?, ?)",
                               (f"transfer {n}", time.time_ns())).lastrowid
            db.execute("INSERT INTO postings VALUES (?, ?, ?)", (entry, d, minor))
            db.execute("INSERT INTO postings VALUES (?, ?, ?)", (entry, c, -minor))
            db.execute("UPDATE accounts SET debits = debits + ? WHERE id = ?", (minor, d))
            db.execute("UPDATE accounts SET credits = credits + ? WHERE id = ?", (minor, c))
        db.execute("COMMIT")
        elapsed += time.perf_counter() - start
    return elapsed, db


def baseline_executemany(path, batches):
    """The same rows through executemany, and one UPDATE per touched account per batch."""
    db = open_sqlite(path)
    elapsed = 0.0
    for batch in batches:
        start = time.perf_counter()
        entries, postings, totals = [], [], {}
        for n, d, c, minor in batch:
            entries.append((n, f"transfer {n}", time.time_ns()))
            postings.append((n, d, minor))
            postings.append((n, c, -minor))
            td = totals.setdefault(d, [0, 0])
            td[0] += minor
            tc = totals.setdefault(c, [0, 0])
            tc[1] += minor
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO entries VALUES (?, ?, ?)", entries)
        db.executemany("INSERT INTO postings VALUES (?, ?, ?)", postings)
        db.executemany("UPDATE accounts SET debits = debits + ?, credits = credits + ? WHERE id = ?",
                       ((dr, cr, a) for a, (dr, cr) in totals.items()))
        db.execute("COMMIT")
        elapsed += time.perf_counter() - start
    return elapsed, db


def sqlite_balances(db):
    """Net per account from the running totals, checked against the sum of its postings."""
    out = dict(db.execute("SELECT id, debits - credits FROM accounts"))
    summed = dict(db.execute("SELECT account_id, sum(amount_minor) FROM postings GROUP BY account_id"))
    differ = [a for a in out if out[a] != summed.get(a, 0)]
    if differ:
        sys.exit(f"baseline: running totals disagree with the postings on {len(differ)} accounts, first {differ[0]}")
    return out


# ---------------------------------------------------------------------------------------------- main
def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def agree(name, reference, balances):
    differ = sorted(a for a in reference if reference[a] != balances.get(a))
    if differ or len(balances) != len(reference):
        a = differ[0] if differ else "(account count)"
        sys.exit(f"balances disagree: {name} differs from the execute-per-row baseline on {len(differ)} "
                 f"accounts, first {a}: {reference.get(a)} against {balances.get(a)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if args.transfers < 1 or args.batch < 1:
        parser.error("--transfers and --batch must be positive")
    batches = workload(args.transfers, args.batch)

    scratch = tempfile.mkdtemp(prefix="billing-vs-sqlite3-", dir="/tmp")
    paths = {name: os.path.join(scratch, name + ".db") for name in ("per_row", "many", "ours_build", "ours_call")}
    try:
        per_row_s, db = baseline_per_row(paths["per_row"], batches)
        reference = sqlite_balances(db)
        db.close()
        many_s, db = baseline_executemany(paths["many"], batches)
        agree("the executemany baseline", reference, sqlite_balances(db))
        db.close()
        build_s, books = ours_building(paths["ours_build"], batches)
        agree("ours (requests built in the timed loop)", reference, ours_balances(books))
        del books
        call_s, building_s, books = ours_call_only(paths["ours_call"], batches)
        agree("ours (call only)", reference, ours_balances(books))
        del books
    finally:
        for path in paths.values():
            remove_db(path)
        os.rmdir(scratch)

    n = args.transfers
    base_rate = n / per_row_s
    rows = [
        ("ours: post_batch (requests built in the timed loop)", build_s, GOAL),
        ("ours: post_batch (call only)", call_s, GOAL),
        ("baseline: pure-Python sqlite3, execute per row", per_row_s, None),
        ("baseline: pure-Python sqlite3, executemany", many_s, None),
    ]
    print(f"{n:,} transfers among {ACCOUNTS:,} accounts, batches of {args.batch:,}, WAL, synchronous=NORMAL; "
          f"balances agree on all {len(reference):,} accounts")
    print(f"{'row':<54} {'transfers/s':>12} {'ratio':>7}  goal")
    for name, seconds, goal in rows:
        rate = n / seconds
        ratio = rate / base_rate
        verdict = f">= {goal}  {'met' if ratio >= goal else 'NOT met'}" if goal else ""
        print(f"{name:<54} {rate:12,.0f} {ratio:7.2f}  {verdict}")
    per_batch_ms = building_s / len(batches) * 1e3
    print(f"building {args.batch:,} EntryRequests: {per_batch_ms:.2f} ms per batch = "
          f"{100 * building_s / build_s:.0f}% of the ours row (post_batch call alone: "
          f"{call_s / len(batches) * 1e3:.2f} ms per batch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
