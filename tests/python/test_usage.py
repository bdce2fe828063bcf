"""books.usage: usage metering from Python, on both adapters (docs/usage.md). The rules are tested once in C++
(tests/contract/usage_contract_test.cpp); these tests check what the binding adds: the fixed names, quantities
as decimals (a float is a TypeError), times and offsets as datetimes and timedeltas, the result enums, the
values and their reprs, and `with books.transaction():` around a record."""
import copy
import datetime
import decimal
from typing import Union

import pytest

import billing
from billing import Aggregation, CancelResult, Granularity, MeterResult, RecordResult, UsageEvent

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # conftest's clock starts here
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
D = decimal.Decimal


def test_the_seed_records_user_usage_then_reads_per_user_totals_and_the_average_across_users(
        books: billing.Books) -> None:
    outcome = books.usage.define_meter("usage", Aggregation.SUM, unit="request")
    assert outcome and outcome.ok and outcome.result is MeterResult.OK
    assert outcome.meter.code == "usage" and outcome.meter.aggregation is Aggregation.SUM
    assert outcome.meter.unit == "request" and outcome.meter.property is None and outcome.meter.created_at == START
    usage: list[tuple[str, Union[decimal.Decimal, str, int]]] = [("alice", "10"), ("alice", "20"), ("bob", 5), ("carol", D("1"))]
    for i, (user, amount) in enumerate(usage):
        assert books.usage.record("usage", user, amount, id=f"e{i}") is RecordResult.OK
    assert books.usage.total("usage", "alice") == D("30")
    assert isinstance(books.usage.total("usage", "alice"), decimal.Decimal)
    assert books.usage.total("usage", "nobody") == 0
    stats = books.usage.stats("usage")
    assert (stats.subjects, stats.events, stats.total) == (3, 4, D("36"))
    assert stats.average_per_subject == D("12.000000000000")
    assert stats.average_per_event == D("9.000000000000")
    assert repr(stats) == ("UsageStats(subjects=3, events=4, total=Decimal('36'), "
                           "average_per_subject=Decimal('12.000000000000'), "
                           "average_per_event=Decimal('9.000000000000'))")
    empty = books.usage.define_meter("empty", Aggregation.COUNT).meter
    assert books.usage.stats(empty.code).average_per_subject is None


def test_define_meter_reports_exists_and_names_the_field_it_refuses(books: billing.Books) -> None:
    made = books.usage.define_meter("users", Aggregation.UNIQUE_COUNT, property="user", group_by="plan")
    again = books.usage.define_meter("users", Aggregation.UNIQUE_COUNT, property="user", group_by="plan")
    assert again.result is MeterResult.EXISTS and not again and again.meter == made.meter
    other = books.usage.define_meter("users", Aggregation.COUNT)
    assert other.result is MeterResult.EXISTS_WITH_DIFFERENT_FIELDS
    assert repr(made) == "MeterOutcome(result=MeterResult.OK, meter='users')"
    assert repr(made.meter) == "Meter(code='users', aggregation=Aggregation.UNIQUE_COUNT)"
    assert books.usage.meter("users") == made.meter and books.usage.meter("none") is None
    assert [m.code for m in books.usage.meters()] == ["users"]
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.define_meter("9x", Aggregation.SUM)
    assert error.value.field == "code"
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.define_meter("u", Aggregation.UNIQUE_COUNT)
    assert error.value.field == "property"
    with pytest.raises(TypeError, match="aggregation"):
        books.usage.define_meter("u", "sum")  # type: ignore[arg-type]


def test_quantities_are_exact_and_a_float_is_a_type_error(books: billing.Books) -> None:
    books.usage.define_meter("bytes", Aggregation.SUM)
    assert books.usage.record("bytes", "s", "0.1", id="a") is RecordResult.OK
    assert books.usage.record("bytes", "s", D("0.20"), id="b") is RecordResult.OK
    assert books.usage.total("bytes", "s") == D("0.30")
    with pytest.raises(TypeError, match="quantity"):
        books.usage.record("bytes", "s", 0.1, id="c")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="quantity"):
        UsageEvent("bytes", "s", 1.5, id="c")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="quantity"):
        books.usage.record("bytes", "s", True, id="c")
    with pytest.raises(TypeError):
        books.usage.record("bytes", b"s", 1, id="c")  # type: ignore[arg-type]
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.record("bytes", "", 1, id="c")
    assert error.value.field == "subject"
    assert books.usage.event("c") is None


