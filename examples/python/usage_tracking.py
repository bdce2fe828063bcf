"""The usage-tracking seed: record (user, usage) events, then read each user's stats and the average usage
across all users. Every event is written with its raw row and every aggregate it touches in one unit of
work, so a batch retried after a failure counts each event once: the retry below is all DUPLICATE.

On an embedded SQLite file, with a manual clock so that the events fall in known hours.
Run: PYTHONPATH=build/python python3 examples/python/usage_tracking.py
"""
import datetime
import pathlib
import sys
import tempfile

import billing
from billing import Aggregation, Granularity, RecordResult, UsageEvent

NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.timezone.utc)
USAGE = [("alice", "12.5"), ("bob", "3"), ("alice", "7.25"), ("carol", "40"), ("bob", "1.75"), ("alice", "0.5")]


def main() -> int:
    clock = billing.ManualClock(NOON)
    with tempfile.TemporaryDirectory() as directory:
        books = billing.open(pathlib.Path(directory) / "usage.db", clock=clock)
        books.usage.define_meter("usage", Aggregation.SUM, unit="GB")

        print("record (user, usage), one event a quarter of an hour apart:")
        events = [UsageEvent("usage", user, amount, id=f"evt-{i}", at=NOON - datetime.timedelta(minutes=15 * i))
                  for i, (user, amount) in enumerate(USAGE)]
        results = books.usage.record_batch(events)
        print(f"  {[result.name for result in results]}")
        retry = books.usage.record_batch(events)
        print(f"  the same batch again: {[result.name for result in retry]}")

        print("per user:")
        for user in sorted({user for user, _ in USAGE}):
            print(f"  {user:<6} {books.usage.total('usage', user):>8} GB")
        stats = books.usage.stats("usage")
        print(f"across all users: {stats.subjects} users, {stats.events} events, {stats.total} GB")
        print(f"  average usage across all users: {stats.average_per_subject} GB")
        print(f"  average per event:              {stats.average_per_event} GB")

        print("per hour, every user together:")
        for bucket in books.usage.series("usage", start=NOON - datetime.timedelta(hours=2), end=NOON,
                                         granularity=Granularity.HOUR):
            print(f"  {bucket.start:%H:%M}-{bucket.end:%H:%M}  {bucket.value:>6} GB in {bucket.events} events")

        print(f"cancel evt-3 (carol's 40 GB): {books.usage.cancel('evt-3').name}")
        after = books.usage.stats("usage")
        print(f"  now {after.subjects} users, {after.total} GB, average {after.average_per_subject} GB")
        ok = all(result is RecordResult.OK for result in results) and after.subjects == 2
        return 0 if ok and all(result is RecordResult.DUPLICATE for result in retry) else 1


if __name__ == "__main__":
    sys.exit(main())
