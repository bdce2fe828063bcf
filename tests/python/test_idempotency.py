"""books.idempotent: replay, mismatch, conflict and release, from Python."""
import datetime
import pathlib
import threading
from decimal import Decimal
from typing import Callable, Optional

import pytest

import billing
from billing import Money

UTC = datetime.timezone.utc


@pytest.fixture
def clock() -> billing.ManualClock:
    return billing.ManualClock(datetime.datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture(params=["memory", "sqlite"])
def books(request: pytest.FixtureRequest, tmp_path: pathlib.Path, clock: billing.ManualClock) -> billing.Books:
    path = str(tmp_path / "books.db") if request.param == "sqlite" else None
    books = billing.open(path, durability=billing.Durability.NORMAL, clock=clock)
    books.accounts.create("USD", "Customer", id="customer")
    books.accounts.create("USD", "Merchant", id="merchant", normal_side=billing.Side.CREDIT)
    return books


def charge(books: billing.Books, amount: str) -> dict[str, Optional[str]]:
    outcome = books.ledger.transfer("customer", "merchant", Money(amount, "USD"))
    return {"result": outcome.result.name, "entry": outcome.entry.id if outcome.entry else None}


def test_same_key_same_request_replays_the_stored_outcome(books: billing.Books) -> None:
    request = {"amount": "5.00", "customer": "customer"}
    first = books.idempotent("charge-1", request, lambda: charge(books, "5.00"))
    assert not first.replayed and first.outcome["result"] == "OK"
    again = books.idempotent("charge-1", dict(reversed(list(request.items()))), lambda: charge(books, "5.00"))
    assert again.replayed and again.outcome == first.outcome
    assert books.ledger.verify().entries_checked == 1


def test_same_key_other_request_is_a_mismatch(books: billing.Books) -> None:
    books.idempotent("charge-1", {"amount": "5.00"}, lambda: charge(books, "5.00"))
    with pytest.raises(billing.IdempotencyMismatch) as raised:
        books.idempotent("charge-1", {"amount": "6.00"}, lambda: charge(books, "6.00"))
    assert raised.value.code == billing.ErrorCode.IDEMPOTENCY_MISMATCH
    assert isinstance(raised.value, billing.BillingError)


def test_scopes_keep_tenants_apart(books: billing.Books) -> None:
    books.idempotent("k", "r", lambda: charge(books, "1.00"), scope="tenant-a")
    assert not books.idempotent("k", "r", lambda: charge(books, "1.00"), scope="tenant-b").replayed


def test_an_exception_releases_the_key_and_undoes_the_write(books: billing.Books) -> None:
    def failing() -> None:
        charge(books, "5.00")
        raise RuntimeError("gateway timed out")

    with pytest.raises(RuntimeError):
        books.idempotent("charge-1", "r", failing)
    assert books.ledger.verify().entries_checked == 0
    assert not books.idempotent("charge-1", "r", lambda: charge(books, "5.00")).replayed


def test_a_second_request_while_the_first_runs_never_runs_twice(books: billing.Books) -> None:
    inside = threading.Event()
    release = threading.Event()
    seen: list[object] = []

    def slow() -> str:
        inside.set()
        release.wait(5)
        return "done"

    worker = threading.Thread(target=lambda: books.idempotent("k", "r", slow))
    worker.start()
    assert inside.wait(5)

    def second() -> None:
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


def test_keys_expire_and_are_purged(books: billing.Books, clock: billing.ManualClock) -> None:
    books.idempotency.configure(window=datetime.timedelta(hours=1))
    books.idempotent("k", "r", lambda: 1)
    assert books.idempotency.purge_expired() == 0
    clock.advance(datetime.timedelta(hours=2))
    assert books.idempotency.purge_expired() == 1
    assert not books.idempotent("k", "other request", lambda: 2).replayed


def test_bad_keys_and_outcomes_are_errors(books: billing.Books) -> None:
    with pytest.raises(billing.InvalidArgument) as raised:
        books.idempotent("", "r", lambda: 1)
    assert raised.value.field == "key"
    with pytest.raises(TypeError):  # the outcome is stored as JSON
        books.idempotent("k2", "r", lambda: {1.5j})
    assert not books.idempotent("k2", "r", lambda: 2).replayed  # the failed attempt released the key


# ---------------------------------------------------------------------------- how a request is fingerprinted


def same_request(books: billing.Books, first: object, second: object, key: str = "fp") -> bool:
    """Whether `second` replays `first` under one key (True) or is a mismatch (False)."""
    runs: list[str] = []

    def work(name: str) -> Callable[[], str]:
        def run() -> str:
            runs.append(name)
            return name
        return run

    books.idempotent(key, first, work("first"))
    try:
        result = books.idempotent(key, second, work("second"))
    except billing.IdempotencyMismatch:
        assert runs == ["first"]
        return False
    assert result.replayed and result.outcome == "first" and runs == ["first"]
    return True


def test_a_decimal_and_a_string_with_the_same_text_are_different_requests(books: billing.Books) -> None:
    books.idempotent("charge-1", {"a": Decimal("1")}, lambda: charge(books, "1.00"))
    with pytest.raises(billing.IdempotencyMismatch):
        books.idempotent("charge-1", {"a": "1"}, lambda: charge(books, "1.00"))
    assert books.ledger.verify().entries_checked == 1


@pytest.mark.parametrize("first, second", [
    ({"a": Decimal("1")}, {"a": 1}),
    ({"a": 1}, {"a": "1"}),
    ({"a": True}, {"a": 1}),
    ({"a": False}, {"a": 0}),
    ({"a": None}, {"a": "None"}),
    ({"a": b"1"}, {"a": "1"}),
    ("1", 1),
    ("r", b"r"),
    (Money("1.00", "USD"), Decimal("1.00")),
    (Money("1.00", "USD"), Money("1.00", "EUR")),
    (Money("1.00", "USD"), "1.00 USD"),
    (datetime.datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00+00:00"),
    ([1, 2], [2, 1]),
    ([[1], 2], [[1, 2]]),
    ({"a": [1]}, {"a": 1}),
    ({}, []),
    ({"a": Decimal("1.5")}, {"a": Decimal("1.05")}),
    (2**64, 2**64 + 1),
    (-(2**100), 2**100),
], ids=repr)
def test_requests_that_differ_in_type_or_value_are_a_mismatch(
        books: billing.Books, first: object, second: object) -> None:
    assert not same_request(books, first, second)


@pytest.mark.parametrize("first, second", [
    ({"a": 1, "b": {"x": [1, 2], "y": "z"}}, {"b": {"y": "z", "x": [1, 2]}, "a": 1}),  # insertion order
    ({"a": Decimal("1.0")}, {"a": Decimal("1")}),                                    # a Decimal by value
    (Decimal("2.5E3"), Decimal("2500.00")),
    (Money("1.0", "USD"), Money("1.00", "USD")),
    ((1, "a"), [1, "a"]),                                                            # a tuple is a list
    (datetime.datetime(2026, 1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),                                     # one instant
    (2**200, 2**200),
    (-(2**64), -(2**64)),
    ("r", "r"),
], ids=repr)
def test_equal_requests_replay(books: billing.Books, first: object, second: object) -> None:
    assert same_request(books, first, second)


class Opaque:
    pass


@pytest.mark.parametrize("request_value, path", [
    ({"tags": {"a", "b"}}, 'request["tags"]'),
    ({"items": [1, 2, frozenset({3})]}, 'request["items"][2]'),
    ({"price": 1.5}, 'request["price"]'),
    ({"amount": Decimal("NaN")}, 'request["amount"]'),
    ({"amount": Decimal("sNaN")}, 'request["amount"]'),
    ({"amount": Decimal("Infinity")}, 'request["amount"]'),
    ({"amount": Decimal("-Infinity")}, 'request["amount"]'),
    ({"amount": Decimal("1E-40")}, 'request["amount"]'),  # more places than a billing Decimal holds
    ({"who": Opaque()}, 'request["who"]'),
    ({"meta": {1: "one"}}, 'request["meta"]'),
    ({"at": datetime.datetime(2026, 1, 1)}, 'request["at"]'),  # naive: its zone is unknown
    ({"lines": [{"sku": "a"}, {"sku": "b", "qty": 2.0}]}, 'request["lines"][1]["qty"]'),
    ({'say "hi"': 1.0}, 'request["say \\"hi\\""]'),
    ({"c": 1j}, 'request["c"]'),
    ({1, 2}, "request"),
    (3.0, "request"),
], ids=repr)
def test_a_request_that_cannot_be_encoded_exactly_is_a_type_error_naming_where(
        books: billing.Books, request_value: object, path: str) -> None:
    ran: list[int] = []
    with pytest.raises(TypeError) as raised:
        books.idempotent("refused", request_value, lambda: ran.append(1))
    assert str(raised.value).startswith(path + ": "), str(raised.value)
    assert ran == []
    # Nothing was claimed: the key takes any request at once, as if never seen.
    result = books.idempotent("refused", "a good request", lambda: "ran")
    assert not result.replayed and result.outcome == "ran"


def test_a_request_that_contains_itself_is_a_recursion_error(books: billing.Books) -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(RecursionError):
        books.idempotent("loop", loop, lambda: 1)
    assert not books.idempotent("loop", "fine", lambda: 1).replayed
