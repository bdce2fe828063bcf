"""books.jobs: the durable job queue from Python, on both adapters (docs/jobs.md). The rules are tested
once in C++ (tests/contract/jobs_contract_test.cpp); these tests check what the binding adds: payloads as
JSON values, the types each parameter takes, the outcomes, and `with books.transaction():` as an outbox."""
import datetime
import decimal
from typing import Callable

import pytest

import billing
from billing import CompleteResult, EnqueueResult, FailResult, JobStatus, RedriveResult

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # conftest's clock starts here
SECOND = datetime.timedelta(seconds=1)


def claimed(books: billing.Books, **kwargs: object) -> billing.Job:
    job = books.jobs.claim(**kwargs)  # type: ignore[arg-type]
    assert job is not None
    return job


def test_a_job_goes_from_enqueue_to_claim_to_complete(books: billing.Books, clock: billing.ManualClock) -> None:
    payload = {"to": "ann@example.com", "amount": "12.50", "lines": [1, 2, None], "vip": True, "caf\u00e9": "\u20ac"}
    queued = books.jobs.enqueue("email.send", payload, dedup_key="welcome-ann", max_attempts=5)
    assert queued and queued.ok and queued.result is EnqueueResult.OK
    assert queued.job is not None
    job_id = queued.job.id
    assert queued.job.status is JobStatus.QUEUED
    assert queued.job.payload == payload
    assert queued.job.run_at == START and queued.job.due_at == START
    assert queued.job.lease_expires_at is None and queued.job.token == ""
    assert queued.job.dedup_key == "welcome-ann" and queued.job.max_attempts == 5

    clock.advance(SECOND)
    job = claimed(books, kinds=["email.send"], lease=datetime.timedelta(minutes=2), worker="worker-1")
    assert job.id == job_id and job.status is JobStatus.CLAIMED and job.attempts == 1
    assert job.worker == "worker-1" and job.token
    assert job.lease_expires_at == START + SECOND + datetime.timedelta(minutes=2)
    assert books.jobs.get(job_id) == job
    assert books.jobs.claim() is None

    done = books.jobs.complete(job)
    assert done and done.result is CompleteResult.OK
    assert done.job is not None and done.job.status is JobStatus.COMPLETED
    assert books.jobs.complete(job).result is CompleteResult.STALE_TOKEN
    stats = books.jobs.stats()
    assert (stats.ready, stats.scheduled, stats.in_flight, stats.dead_lettered) == (0, 0, 0, 0)


def test_payloads_are_json_values_and_anything_inexact_is_a_type_error_naming_where(books: billing.Books) -> None:
    taken: list[object] = [None, True, 0, -(2 ** 100), "text", [], {}, ("a", 1), {"nested": {"deep": [1, {"x": "y"}]}}]
    for payload in taken:
        outcome = books.jobs.enqueue("k", payload)
        assert outcome.job is not None
        expected = list(payload) if isinstance(payload, tuple) else payload
        assert outcome.job.payload == expected
    refused: list[tuple[object, str]] = [
        (1.5, "payload: a float is not exact"),
        ({"amount": decimal.Decimal("1.5")}, 'payload["amount"]: a value of type Decimal has no JSON form'),
        ({"items": [1, {2, 3}]}, 'payload["items"][1]: a value of type set has no JSON form'),
        (b"bytes", "payload: a value of type bytes has no JSON form"),
        ({1: "x"}, "payload: a dict key must be a str, not int"),
        ([float("nan")], "payload[0]: a float is not exact"),
    ]
    for bad, message in refused:
        with pytest.raises(TypeError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
            books.jobs.enqueue("k", bad)
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(RecursionError):
        books.jobs.enqueue("k", looped)
    assert books.jobs.stats().ready == 9


def test_a_payload_over_64_kib_of_json_is_refused_before_it_is_written_whole(books: billing.Books) -> None:
    books.jobs.enqueue("k", "x" * (64 * 1024 - 2))  # the quotes make it 64 KiB exactly
    with pytest.raises(billing.InvalidArgument) as raised:
        books.jobs.enqueue("k", "x" * (64 * 1024 - 1))
    assert raised.value.field == "payload"
    with pytest.raises(billing.InvalidArgument):
        books.jobs.enqueue("k", ["y" * 1000] * 10 ** 6)  # stops writing once past the limit
    assert books.jobs.stats().ready == 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"kind": ""}, "kind"),
    ({"kind": "x" * 65}, "kind"),
    ({"kind": "no spaces"}, "kind"),
    ({"kind": "1st"}, "kind"),
    ({"dedup_key": ""}, "dedup_key"),
    ({"dedup_key": "k" * 256}, "dedup_key"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"max_attempts": 101}, "max_attempts"),
    ({"max_attempts": 2 ** 40}, "max_attempts"),
    ({"max_attempts": -1}, "max_attempts"),
    ({"run_at": datetime.datetime(2200, 1, 1, tzinfo=datetime.timezone.utc)}, "run_at"),
])
def test_enqueue_refuses_values_beyond_the_limits_naming_the_field(books: billing.Books, kwargs: dict[str, object],
                                                                   field: str) -> None:
    arguments: dict[str, object] = {"kind": "k", "payload": {}}
    arguments.update(kwargs)
    with pytest.raises(billing.InvalidArgument) as raised:
        books.jobs.enqueue(**arguments)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert books.jobs.stats().ready == 0


