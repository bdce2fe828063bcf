"""books.idempotent: replay, mismatch, conflict and release, from Python."""
import datetime
import threading

import pytest

import billing
from billing import Money

UTC = datetime.timezone.utc


@pytest.fixture
def clock():
    return billing.ManualClock(datetime.datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture(params=["memory", "sqlite"])
def books(request, tmp_path, clock):
    path = str(tmp_path / "books.db") if request.param == "sqlite" else None
    books = billing.open(path, durability=billing.Durability.NORMAL, clock=clock)
    books.accounts.create("USD", "Customer", id="customer")
    books.accounts.create("USD", "Merchant", id="merchant", normal_side=billing.Side.CREDIT)
    return books


def charge(books, amount):
    outcome = books.ledger.transfer("customer", "merchant", Money(amount, "USD"))
    return {"result": outcome.result.name, "entry": outcome.entry.id if outcome.entry else None}


def test_same_key_same_request_replays_the_stored_outcome(books):
    request = {"amount": "5.00", "customer": "customer"}
    first = books.idempotent("charge-1", request, lambda: charge(books, "5.00"))
    assert not first.replayed and first.outcome["result"] == "OK"
    again = books.idempotent("charge-1", dict(reversed(list(request.items()))), lambda: charge(books, "5.00"))
    assert again.replayed and again.outcome == first.outcome
    assert books.ledger.verify().entries_checked == 1


def test_same_key_other_request_is_a_mismatch(books):
    books.idempotent("charge-1", {"amount": "5.00"}, lambda: charge(books, "5.00"))
    with pytest.raises(billing.IdempotencyMismatch) as raised:
        books.idempotent("charge-1", {"amount": "6.00"}, lambda: charge(books, "6.00"))
    assert raised.value.code == billing.ErrorCode.IDEMPOTENCY_MISMATCH
    assert isinstance(raised.value, billing.BillingError)


def test_scopes_keep_tenants_apart(books):
    books.idempotent("k", "r", lambda: charge(books, "1.00"), scope="tenant-a")
    assert not books.idempotent("k", "r", lambda: charge(books, "1.00"), scope="tenant-b").replayed


def test_an_exception_releases_the_key_and_undoes_the_write(books):
    def failing():
        charge(books, "5.00")
        raise RuntimeError("gateway timed out")

    with pytest.raises(RuntimeError):
        books.idempotent("charge-1", "r", failing)
    assert books.ledger.verify().entries_checked == 0
    assert not books.idempotent("charge-1", "r", lambda: charge(books, "5.00")).replayed


def test_a_second_request_while_the_first_runs_never_runs_twice(books):
    inside = threading.Event()
    release = threading.Event()
    seen = []

    def slow():
        inside.set()
        release.wait(5)
        return "done"

    worker = threading.Thread(target=lambda: books.idempotent("k", "r", slow))
    worker.start()
    assert inside.wait(5)

    def second():
        try:
            seen.append(books.idempotent("k", "r", lambda: "second").outcome)
        except billing.IdempotencyConflict:
            seen.append("conflict")

    racer = threading.Thread(target=second)
    racer.start()  # it waits for the first request's unit of work, then sees its outcome
    release.set()
    worker.join()
    racer.join()
    assert seen in (["done"], ["conflict"])
    assert books.idempotent("k", "r", lambda: "third").outcome == "done"


def test_keys_expire_and_are_purged(books, clock):
    books.idempotency.configure(window=datetime.timedelta(hours=1))
    books.idempotent("k", "r", lambda: 1)
    assert books.idempotency.purge_expired() == 0
    clock.advance(datetime.timedelta(hours=2))
    assert books.idempotency.purge_expired() == 1
    assert not books.idempotent("k", "other request", lambda: 2).replayed


def test_bad_keys_and_outcomes_are_errors(books):
    with pytest.raises(billing.InvalidArgument) as raised:
        books.idempotent("", "r", lambda: 1)
    assert raised.value.field == "key"
    with pytest.raises(TypeError):  # the outcome is stored as JSON
        books.idempotent("k2", "r", lambda: {1.5j})
    assert not books.idempotent("k2", "r", lambda: 2).replayed  # the failed attempt released the key
