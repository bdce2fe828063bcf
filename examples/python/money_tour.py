"""A tour of the money types from Python. Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/money_tour.py"""
from decimal import Decimal
from typing import Callable

import billing
from billing import Money, RoundingMode


def main() -> None:
    total = sum((Money("0.10", "USD") for _ in range(10)), Money(0, "USD"))
    print(f"ten times 0.10 USD = {total}")
    print(f"19.99 USD x 3      = {Money('19.99', 'USD').multiply(3)}")
    for mode in RoundingMode.__members__.values():
        print(f"0.05 USD x 0.5 by {mode.name:<9} = {Money('0.05', 'USD').multiply(Decimal('0.5'), mode)}")
    print("100.00 USD split 3 ways =", ", ".join(str(m) for m in Money("100", "USD").split(3)))
    mistakes: list[Callable[[], Money]] = [
        lambda: Money("1", "USD") + Money("1", "EUR"),
        lambda: Money("12.345", "USD"),
        lambda: Money(0.1, "USD"),  # type: ignore[arg-type]  # mypy refuses a float too
    ]
    for bad in mistakes:
        try:
            bad()
        except billing.BillingError as error:
            print(f"{type(error).__name__}: code={error.code.name} field={error.field!r}: {error}")
        except TypeError as error:
            print(f"TypeError: {error}")


if __name__ == "__main__":
    main()