def test_each_parameter_takes_its_type_only(books: billing.Books) -> None:
    wrong: list[tuple[Callable[[], object], str]] = [
        (lambda: books.jobs.enqueue(b"k", {}), "kind: expected str, got bytes"),  # type: ignore[arg-type]
        (lambda: books.jobs.enqueue("k", {}, max_attempts=True), "max_attempts"),  # a bool is not a count
        (lambda: books.jobs.enqueue("k", {}, run_at="2026-01-01"), "run_at"),  # type: ignore[arg-type]
        (lambda: books.jobs.claim("k"), "kinds"),  # type: ignore[arg-type]
        (lambda: books.jobs.claim(lease=30), "lease"),  # type: ignore[arg-type]
        (lambda: books.jobs.claim(worker=None), "worker"),  # type: ignore[arg-type]
        (lambda: books.jobs.complete("gen-000000000001"), "job"),  # type: ignore[arg-type]
        (lambda: books.jobs.redrive(1), "id"),  # type: ignore[arg-type]
        (lambda: books.jobs.dead_letters(limit=1.5), "limit"),  # type: ignore[arg-type]
    ]
    for call, message in wrong:
        with pytest.raises(TypeError, match=message):
            call()
    with pytest.raises(ValueError):
        books.jobs.enqueue("k", {}, run_at=datetime.datetime(2026, 1, 1))  # naive: its zone is unknown


def test_a_scheduled_job_waits_for_its_run_at(books: billing.Books, clock: billing.ManualClock) -> None:
    books.jobs.enqueue("k", {}, run_at=START + datetime.timedelta(hours=1))
    assert books.jobs.claim() is None
    stats = books.jobs.stats()
    assert (stats.ready, stats.scheduled) == (0, 1)
    clock.advance(datetime.timedelta(hours=1))
    assert books.jobs.claim() is not None


def test_fail_retries_after_the_back_off_then_dead_letters_and_redrive_queues_again(
        books: billing.Books, clock: billing.ManualClock) -> None:
    books.jobs.configure(base_delay=datetime.timedelta(seconds=5), max_delay=datetime.timedelta(minutes=1))
    books.jobs.enqueue("charge", {"order": "o-1"}, max_attempts=2)
    first = claimed(books)
    retry = books.jobs.fail(first, "gateway timeout")
    assert retry and retry.result is FailResult.RETRY_SCHEDULED
    assert retry.job is not None
    delay = books.jobs.retry_delay(first.id, 1)
    assert datetime.timedelta(seconds=2.5) <= delay <= datetime.timedelta(seconds=5)
    assert retry.job.run_at == START + delay
    assert retry.job.last_error == "gateway timeout" and retry.job.status is JobStatus.QUEUED
    assert books.jobs.claim() is None
    clock.set(retry.job.run_at)
    second = claimed(books)
    assert second.attempts == 2
    dead = books.jobs.fail(second, "still down")
    assert dead and dead.result is FailResult.DEAD_LETTERED
    assert books.jobs.stats().dead_lettered == 1

    page = books.jobs.dead_letters()
    assert [job.id for job in page.items] == [first.id] and page.next_cursor is None
    assert books.jobs.dead_letters("other").items == []
    again = books.jobs.redrive(first.id)
    assert again and again.result is RedriveResult.OK
    assert again.job is not None and again.job.attempts == 0
    assert books.jobs.redrive(first.id).result is RedriveResult.NOT_DEAD_LETTERED
    assert books.jobs.redrive("nobody").result is RedriveResult.NOT_FOUND
    assert not books.jobs.redrive("nobody")
    assert claimed(books).attempts == 1


def test_fail_without_retry_dead_letters_at_once(books: billing.Books) -> None:
    books.jobs.enqueue("k", {})
    job = claimed(books)
    with pytest.raises(billing.InvalidArgument) as raised:
        books.jobs.fail(job, "e" * 4097)
    assert raised.value.field == "error"
    with pytest.raises(TypeError, match="retry"):
        books.jobs.fail(job, "x", retry=1)  # type: ignore[arg-type]
    outcome = books.jobs.fail(job, "a poison payload", retry=False)
    assert outcome.result is FailResult.DEAD_LETTERED


