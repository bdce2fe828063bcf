"""The order service seed's flow from Python: create, get, list by status, update the status, delete.

Each step is what one HTTP handler of the seed did; the rules (the status table, versions, who may be
deleted) are the library's. Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/order_service.py [path.db]
"""
import datetime
import os
import sys
import tempfile

import billing
from billing import Money, OrderLine, OrderOutcome, OrderResult, OrderStatus


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def show(step: str, outcome: OrderOutcome) -> None:
    order = outcome.order
    if order is None:
        print(f"{step:<44} {outcome.result.name}")
    else:
        print(f"{step:<44} {outcome.result.name:<22} {order.id} {order.status.name:<10} v{order.version} {order.total}")


def main() -> int:
    if len(sys.argv) > 1:
        path = sys.argv[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return run(path)
    with tempfile.TemporaryDirectory() as scratch:  # a file of this run's own: two runs at once must not share one
        return run(os.path.join(scratch, "orders.db"))


def run(path: str) -> int:
    clock = billing.ManualClock(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.timezone.utc))
    books = billing.open(path, clock=clock, ids=billing.SequentialIds("ord-"))
    orders = books.orders

    # POST /orders
    ada = orders.create("Ada Lovelace", "ada@example.com",
                        [OrderLine("widget", 3, usd("19.99")), OrderLine("gift wrap", 1, usd("2.50"))])
    bob = orders.create("Bob", "bob@example.org", [OrderLine("gadget", 1, usd("99.00"))])
    cy = orders.create("Cy", "cy@example.net", [OrderLine("sticker", 10, usd("0.35"))])
    dee = orders.create("Dee", "dee@example.net", [OrderLine("widget", 1, usd("19.99"))])
    for name, outcome in (("Ada", ada), ("Bob", bob), ("Cy", cy), ("Dee", dee)):
        show(f"POST /orders ({name})", outcome)
    assert ada.order is not None and bob.order is not None
    assert ada.order.total == usd("62.47")
    try:
        orders.create("Eve", "eve@localhost", [OrderLine("widget", 1, usd("19.99"))])
    except billing.InvalidArgument as error:
        print(f"{'POST /orders (a bad email)':<44} 400 {error}")  # the message starts with the field

    # GET /orders/{id}
    got = orders.get(ada.order.id)
    assert got is not None
    print(f"{'GET /orders/' + got.id:<44} {got.status.name} {len(got.lines)} lines, {got.total}")

    # PUT /orders/{id}/status: each update names the version its caller read.
    clock.advance(datetime.timedelta(minutes=5))
    picked = orders.transition(got.id, OrderStatus.PROCESSING, expected_version=got.version, reason="picked")
    show("PUT status PROCESSING (Ada, v1)", picked)
    stale = orders.transition(got.id, OrderStatus.CANCELLED, expected_version=got.version, reason="too late")
    show("PUT status CANCELLED (Ada, stale v1)", stale)
    assert stale.result is OrderResult.VERSION_CONFLICT
    assert picked.order is not None
    clock.advance(datetime.timedelta(hours=2))
    shipped = orders.transition(got.id, OrderStatus.COMPLETED, expected_version=picked.order.version, reason="shipped")
    show("PUT status COMPLETED (Ada, v2)", shipped)
    assert shipped.order is not None
    show("PUT status PENDING (Ada, v3)",
         orders.transition(got.id, OrderStatus.PENDING, expected_version=shipped.order.version))
    show("PUT status PROCESSING (Bob, v1)", orders.transition(bob.order.id, OrderStatus.PROCESSING, expected_version=1))

    # GET /orders?status=...: a page at a time.
    for status in OrderStatus:
        ids: list[str] = []
        cursor = ""
        while True:
            page = orders.list(status=status, cursor=cursor, limit=2)
            ids += [order.id for order in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        print(f"{'GET /orders?status=' + status.name:<44} {' '.join(ids) or '-'}")

    # DELETE /orders/{id}: not while PROCESSING; a deleted order's history stays.
    show("DELETE (Bob, PROCESSING)", orders.delete(bob.order.id))
    show("DELETE (Ada, COMPLETED, v3)", orders.delete(got.id, expected_version=shipped.order.version))
    show("DELETE (Ada again)", orders.delete(got.id))
    assert orders.get(got.id) is None
    for change in orders.history(got.id):
        print(f"  history {change.order_id}: {change.from_status.name} -> {change.to_status.name} "
              f"at {change.at.isoformat()} ({change.reason}), v{change.version}")
    print("allowed changes:", ", ".join(f"{a.name}->{b.name}" for a, b in billing.order_transitions()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
