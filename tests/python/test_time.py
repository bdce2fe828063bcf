"""Clocks and id sources injected from Python."""
import datetime

import pytest

import billing

UTC = datetime.timezone.utc


def test_manual_clock_moves_only_when_told() -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    clock = billing.ManualClock(start)
    assert clock.now() == start
    clock.advance(datetime.timedelta(days=31, microseconds=7))
    assert clock.now() == datetime.datetime(2026, 2, 1, 0, 0, 0, 7, tzinfo=UTC)
    clock.set(datetime.datetime(2026, 6, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2))))
    assert clock.now() == datetime.datetime(2026, 6, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is not None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        billing.ManualClock(datetime.datetime(2026, 1, 1))


def test_system_clock_reads_real_time() -> None:
    assert billing.SystemClock().now() > datetime.datetime(2026, 1, 1, tzinfo=UTC)


def test_id_sources() -> None:
    ids = billing.SequentialIds("ord-")
    assert [ids.next(), ids.next()] == ["ord-000000000001", "ord-000000000002"]
    clock = billing.ManualClock(datetime.datetime(2026, 1, 1, tzinfo=UTC))
    uuids = billing.Uuid7Ids(clock)
    made = [uuids.next() for _ in range(5000)]
    assert made == sorted(made) and len(set(made)) == 5000
    assert all(u[14] == "7" for u in made)
