"""A retry that cannot charge twice. Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/idempotent_retry.py"""
from typing import Optional

import billing
from billing import Money


def main() -> None:
    books = billing.open()
    books.accounts.create("EUR", "Alice", id="card:alice")
    books.accounts.create("EUR", "Sales", id="sales", normal_side=billing.Side.CREDIT)

    def charge(amount: str) -> billing.IdempotentResult:
        request = {"customer": "alice", "amount": Money(amount, "EUR")}  # fingerprinted by type and value

        def work() -> dict[str, Optional[str]]:
            outcome = books.ledger.transfer("card:alice", "sales", Money(amount, "EUR"))
            return {"result": outcome.result.name, "entry": outcome.entry.id if outcome.entry else None}

        return books.idempotent("order-1001", request, work, scope="shop-7")

    for attempt in range(1, 4):
        result = charge("25.00")
        print(f"attempt {attempt}: replayed={result.replayed} outcome={result.outcome}")
    try:
        charge("30.00")
    except billing.IdempotencyMismatch as error:
        print(f"same key, another amount: {type(error).__name__}: {error}")
    balance = books.ledger.balance("card:alice")
    assert balance is not None  # None only for an account that does not exist
    print("balance:", balance.net)


if __name__ == "__main__":
    main()
