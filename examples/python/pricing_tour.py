"""Pricing a month of an API's usage from Python: graduated tiers for the calls, a package price for the storage,
a percentage fee on the payments it took, and the invoice lines of each charge. Everything is exact and each line
rounds once. Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/pricing_tour.py"""
from decimal import Decimal

import billing
from billing import Charge, ChargeLine, LineKind, Money, Price, RoundAt, RoundingMode, Tier


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def label(line: ChargeLine) -> str:
    """What a line is, as an invoice would name it."""
    if line.kind is LineKind.TIER:
        return f"calls above {line.start} up to {line.up_to}" if line.up_to is not None else f"calls above {line.start}"
    names = {LineKind.FREE_UNITS: "free GB-months", LineKind.PACKAGES: "packages of 10 GB-months",
             LineKind.PERCENTAGE: "of payments taken", LineKind.MINIMUM_TRUE_UP: "true-up to the monthly minimum"}
    return names.get(line.kind, line.kind.value)


def show(what: str, charge: Charge) -> None:
    print(what)
    for line in charge.lines:
        fee = f" + {line.flat_fee}" if line.flat_fee else ""
        print(f"  {label(line):<32} {line.quantity:>14} x {line.unit_price!s:<8}{fee:<8} = {line.amount:>12}")
    print(f"  {'total':<68} {charge.amount:>12}")


def main() -> None:
    # Calls: the first 10,000 free, then cheaper by volume, a platform fee once the paid tiers start, and a
    # monthly minimum of 25 USD.
    calls = Price.graduated([Tier(10_000, 0), Tier(100_000, "0.0005", 5), Tier(1_000_000, "0.0004"),
                             Tier(None, "0.00025")], "USD").with_minimum(usd("25"))
    # Storage: 1.50 USD for each started 10 GB-months, the first 5 free; usage is fractional.
    storage = Price.package(10, usd("1.50"), free_units=5)
    # Payments: 2.9% + 0.30 USD a transaction (Stripe's online card rate), at least 0.50 and at most 15 USD.
    payments = Price.percentage("0.029", "USD", fixed_fee=usd("0.30"), minimum=usd("0.50"), maximum=usd("15"))

    month_calls = calls.charge(1_234_567)
    month_storage = storage.charge(Decimal("42.75"))
    show("API calls, 1,234,567 in the month", month_calls)
    show("\nStorage, 42.75 GB-months", month_storage)

    print("\nPayment fees, per transaction")
    fees = usd("0")
    for amount in ("8.00", "120.00", "2500.00"):
        fee = payments.charge(amount)
        print(f"  {amount:>9} USD -> {fee.amount:>10}  ({len(fee.lines)} line{'' if len(fee.lines) == 1 else 's'})")
        fees += fee.amount
    total = month_calls.amount + month_storage.amount + fees
    print(f"\nThe month: {month_calls.amount} calls + {month_storage.amount} storage + {fees} fees = {total}")

    show("\nA quiet month, 3,000 calls", calls.charge(3_000))

    # The same calls rounded up, once on the total: the lines share the rounded total exactly.
    rounded = calls.with_rounding(RoundingMode.UP, at=RoundAt.TOTAL).charge(1_234_567)
    print(f"\nRounded up once on the total: {rounded.amount}, lines {[str(line.amount) for line in rounded.lines]}")
    print(f"The price itself: {calls!r}")

    # Mistakes are refused when the price is made, naming the field, and a float is never a quantity.
    try:
        Price.graduated([Tier(100, 1), Tier(100, 2), Tier(None, 3)], "USD")
    except billing.InvalidArgument as error:
        print(f"\nrefused: field {error.field!r} ({error})")
    try:
        calls.charge(1.5)  # type: ignore[arg-type]  # mypy refuses a float too
    except TypeError as error:
        print(f"TypeError: {error}")


if __name__ == "__main__":
    main()
