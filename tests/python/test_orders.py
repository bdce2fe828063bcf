"""The Python face of orders, on memory and SQLite books: the names the issue fixes, the status table, versions,
listings, deletes, limits, reprs without personal data, and units of work."""
import copy
import datetime
import threading
from decimal import Decimal
from typing import Optional, TypeVar

import pytest

import billing
from billing import Money, OrderLine, OrderResult, OrderStatus

T = TypeVar("T")
EMAIL = "ada@example.com"


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def found(value: Optional[T]) -> T:
    assert value is not None
    return value


def lines() -> list[OrderLine]:
    return [OrderLine("widget", 3, usd("19.99")), OrderLine("gift wrap", 1, usd("0.01"))]


def place(books: billing.Books, id: str, email: str = EMAIL) -> billing.Order:
    outcome = books.orders.create("Ada Lovelace", email, lines(), id=id, metadata={"channel": "web"})
    assert outcome.result == OrderResult.OK
    return found(outcome.order)


def test_create_holds_every_field_and_the_total_is_exact(books: billing.Books, clock: billing.ManualClock) -> None:
    outcome = books.orders.create("Ada Lovelace", EMAIL, lines(), id="ord-1", metadata={"channel": "web"})
    assert outcome and outcome.ok and outcome.result is OrderResult.OK
    order = found(outcome.order)
    assert (order.id, order.customer_name, order.customer_email) == ("ord-1", "Ada Lovelace", EMAIL)
    assert order.lines == lines() and order.lines[0].total == usd("59.97")
    assert order.total == usd("59.98")
    assert (order.status, order.version, order.metadata) == (OrderStatus.PENDING, 1, {"channel": "web"})
    assert order.created_at == order.updated_at == clock.now()
    assert order.deleted_at is None
    assert books.orders.get("ord-1") == order
    assert books.orders.get("nobody") is None


def test_create_again_returns_the_stored_order(books: billing.Books) -> None:
    order = place(books, "ord-1")
    again = books.orders.create("Ada Lovelace", EMAIL, lines(), id="ord-1", metadata={"channel": "web"})
    assert again.result is OrderResult.EXISTS and not again and again.order == order
    other = books.orders.create("Someone Else", EMAIL, lines(), id="ord-1")
    assert other.result is OrderResult.EXISTS_WITH_DIFFERENT_FIELDS and other.order == order


def test_an_order_without_an_id_gets_one(books: billing.Books) -> None:
    assert found(books.orders.create("Ada", EMAIL, lines()).order).id == "gen-000000000001"


def test_every_pair_of_statuses_follows_the_table(books: billing.Books) -> None:
    allowed = billing.order_transitions()
    assert allowed == [(OrderStatus.PENDING, OrderStatus.PROCESSING), (OrderStatus.PENDING, OrderStatus.CANCELLED),
                       (OrderStatus.PROCESSING, OrderStatus.COMPLETED), (OrderStatus.PROCESSING, OrderStatus.CANCELLED)]
    paths: dict[OrderStatus, list[OrderStatus]] = {
        OrderStatus.PENDING: [], OrderStatus.PROCESSING: [OrderStatus.PROCESSING],
        OrderStatus.COMPLETED: [OrderStatus.PROCESSING, OrderStatus.COMPLETED],
        OrderStatus.CANCELLED: [OrderStatus.CANCELLED]}
    for n, (start, to) in enumerate((a, b) for a in OrderStatus for b in OrderStatus):
        order = place(books, f"ord-{n}")
        for step in paths[start]:
            order = found(books.orders.transition(order.id, step, expected_version=order.version).order)
        outcome = books.orders.transition(order.id, to, expected_version=order.version, reason="walk")
        if (start, to) in allowed:
            assert outcome.result is OrderResult.OK
            assert (found(outcome.order).status, found(outcome.order).version) == (to, order.version + 1)
        else:
            assert outcome.result is OrderResult.TRANSITION_FORBIDDEN and outcome.order == order


def test_a_stale_version_is_a_conflict_and_history_records_each_change(books: billing.Books,
                                                                       clock: billing.ManualClock) -> None:
    order = place(books, "ord-1")
    clock.advance(datetime.timedelta(minutes=5))
    moved = books.orders.transition("ord-1", OrderStatus.PROCESSING, expected_version=1, reason="picked")
    assert moved.ok
    stale = books.orders.transition("ord-1", OrderStatus.CANCELLED, expected_version=1)
    assert stale.result is OrderResult.VERSION_CONFLICT and stale.order == moved.order
    assert found(books.orders.get("ord-1")).status is OrderStatus.PROCESSING
    [change] = books.orders.history("ord-1")
    assert (change.order_id, change.from_status, change.to_status, change.version, change.reason) == (
        "ord-1", OrderStatus.PENDING, OrderStatus.PROCESSING, 2, "picked")
    assert change.at == clock.now() == found(moved.order).updated_at != order.updated_at
    assert books.orders.transition("nobody", OrderStatus.PROCESSING, expected_version=1).result is OrderResult.NOT_FOUND