def test_record_batch_returns_a_result_per_event_and_dedups_within_it_and_against_the_store(
        books: billing.Books) -> None:
    books.usage.define_meter("calls", Aggregation.COUNT)
    assert books.usage.record("calls", "k", 1, id="e1") is RecordResult.OK
    events = [
        UsageEvent("calls", "k", 1, id="e2"),
        UsageEvent("calls", "k", 1, id="e1"),
        UsageEvent("calls", "k", 1, id="e2"),
        UsageEvent("nothing", "k", 1, id="e3"),
        UsageEvent("calls", "k", 1, id="e4", at=START - datetime.timedelta(days=36)),
        UsageEvent("calls", "k", 1, id="e5", at=START + 6 * MINUTE),
    ]
    assert books.usage.record_batch(events) == [RecordResult.OK, RecordResult.DUPLICATE, RecordResult.DUPLICATE,
                                                RecordResult.UNKNOWN_METER, RecordResult.TOO_LATE,
                                                RecordResult.TOO_EARLY]
    assert books.usage.total("calls", "k") == 2
    assert books.usage.record_batch([]) == []
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.record_batch([UsageEvent("calls", "k", 1, id="ok"), UsageEvent("calls", "k", 1, id="")])
    assert error.value.field == "[1].id"
    assert books.usage.event("ok") is None
    with pytest.raises(TypeError, match="events"):
        books.usage.record_batch([UsageEvent("calls", "k", 1, id="x"), "e"])  # type: ignore[list-item]


def test_a_usage_event_is_a_value_with_a_repr_that_hides_its_properties() -> None:
    event = UsageEvent("api", "key_1", "2.50", id="e1", at=START, properties={"card": "4242 4242 4242 4242"})
    assert (event.meter, event.subject, event.quantity, event.id, event.at) == ("api", "key_1", D("2.50"), "e1", START)
    assert event.properties == {"card": "4242 4242 4242 4242"}
    assert repr(event) == "UsageEvent('api', 'key_1', Decimal('2.50'), id='e1')"
    assert copy.copy(event) == event and copy.deepcopy(event) == event
    assert event != UsageEvent("api", "key_1", "2.5", id="e2")
    assert UsageEvent("api", "key_1", 1, id="e").at is None


def test_cancel_returns_a_cancel_result_and_the_aggregates_follow(books: billing.Books,
                                                                   clock: billing.ManualClock) -> None:
    books.usage.define_meter("peak", Aggregation.MAX)
    books.usage.record("peak", "s", 3, id="a")
    books.usage.record("peak", "s", 9, id="b")
    assert books.usage.cancel("b") is CancelResult.OK
    assert books.usage.total("peak", "s") == 3
    assert books.usage.cancel("b") is CancelResult.ALREADY_CANCELLED
    assert books.usage.cancel("zzz") is CancelResult.NOT_FOUND
    recorded = books.usage.event("b")
    assert recorded is not None and recorded.cancelled and recorded.cancelled_at == START
    assert recorded.event.at == START and recorded.recorded_at == START
    assert repr(recorded) == "RecordedEvent(id='b', cancelled=True)"
    clock.advance(datetime.timedelta(days=2))
    assert books.usage.cancel("a") is CancelResult.WINDOW_PASSED


