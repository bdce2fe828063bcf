"""books.health() from Python, on both adapters (docs/health.md). The rules are tested once in C++
(tests/contract/health_contract_test.cpp); these tests check what the binding adds: the JSON parses with
json.loads and holds exact integers, the report's properties and types, the thresholds as tuples with
errors that name the bound, and the enum."""
import copy
import datetime
import json

import pytest

import billing
from billing import HealthStatus, Money, PostResult

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # conftest's clock starts here
CHECKS = ["storage", "integrity", "ready_jobs", "dead_letters", "oldest_ready_age", "expired_holds", "overdue_invoices"]


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def dead_letter(books: billing.Books, kind: str) -> None:
    assert books.jobs.enqueue(kind, None, max_attempts=1)
    job = books.jobs.claim(kinds=[kind])
    assert job is not None
    assert books.jobs.fail(job, "boom").result is billing.FailResult.DEAD_LETTERED


def test_fresh_books_are_healthy_and_their_json_parses(books: billing.Books) -> None:
    report = books.health()
    assert isinstance(report, billing.HealthReport)
    assert report.status is HealthStatus.HEALTHY
    assert report.checked_at == START and report.counting_since == START
    assert report.storage_reachable is True and report.integrity_ok is True
    assert report.ledger_entries == 0 and report.entries_verified == 0
    assert report.jobs == books.jobs.stats()
    assert report.expired_holds == 0 and report.overdue_invoices == 0
    assert report.invoice_overdue_after == datetime.timedelta(days=30)
    assert [check.name for check in report.checks] == CHECKS
    assert all(check.status is HealthStatus.HEALTHY and check.reason == "" for check in report.checks)
    assert report.reasons == []
    document = json.loads(report.to_json())
    assert list(document) == ["status", "checked_at", "counting_since", "reasons", "checks", "storage", "jobs",
                              "holds", "invoices", "counters"]
    assert document["status"] == "healthy" and document["checked_at"] == "2026-01-01T00:00:00Z"
    assert document["invoices"] == {"overdue": 0, "overdue_after_us": 30 * 24 * 3600 * 10**6}
    assert document["counters"]["rejections"] == {code.value: 0 for code in PostResult
                                                  if code not in (PostResult.OK, PostResult.EXISTS)}
    assert str(report) == report.to_table() and report.to_table().startswith("health: HEALTHY at ")


def test_the_counters_move_and_the_json_holds_them_exactly(books: billing.Books) -> None:
    for _ in range(3):
        assert books.ledger.transfer("cash", "revenue", usd("1.00"))
    assert books.ledger.transfer("cash", "nowhere", usd("1.00")).result is PostResult.ACCOUNT_NOT_FOUND
    books.usage.define_meter("calls", billing.Aggregation.COUNT)
    assert books.usage.record("calls", "ann", 1, id="e1") is billing.RecordResult.OK
    assert books.usage.record("calls", "ann", 1, id="e1") is billing.RecordResult.DUPLICATE
    dead_letter(books, "mail")
    counters = books.health().counters
    assert isinstance(counters, billing.HealthCounters)
    assert (counters.entries_posted, counters.events_recorded, counters.event_duplicates) == (3, 1, 1)
    assert (counters.jobs_failed, counters.jobs_dead_lettered) == (1, 1)
    assert counters.rejections[PostResult.ACCOUNT_NOT_FOUND] == 1 and counters.rejections_total == 1
    assert all(isinstance(code, PostResult) for code in counters.rejections)
    assert repr(counters) == ("HealthCounters(entries_posted=3, rejections=1, events_recorded=1, event_duplicates=1, "
                              "jobs_failed=1, jobs_dead_lettered=1)")
    document = json.loads(books.health().to_json())
    assert document["counters"]["entries_posted"] == 3
    assert document["counters"]["rejections"]["account_not_found"] == 1
    assert document["storage"] == {"reachable": True, "integrity_ok": True, "ledger_entries": 3, "entries_verified": 3}


def test_thresholds_turn_the_report_degraded_then_unhealthy(books: billing.Books, clock: billing.ManualClock) -> None:
    books.configure_health(dead_letters=(0, 1))
    dead_letter(books, "a")
    report = books.health()
    assert report.status is HealthStatus.DEGRADED
    assert report.reasons == ["dead_letters: 1 dead letter, above the degraded bound of 0"]
    assert repr(report) == "HealthReport(status=HealthStatus.DEGRADED, failing=['dead_letters'])"
    dead_letter(books, "b")
    report = books.health()
    assert report.status is HealthStatus.UNHEALTHY
    assert json.loads(report.to_json())["status"] == "unhealthy"
    [check] = [c for c in report.checks if c.name == "dead_letters"]
    assert check.status is HealthStatus.UNHEALTHY
    assert repr(check) == "HealthCheck('dead_letters', HealthStatus.UNHEALTHY)"

    books.configure_health(dead_letters=(None, None), oldest_ready_age=(datetime.timedelta(minutes=1), None))
    assert books.health().status is HealthStatus.HEALTHY  # the other bounds kept
    assert books.jobs.enqueue("c", None)
    clock.advance(datetime.timedelta(minutes=2))
    report = books.health()
    assert report.status is HealthStatus.DEGRADED
    assert report.jobs is not None and report.jobs.oldest_ready_age == datetime.timedelta(minutes=2)
    assert json.loads(report.to_json())["jobs"]["oldest_ready_age_us"] == 120 * 10**6