def test_threads_retrying_on_conflict_lose_no_update(books: billing.Books) -> None:
    for i in range(10):
        place(books, f"race-{i}")
    successes: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            for i in range(10):
                barrier.wait()
                while True:
                    order = found(books.orders.get(f"race-{i}"))
                    nxt = [b for a, b in billing.order_transitions() if a is order.status]
                    if not nxt:
                        break
                    if books.orders.transition(order.id, nxt[0], expected_version=order.version):
                        successes.append(1)
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    orders = [found(books.orders.get(f"race-{i}")) for i in range(10)]
    assert all(order.status is OrderStatus.COMPLETED and order.version == 3 for order in orders)
    assert len(successes) == sum(len(books.orders.history(order.id)) for order in orders) == 20


def test_listing_by_status_and_email_with_a_cursor(books: billing.Books) -> None:
    for i in range(7):
        place(books, f"ord-{i}", EMAIL if i % 2 else "bob@example.org")
    books.orders.transition("ord-3", OrderStatus.PROCESSING, expected_version=1)
    seen: list[str] = []
    cursor = ""
    while True:
        page = books.orders.list(status=OrderStatus.PENDING, cursor=cursor, limit=2)
        seen += [order.id for order in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ["ord-0", "ord-1", "ord-2", "ord-4", "ord-5", "ord-6"]
    assert [o.id for o in books.orders.list(customer_email=EMAIL).items] == ["ord-1", "ord-3", "ord-5"]
    assert [o.id for o in books.orders.list(OrderStatus.PENDING, EMAIL).items] == ["ord-1", "ord-5"]
    assert len(books.orders.list(limit=1000).items) == 7
    for bad, field in (({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"cursor": "a b"}, "cursor"),
                       ({"customer_email": "nobody"}, "customer_email")):
        with pytest.raises(billing.InvalidArgument) as raised:
            books.orders.list(**bad)  # type: ignore[arg-type]
        assert raised.value.field == field


def test_delete_follows_the_status_and_keeps_the_history(books: billing.Books) -> None:
    order = place(books, "ord-1")
    processing = found(books.orders.transition("ord-1", OrderStatus.PROCESSING, expected_version=1).order)
    refused = books.orders.delete("ord-1")
    assert refused.result is OrderResult.DELETE_FORBIDDEN and refused.order == processing
    done = found(books.orders.transition("ord-1", OrderStatus.COMPLETED, expected_version=2).order)
    assert books.orders.delete("ord-1", expected_version=2).result is OrderResult.VERSION_CONFLICT
    deleted = books.orders.delete("ord-1", expected_version=done.version)
    assert deleted.ok and found(deleted.order).deleted_at is not None and found(deleted.order).version == 4
    assert books.orders.get("ord-1") is None
    assert books.orders.list().items == []
    assert [c.to_status for c in books.orders.history("ord-1")] == [OrderStatus.PROCESSING, OrderStatus.COMPLETED]
    assert books.orders.delete("ord-1").result is OrderResult.NOT_FOUND
    again = books.orders.create("Ada Lovelace", EMAIL, lines(), id="ord-1", metadata={"channel": "web"})
    assert again.result is OrderResult.EXISTS and again.order == deleted.order and order.id == "ord-1"


@pytest.mark.parametrize("args, field", [
    (("", EMAIL, None), "customer_name"),
    (("x" * 257, EMAIL, None), "customer_name"),
    (("Ada", "ada@", None), "customer_email"),
    (("Ada", "a" * 65 + "@example.com", None), "customer_email"),
    (("Ada", EMAIL, []), "lines"),
    (("Ada", EMAIL, [OrderLine("widget", 1, usd("1"))] * 1001), "lines"),
    (("Ada", EMAIL, [OrderLine("", 1, usd("1"))]), "lines[0].item"),
    (("Ada", EMAIL, [OrderLine("w", 1, usd("1")), OrderLine("w", 0, usd("1"))]), "lines[1].quantity"),
    (("Ada", EMAIL, [OrderLine("w", 10**9 + 1, usd("1"))]), "lines[0].quantity"),
    (("Ada", EMAIL, [OrderLine("w", 1, usd("-1"))]), "lines[0].unit_price"),
])
def test_bad_input_names_the_field_and_stores_nothing(books: billing.Books, args: tuple[str, str, Optional[list[OrderLine]]],
                                                     field: str) -> None:
    name, email, given = args
    with pytest.raises(billing.InvalidArgument) as raised:
        books.orders.create(name, email, lines() if given is None else given, id="bad")
    assert raised.value.field == field
    assert books.orders.get("bad") is None


def test_lines_in_two_currencies_name_the_line_and_overflow_is_an_error(books: billing.Books) -> None:
    with pytest.raises(billing.CurrencyMismatch) as mismatch:
        books.orders.create("Ada", EMAIL, [OrderLine("a", 1, usd("1")), OrderLine("b", 1, Money("1", "EUR"))])
    assert mismatch.value.field == "lines[1].unit_price"
    with pytest.raises(billing.Overflow) as overflow:
        books.orders.create("Ada", EMAIL, [OrderLine("a", 10**9, usd("92233720368.55"))])
    assert overflow.value.field == "lines[0]"
    with pytest.raises(billing.Overflow):
        OrderLine("a", 2**63, usd("1"))
    assert books.orders.list().items == []


def test_wrong_types_are_type_errors_naming_the_parameter(books: billing.Books) -> None:
    place(books, "ord-1")
    with pytest.raises(TypeError, match="unit_price: expected"):
        OrderLine("w", 1, Decimal("1.00"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="quantity: expected"):
        OrderLine("w", 1.5, usd("1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="quantity: expected"):
        OrderLine("w", True, usd("1"))
    with pytest.raises(TypeError, match="to: expected"):
        books.orders.transition("ord-1", "PROCESSING", expected_version=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected_version"):
        books.orders.transition("ord-1", OrderStatus.PROCESSING)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="customer_email: expected"):
        books.orders.create("Ada", b"ada@example.com", lines())  # type: ignore[arg-type]
    with pytest.raises(billing.InvalidArgument) as raised:
        books.orders.transition("ord-1", OrderStatus.PROCESSING, expected_version=-1)
    assert raised.value.field == "expected_version"


def test_reprs_show_ids_statuses_versions_and_totals_but_no_personal_data(books: billing.Books) -> None:
    order = books.orders.create("Ada Lovelace", "ada.secret@example.com", lines(), id="ord-1").order
    outcome = books.orders.transition("ord-1", OrderStatus.PROCESSING, expected_version=1, reason="Ada asked")
    shown = [repr(order), repr(outcome), repr(books.orders.history("ord-1")), repr(books.orders.list()),
             repr(books.orders.list().items), repr(lines())]
    assert repr(order) == "Order(id='ord-1', status=OrderStatus.PENDING, version=1, total=Money('59.98', 'USD'))"
    assert repr(outcome) == "OrderOutcome(result=OrderResult.OK, order='ord-1')"
    assert repr(books.orders.history("ord-1")) == (
        "[OrderChange(order_id='ord-1', from_status=OrderStatus.PENDING, to_status=OrderStatus.PROCESSING, "
        "version=2)]")
    assert repr(OrderLine("widget", 3, usd("19.99"))) == "OrderLine(quantity=3, unit_price=Money('19.99', 'USD'))"
    assert repr(books.orders) == "<billing.Orders: books.orders>"
    for text in shown:
        assert "Ada" not in text and "secret" not in text and "widget" not in text
    with pytest.raises(billing.InvalidArgument) as raised:
        books.orders.create("Ada", "ada.secret@@example.com", lines())
    assert "secret" not in str(raised.value)


def test_values_copy_and_compare(books: billing.Books) -> None:
    order = place(books, "ord-1")
    assert copy.copy(order) == order and copy.deepcopy(order) == order
    line = OrderLine("widget", 3, usd("19.99"))
    assert copy.deepcopy(line) == line and line != OrderLine("widget", 4, usd("19.99"))


def test_writes_join_the_transaction(books: billing.Books) -> None:
    with pytest.raises(RuntimeError):
        with books.transaction():
            place(books, "dropped")
            books.orders.transition("dropped", OrderStatus.CANCELLED, expected_version=1)
            raise RuntimeError("roll back")
    assert books.orders.get("dropped") is None and books.orders.history("dropped") == []
    with books.transaction():
        place(books, "kept")
        books.orders.transition("kept", OrderStatus.PROCESSING, expected_version=1)
    assert found(books.orders.get("kept")).version == 2
