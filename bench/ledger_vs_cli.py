#!/usr/bin/python3
"""Times bench/ledger_100k against ledger-cli on the same 100,000 transfers, as whole processes.

Usage: bench/ledger_vs_cli.py [build/bench/ledger_100k] [--ledger /usr/bin/ledger] [--runs 3]
                              [--durability full|normal]

ledger_100k posts 100 batches of 1,000 two-leg transfers among 1,000 accounts into a new SQLite file
and prints every balance. This script writes the same transfers as a ledger-cli journal (the same
splitmix64 stream, seed and draw order as ledger_100k.cpp), times `ledger -f journal bal` and
ledger_100k (best of --runs, wall clock around subprocess.run, output captured for both), checks that
every non-zero balance agrees, and prints ratio = ledger_100k time / ledger time (lower is better).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

ACCOUNTS = 1000
TRANSFERS = 100 * 1000
SEED = 2026
MAX_AMOUNT_MINOR = 100_000
MASK = (1 << 64) - 1
GOAL = 1.0  # ledger_100k time / ledger time


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def write_journal(path):
    """The transfers of ledger_100k: per transfer the debit account, the credit account, the amount."""
    random = splitmix64(SEED)
    lines = []
    for n in range(1, TRANSFERS + 1):
        debit = next(random) % ACCOUNTS
        credit = (debit + 1 + next(random) % (ACCOUNTS - 1)) % ACCOUNTS
        minor = 1 + next(random) % MAX_AMOUNT_MINOR
        amount = f"{minor // 100}.{minor % 100:02d}"
        lines.append(f"2026/11/22 * t{n:012d}\n    a{debit:04d}  {amount} USD\n    a{credit:04d}  -{amount} USD\n\n")
    with open(path, "w", encoding="ascii") as out:
        out.writelines(lines)


def best_of(runs, command, before=None):
    """The fastest wall-clock time of `runs` runs of `command`, and the output of the last one."""
    best, output = float("inf"), ""
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        output = done.stdout
    return best, output


def ledger_balances(text):
    """`ledger bal` lines such as "  -1,234.56 USD  a0001"; accounts at zero are not listed."""
    out = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\s*(-?[\d,]+(?:\.\d+)?) USD\s+(a\d{4})", line)
        if match:
            out[match.group(2)] = Decimal(match.group(1).replace(",", ""))
    return out


def our_balances(text):
    """ledger_100k lines "a0001 -1234.56", zeros dropped to compare with ledger."""
    out = {}
    for line in text.splitlines():
        account, amount = line.split()
        if Decimal(amount) != 0:
            out[account] = Decimal(amount)
    return out


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", nargs="?", default="build/bench/ledger_100k")
    parser.add_argument("--ledger", default="/usr/bin/ledger")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--durability", choices=("full", "normal"), default="full")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="billing-vs-ledger-", dir="/tmp") as scratch:
        journal = os.path.join(scratch, "transfers.journal")
        db = os.path.join(scratch, "books.db")
        write_journal(journal)
        ledger_s, ledger_out = best_of(args.runs, [args.ledger, "-f", journal, "bal"])
        ours_s, ours_out = best_of(
            args.runs, [args.binary, db, "--durability", args.durability], before=lambda: remove_db(db)
        )

    theirs, ours = ledger_balances(ledger_out), our_balances(ours_out)
    if not theirs or theirs != ours:
        differ = sorted(k for k in theirs.keys() | ours.keys() if theirs.get(k) != ours.get(k))
        print(f"balances differ on {len(differ)} accounts, first {differ[:5]}", file=sys.stderr)
        return 1
    ratio = ours_s / ledger_s
    print(f"{TRANSFERS:,} transfers among {ACCOUNTS:,} accounts; balances agree on {len(ours)} non-zero accounts")
    print(f"best of {args.runs}, wall clock, whole process:")
    print(f"  {'ledger -f journal bal':<42} {ledger_s:8.3f} s")
    print(f"  {'ledger_100k (durability ' + args.durability + ')':<42} {ours_s:8.3f} s")
    met = "met" if ratio <= GOAL else "not met"
    print(f"ratio ledger_100k / ledger (time, lower is better): {ratio:.2f}   goal <= {GOAL}: {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