def test_a_lapsed_lease_gives_the_job_to_another_worker_and_the_late_complete_is_refused(
        books: billing.Books, clock: billing.ManualClock) -> None:
    books.jobs.enqueue("k", {})
    old = claimed(books, lease=datetime.timedelta(seconds=10), worker="dying")
    clock.advance(datetime.timedelta(seconds=10))
    assert books.jobs.stats().ready == 1
    new = claimed(books, worker="healthy")
    assert new.id == old.id and new.attempts == 2 and new.token != old.token
    late = books.jobs.complete(old)
    assert not late and late.result is CompleteResult.STALE_TOKEN
    assert books.jobs.fail(old, "late").result is FailResult.STALE_TOKEN
    assert books.jobs.complete(new).ok


def test_a_dedup_key_returns_the_job_that_holds_it(books: billing.Books) -> None:
    first = books.jobs.enqueue("charge", {"n": 1}, dedup_key="order-9")
    again = books.jobs.enqueue("charge", {"n": 2}, dedup_key="order-9")
    assert not again and again.result is EnqueueResult.DUPLICATE
    assert again.job == first.job
    assert books.jobs.enqueue("refund", {}, dedup_key="order-9").ok


def test_a_job_enqueued_in_a_transaction_commits_or_rolls_back_with_it(books: billing.Books) -> None:
    usd = billing.Money("5.00", "USD")
    with pytest.raises(RuntimeError):
        with books.transaction():
            books.ledger.transfer("cash", "revenue", usd, id="sale-1")
            books.jobs.enqueue("receipt.send", {"entry": "sale-1"})
            raise RuntimeError("the host failed")
    assert books.ledger.entry("sale-1") is None
    assert books.jobs.claim() is None
    with books.transaction():
        books.ledger.transfer("cash", "revenue", usd, id="sale-2")
        books.jobs.enqueue("receipt.send", {"entry": "sale-2"})
    job = claimed(books)
    assert job.payload == {"entry": "sale-2"}


def test_batches_enqueue_and_claim_in_one_unit_of_work(books: billing.Books) -> None:
    requests = [billing.JobRequest("k", {"n": n}, dedup_key=f"d-{n % 3}") for n in range(5)]
    outcomes = books.jobs.enqueue_batch(requests)
    assert [o.result for o in outcomes] == [EnqueueResult.OK] * 3 + [EnqueueResult.DUPLICATE] * 2
    with pytest.raises(billing.InvalidArgument) as raised:
        books.jobs.enqueue_batch([billing.JobRequest("k", {}), billing.JobRequest("bad kind", {})])
    assert raised.value.field == "[1].kind"
    jobs = books.jobs.claim_batch(2, worker="w")
    assert [job.payload for job in jobs] == [{"n": 0}, {"n": 1}]
    assert len(books.jobs.claim_batch(100)) == 1
    with pytest.raises(billing.InvalidArgument) as raised:
        books.jobs.claim_batch(101)
    assert raised.value.field == "limit"


def test_stats_purge_and_the_transition_table(books: billing.Books, clock: billing.ManualClock) -> None:
    books.jobs.enqueue("k", {})
    clock.advance(datetime.timedelta(seconds=30))
    stats = books.jobs.stats()
    assert (stats.ready, stats.in_flight, stats.oldest_ready_age) == (1, 0, datetime.timedelta(seconds=30))
    assert books.jobs.complete(claimed(books)).ok
    clock.advance(datetime.timedelta(days=1))
    assert books.jobs.purge_completed(clock.now()) == 1
    assert books.jobs.stats().oldest_ready_age == datetime.timedelta(0)
    pairs = billing.job_transitions()
    assert (JobStatus.QUEUED, JobStatus.CLAIMED) in pairs and (JobStatus.COMPLETED, JobStatus.QUEUED) not in pairs
    assert len(pairs) == 6
    with pytest.raises(billing.InvalidArgument) as raised:
        books.jobs.configure(base_delay=datetime.timedelta(hours=2), max_delay=datetime.timedelta(hours=1))
    assert raised.value.field == "base_delay"


def test_reprs_show_ids_results_and_counts_never_payloads(books: billing.Books) -> None:
    outcome = books.jobs.enqueue("email.send", {"card": "4242424242424242"})
    assert repr(outcome) == "EnqueueOutcome(result=EnqueueResult.OK, job='gen-000000000001')"
    job = claimed(books)
    assert repr(job) == "Job(id='gen-000000000001', kind='email.send', status=JobStatus.CLAIMED, attempts=1)"
    assert repr(billing.JobRequest("k", {"secret": "x"})) == "JobRequest(kind='k')"
    assert repr(books.jobs.stats()) == ("JobStats(ready=0, scheduled=0, in_flight=1, dead_lettered=0, "
                                        "oldest_ready_age=datetime.timedelta(0))")
    assert repr(books.jobs.dead_letters()) == "JobPage(0 items, next_cursor=None)"
    assert repr(books.jobs) == "<billing.Jobs base_delay=10s max_delay=3600s>"
    assert "4242" not in repr(job) + repr(outcome)
