"""A tour of the ledger from Python, on an embedded SQLite file.

Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/ledger_tour.py [path.db]
"""
import datetime
import os
import sys
import tempfile
from typing import Callable

import billing
from billing import Money, PostResult, Side


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.gettempdir(), "billing-ledger-tour-py.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    clock = billing.ManualClock(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.timezone.utc))
    books = billing.open(path, clock=clock, ids=billing.SequentialIds("entry-"))

    books.accounts.create("USD", "Bank", id="assets:bank")
    books.accounts.create("USD", "Wallet", id="liabilities:wallet", normal_side=Side.CREDIT,
                          debits_must_not_exceed_credits=True)
    books.accounts.create("USD", "Sales", id="income:sales", normal_side=Side.CREDIT)

    steps: list[tuple[str, Callable[[], billing.PostOutcome]]] = [
        ("top up 100.00", lambda: books.ledger.transfer("assets:bank", "liabilities:wallet", usd("100"), id="top-up")),
        ("spend 250.00 from the wallet",
         lambda: books.ledger.transfer("liabilities:wallet", "income:sales", usd("250"))),
        ("hold 30.00 for a ride",
         lambda: books.ledger.hold([billing.debit("liabilities:wallet", usd("30")),
                                    billing.credit("income:sales", usd("30"))],
                                   id="ride", timeout=datetime.timedelta(minutes=30))),
        ("capture 22.50 of it", lambda: books.ledger.post_pending("ride", usd("22.50"))),
        ("buy a coffee", lambda: books.ledger.transfer("liabilities:wallet", "income:sales", usd("4.20"), id="coffee")),
        ("refund the coffee", lambda: books.ledger.reverse("coffee")),
    ]
    with books.transaction():  # all of the steps commit together
        for label, step in steps:
            print(f"{label:<32} -> {step().result.name}")

    print()
    for account in books.accounts.list().items:
        balance = books.ledger.balance(account.id)
        assert balance is not None  # None only for an account that does not exist
        print(f"{account.id:<20} net {balance.net}  available {balance.available}")
    wallet_before = books.ledger.balance("liabilities:wallet", as_of=1)
    assert wallet_before is not None
    print(f"wallet after entry 1: {wallet_before.net}")

    report = books.ledger.verify()
    print(f"\nverify: ok={report.ok}, {report.entries_checked} entries, head {report.head_hash[:16]}")
    print("\n" + books.ledger.export("beancount"))
    assert report.ok and books.ledger.reverse("coffee").result == PostResult.ALREADY_REVERSED


if __name__ == "__main__":
    main()