def test_overdue_invoices_follow_invoice_overdue_after(books: billing.Books, clock: billing.ManualClock) -> None:
    books.plans.create("basic", "USD", flat_fee=usd("30.00"))
    books.subscriptions.create("cash", "basic", start=START - datetime.timedelta(days=31))
    assert books.run_billing(START).invoices_created == 1
    books.configure_health(overdue_invoices=(0, None), oldest_ready_age=(None, None),
                           invoice_overdue_after=datetime.timedelta(days=7))
    clock.advance(datetime.timedelta(days=7, seconds=1))
    report = books.health()
    assert report.overdue_invoices == 1 and report.status is HealthStatus.DEGRADED
    assert report.invoice_overdue_after == datetime.timedelta(days=7)


@pytest.mark.parametrize("arguments, field", [
    ({"ready_jobs": (10, 5)}, "ready_jobs.unhealthy"),
    ({"dead_letters": (-1, None)}, "dead_letters.degraded"),
    ({"expired_holds": (None, -1)}, "expired_holds.unhealthy"),
    ({"oldest_ready_age": (datetime.timedelta(seconds=-1), None)}, "oldest_ready_age.degraded"),
    ({"oldest_ready_age": (None, datetime.timedelta(days=367))}, "oldest_ready_age.unhealthy"),
    ({"oldest_ready_age": (datetime.timedelta(hours=2), datetime.timedelta(hours=1))}, "oldest_ready_age.unhealthy"),
    ({"invoice_overdue_after": datetime.timedelta(0)}, "invoice_overdue_after"),
    ({"invoice_overdue_after": datetime.timedelta(days=367)}, "invoice_overdue_after"),
], ids=lambda value: str(value))
def test_a_bad_bound_is_invalid_argument_naming_it(books: billing.Books, arguments: dict[str, object],
                                                   field: str) -> None:
    books.configure_health(ready_jobs=(1, 2))
    with pytest.raises(billing.InvalidArgument) as raised:
        books.configure_health(**arguments)  # type: ignore[arg-type]
    assert raised.value.field == field and str(raised.value).startswith(field)
    for kind in ("a", "b"):  # the refused call changed nothing: ready_jobs is still (1, 2)
        assert books.jobs.enqueue(kind, None)
    report = books.health()
    assert report.reasons == ["ready_jobs: 2 ready jobs, above the degraded bound of 1"]
    assert report.invoice_overdue_after == datetime.timedelta(days=30)


@pytest.mark.parametrize("arguments, message", [
    ({"ready_jobs": 5}, "ready_jobs: expected a tuple (degraded, unhealthy) of int or None, got int"),
    ({"ready_jobs": (1, 2, 3)}, "ready_jobs: expected a tuple (degraded, unhealthy) of int or None, got tuple"),
    ({"ready_jobs": [1, 2]}, "ready_jobs: expected a tuple (degraded, unhealthy) of int or None, got list"),
    ({"dead_letters": (True, None)}, "dead_letters.degraded"),
    ({"expired_holds": (1.5, None)}, "expired_holds.degraded"),
    ({"oldest_ready_age": (60, None)}, "oldest_ready_age.degraded"),
    ({"invoice_overdue_after": 30}, "invoice_overdue_after"),
], ids=lambda value: str(value))
def test_a_bound_of_the_wrong_type_is_a_type_error_naming_it(books: billing.Books, arguments: dict[str, object],
                                                             message: str) -> None:
    with pytest.raises(TypeError) as raised:
        books.configure_health(**arguments)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def test_configure_health_takes_keywords_only(books: billing.Books) -> None:
    with pytest.raises(TypeError):
        books.configure_health((1, 2))  # type: ignore[misc]


def test_a_report_has_no_truth_value_and_copies_as_itself(books: billing.Books) -> None:
    report = books.health()
    with pytest.raises(TypeError, match="compare .status"):
        bool(report)
    with pytest.raises(TypeError, match="compare .status"):
        bool(report.checks[0])
    assert copy.copy(report) == report and copy.deepcopy(report) == report
    assert (report == 1) is False


def test_the_enum() -> None:
    assert [member.value for member in HealthStatus] == ["healthy", "degraded", "unhealthy"]
    assert HealthStatus["DEGRADED"] is HealthStatus("degraded")
    assert HealthStatus.__module__ == "billing"