def test_group_by_and_a_range_read(books: billing.Books) -> None:
    books.usage.define_meter("tokens", Aggregation.SUM, property="tokens", group_by="model")
    books.usage.record("tokens", "s", 0, id="a", properties={"tokens": "100", "model": "small"})
    books.usage.record("tokens", "s", 0, id="b", properties={"tokens": "7", "model": "large"}, at=START - HOUR)
    assert books.usage.total("tokens", "s") == 107
    assert books.usage.total("tokens", "s", group="small") == 100
    assert books.usage.total("tokens", "s", start=START - HOUR, end=START) == 7
    assert books.usage.stats("tokens", start=START, end=START + HOUR).total == 100
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.record("tokens", "s", 0, id="c", properties={"tokens": "lots"})
    assert error.value.field == "properties.tokens"
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.total("tokens", "s", start=START, end=START - HOUR)
    assert error.value.field == "end"
    with pytest.raises(ValueError):
        books.usage.total("tokens", "s", start=datetime.datetime(2026, 1, 1))


def test_series_gives_buckets_with_start_end_and_value_in_utc_or_at_an_offset(books: billing.Books) -> None:
    books.usage.define_meter("calls", Aggregation.COUNT)
    books.usage.record("calls", "s", 1, id="a", at=START - 50 * MINUTE)
    books.usage.record("calls", "s", 1, id="b", at=START - 49 * MINUTE)
    books.usage.record("calls", "t", 1, id="c", at=START - 10 * MINUTE)
    minutes = books.usage.series("calls", subject="s", start=START - 50 * MINUTE, end=START - 46 * MINUTE,
                                 granularity=Granularity.MINUTE)
    assert [(b.start, b.value, b.events) for b in minutes] == [
        (START - 50 * MINUTE, D(1), 1), (START - 49 * MINUTE, D(1), 1), (START - 48 * MINUTE, D(0), 0),
        (START - 47 * MINUTE, D(0), 0)]
    assert minutes[0].end == START - 49 * MINUTE
    hours = books.usage.series("calls", start=START - 2 * HOUR, end=START, granularity=Granularity.HOUR)
    assert [b.value for b in hours] == [0, 3]
    assert repr(hours[1]).startswith("UsageBucket(start=datetime.datetime(2025, 12, 31, 23, 0")
    india = books.usage.series("calls", start=START - HOUR, end=START, granularity=Granularity.DAY,
                               utc_offset=datetime.timedelta(hours=5, minutes=30))
    assert len(india) == 1 and india[0].start == datetime.datetime(2025, 12, 31, 18, 30, tzinfo=datetime.timezone.utc)
    assert india[0].value == 3
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.series("calls", start=START, end=START, granularity=Granularity.DAY,
                           utc_offset=datetime.timedelta(seconds=30))
    assert error.value.field == "utc_offset"
    with pytest.raises(TypeError, match="granularity"):
        books.usage.series("calls", start=START, end=START, granularity="day")  # type: ignore[arg-type]


def test_configure_sets_the_windows_as_timedeltas(books: billing.Books) -> None:
    assert books.usage.lateness == datetime.timedelta(days=35)
    assert books.usage.lead == datetime.timedelta(minutes=5)
    books.usage.configure(lateness=HOUR, cancel_window=MINUTE)
    assert books.usage.lateness == HOUR and books.usage.cancel_window == MINUTE
    assert books.usage.lead == datetime.timedelta(minutes=5)
    books.usage.define_meter("calls", Aggregation.COUNT)
    assert books.usage.record("calls", "s", 1, id="old", at=START - 2 * HOUR) is RecordResult.TOO_LATE
    with pytest.raises(billing.InvalidArgument) as error:
        books.usage.configure(lead=datetime.timedelta(days=2))
    assert error.value.field == "lead"
    assert repr(books.usage) == "<billing.Usage: books.usage>"


def test_a_record_inside_a_transaction_that_raises_leaves_nothing(books: billing.Books) -> None:
    books.usage.define_meter("calls", Aggregation.COUNT)
    with pytest.raises(RuntimeError):
        with books.transaction():
            assert books.usage.record("calls", "s", 1, id="a") is RecordResult.OK
            assert books.usage.total("calls", "s") == 1
            raise RuntimeError("rolled back")
    assert books.usage.event("a") is None
    assert books.usage.stats("calls").events == 0
    with books.transaction():
        books.usage.record_batch([UsageEvent("calls", "s", 1, id="a")])
    assert books.usage.total("calls", "s") == 1
